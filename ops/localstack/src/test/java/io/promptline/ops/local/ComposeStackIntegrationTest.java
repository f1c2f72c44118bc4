package io.promptline.ops.local;

import io.promptline.avro.Priority;
import io.promptline.producer.Outcome;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

import java.io.File;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The docker-compose stack for real: images built from the Dockerfiles, the real Confluent Schema
 * Registry, two processor replicas, the sink on PostgreSQL. Skipped where there is no Docker engine
 * (as on the project's CI machines); DeploymentFilesTest checks the same files statically, and
 * every behaviour it exercises is also tested on the embedded broker.
 */
@Testcontainers(disabledWithoutDocker = true)
class ComposeStackIntegrationTest {
    @Container
    static final ComposeContainer STACK = new ComposeContainer(new File(DeploymentFilesTest.ROOT.toFile(), "docker-compose.yml"))
            .withBuild(true)
            .withExposedService("kafka", 9092, Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(3)))
            .withExposedService("schema-registry", 8081, Wait.forHttp("/subjects").withStartupTimeout(Duration.ofMinutes(3)))
            .withExposedService("postgres", 5432, Wait.forHealthcheck())
            .withExposedService("grafana", 3000, Wait.forHttp("/api/health").withStartupTimeout(Duration.ofMinutes(3)));

    @Test
    void shouldAnswerAWorkloadAndKeepEveryResultInPostgres() throws Exception {
        String bootstrap = STACK.getServiceHost("kafka", 9092) + ":" + STACK.getServicePort("kafka", 9092);
        String registry = "http://" + STACK.getServiceHost("schema-registry", 8081) + ":" + STACK.getServicePort("schema-registry", 8081);
        List<CompletableFuture<Outcome>> outcomes = new ArrayList<>();
        try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(bootstrap).schemaRegistryUrl(registry).build()) {
            for (int i = 0; i < 200; i++) {
                outcomes.add(producer.submitAndAwait(Prompt.builder("tenant-" + (i % 4)).requestId("compose-" + i)
                        .priority(Priority.values()[i % 3]).model("gpt-4.1").user("question " + i).build(), Duration.ofMinutes(3)));
            }
            for (CompletableFuture<Outcome> o : outcomes) assertThat(o.get(4, TimeUnit.MINUTES)).isInstanceOf(Outcome.Answered.class);
        }
        String jdbc = "jdbc:postgresql://" + STACK.getServiceHost("postgres", 5432) + ":" + STACK.getServicePort("postgres", 5432) + "/promptline";
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        long rows = 0;
        while (rows < 200 && System.nanoTime() < deadline) {
            try (Connection c = DriverManager.getConnection(jdbc, "promptline", "promptline");
                 ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM prompt_results WHERE request_id LIKE 'compose-%'")) {
                rs.next();
                rows = rs.getLong(1);
            }
            Thread.sleep(1_000);
        }
        assertThat(rows).isEqualTo(200);
    }
}
