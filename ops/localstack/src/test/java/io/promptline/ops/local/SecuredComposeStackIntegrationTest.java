package io.promptline.ops.local;

import io.promptline.producer.Outcome;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.requests.TenantProof;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The secured compose variant for real (SASL, ACLs, tenant authorization), where a Docker engine
 * exists; skipped elsewhere. {@code SecuredClusterIntegrationTest.shouldRunTheSecuredComposeVariant}
 * runs the same files without Docker.
 */
@Testcontainers(disabledWithoutDocker = true)
class SecuredComposeStackIntegrationTest {
    private static final Path SECRETS = DeploymentFilesTest.ROOT.resolve("ops/docker/secured/secrets");

    @Container
    static final ComposeContainer STACK = new ComposeContainer(makeSecrets(), new File(DeploymentFilesTest.ROOT.toFile(), "docker-compose.yml"),
            DeploymentFilesTest.ROOT.resolve("ops/docker/secured/compose.yml").toFile())
            .withBuild(true)
            .withExposedService("kafka", 9092, Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(3)))
            .withExposedService("schema-registry", 8081, Wait.forHttp("/subjects").withStartupTimeout(Duration.ofMinutes(3)));

    private static String makeSecrets() {
        try {
            Process p = new ProcessBuilder("bash", DeploymentFilesTest.ROOT.resolve("ops/docker/secured/make-secrets.sh").toString())
                    .inheritIO().start();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException("make-secrets.sh failed");
            return "promptline-secured";
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the secured variant's secrets", e);
        }
    }

    @Test
    void shouldAnswerASignedRequestOfTheApplicationPrincipal() throws Exception {
        String bootstrap = STACK.getServiceHost("kafka", 9092) + ":" + STACK.getServicePort("kafka", 9092);
        String registry = "http://" + STACK.getServiceHost("schema-registry", 8081) + ":" + STACK.getServicePort("schema-registry", 8081);
        PromptlineProducer.Builder b = PromptlineProducer.builder().bootstrapServers(bootstrap).schemaRegistryUrl(registry)
                .kafka("security.protocol", "SASL_PLAINTEXT").kafka("sasl.mechanism", "SCRAM-SHA-512")
                .kafka("sasl.jaas.config", Files.readString(SECRETS.resolve("promptline-app.jaas")).strip());
        TenantProof.readSecrets(SECRETS.resolve("tenants.properties")).forEach(b::tenantSecret);
        try (PromptlineProducer producer = b.build()) {
            Outcome outcome = producer.submitAndAwait(Prompt.builder("acme").requestId("secured-compose-1").model("gpt-4.1").user("hello").build(),
                    Duration.ofMinutes(3)).get(4, TimeUnit.MINUTES);
            assertThat(outcome).isInstanceOf(Outcome.Answered.class);
        }
    }
}
