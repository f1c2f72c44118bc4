package io.promptline.processor;

import io.promptline.avro.PromptResult;
import io.promptline.config.PromptlineConfig;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.registry.RegistryException;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import io.promptline.testkit.TopicReader;
import io.promptline.topics.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A registry that wants HTTP basic auth: the producer library and the processor given the
 * credentials work through it; a client without them is refused with a message that names the
 * setting to fix.
 */
class SecuredRegistryIntegrationTest {
    private static final String CREDENTIALS = "promptline:reg-s3cret";
    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture(CREDENTIALS);
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture();

    @TempDir
    Path dir;

    @Test
    void shouldAnswerThroughARegistryThatWantsCredentials() throws Exception {
        Topics topics = KAFKA.newTopics(3);
        Map<String, Object> c = InProcess.config(KAFKA.bootstrapServers(), REGISTRY.url(), SIM.baseUrl(), topics, "auth-" + topics.base(), dir);
        c.put(PromptlineConfig.SCHEMA_REGISTRY_AUTH_CONFIG, CREDENTIALS);
        try (ProcessorApp app = InProcess.start(c);
             PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(KAFKA.bootstrapServers())
                     .schemaRegistryUrl(REGISTRY.url()).schemaRegistryBasicAuth(CREDENTIALS).topics(topics).build()) {
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                sent.add(producer.submit(Prompt.builder("acme").requestId(topics.base() + "-" + i).model("gpt-4.1-mini").user("hello " + i)
                        .build()).get(30, TimeUnit.SECONDS));
            }
            List<PromptResult> results = TopicReader.readCommitted(KAFKA.bootstrapServers(),
                    new RestSchemaRegistryClient(REGISTRY.url(), CREDENTIALS, Duration.ofSeconds(10)), topics.results(), PromptResult.class,
                    sent.size(), Duration.ofSeconds(60), Duration.ofSeconds(1));
            assertThat(results).extracting(PromptResult::getRequestId).containsExactlyInAnyOrderElementsOf(sent);
        }
    }

    @Test
    void shouldNameTheCredentialsSettingWhenTheRegistryRefuses() {
        assertThatThrownBy(() -> new RestSchemaRegistryClient(REGISTRY.url()).subjects())
                .isInstanceOf(RegistryException.class)
                .hasMessageContaining("HTTP 401")
                .hasMessageContaining("PROMPTLINE_SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO");
        assertThatThrownBy(() -> new RestSchemaRegistryClient(REGISTRY.url(), "promptline:wrong", Duration.ofSeconds(5)).subjects())
                .hasMessageContaining("HTTP 401");
    }
}
