package io.promptline.producer;

import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.registry.RegistryException;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.serde.AvroDeserializer;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.RegistryFixture;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PromptlineProducerIntegrationTest {
    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void shouldPublishToTheTierTopicKeyedByTenant() throws Exception {
        Topics topics = KAFKA.newTopics(2);
        String id;
        try (PromptlineProducer p = PromptlineProducer.builder().bootstrapServers(KAFKA.bootstrapServers())
                .schemaRegistryUrl(REGISTRY.url()).topics(topics).build()) {
            id = p.submit(Prompt.builder("acme").priority(Priority.URGENT).model("gpt-4.1").user("hi")
                    .metadata("k", "v").timeToLive(Duration.ofMinutes(1)).build()).get();
        }
        List<ConsumerRecord<String, PromptRequest>> read = new ArrayList<>();
        try (KafkaConsumer<String, PromptRequest> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(), ConsumerConfig.GROUP_ID_CONFIG, "g-" + id,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(),
                new AvroDeserializer<>(new RestSchemaRegistryClient(REGISTRY.url()), PromptRequest.class))) {
            c.subscribe(List.of(topics.requests(Priority.URGENT)));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (read.isEmpty() && System.nanoTime() < deadline) c.poll(Duration.ofMillis(200)).forEach(read::add);
        }
        assertThat(read).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo("acme");
            assertThat(r.value().getRequestId()).isEqualTo(id);
            assertThat(r.value().getMetadata()).containsEntry("k", "v");
            assertThat(r.value().getDeadline()).isAfter(r.value().getCreatedAt());
        });
    }

    @Test
    void shouldNameTheRegistryWhenItIsUnreachable() throws Exception {
        String url = "http://127.0.0.1:" + freePort();
        try (PromptlineProducer p = PromptlineProducer.builder().bootstrapServers(KAFKA.bootstrapServers())
                .schemaRegistryUrl(url).topics(KAFKA.newTopics(1)).build()) {
            assertThatThrownBy(() -> p.submit(Prompt.builder("acme").user("hi").build()).get())
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(PromptlineProducer.PublishException.class)
                    .hasMessageContaining(url).hasMessageContaining("unreachable")
                    .satisfies(e -> assertThat(e.getCause()).isInstanceOf(RegistryException.Unreachable.class));
        }
    }

    @Test
    void shouldFailWithinMaxBlockWhenTheBrokerIsUnreachable() throws Exception {
        try (PromptlineProducer p = PromptlineProducer.builder().bootstrapServers("127.0.0.1:" + freePort())
                .schemaRegistryUrl(REGISTRY.url()).maxBlock(Duration.ofSeconds(1)).build()) {
            assertThatThrownBy(() -> p.submit(Prompt.builder("acme").user("hi").build()).get())
                    .cause().isInstanceOf(PromptlineProducer.PublishException.class)
                    .hasMessageContaining("llm.requests.normal").hasMessageContaining("not present in metadata");
        }
    }

    @Test
    void shouldRejectIncompleteOptionsNamingThem() {
        assertThatThrownBy(() -> PromptlineProducer.builder().schemaRegistryUrl("http://x").build())
                .hasMessageContaining("bootstrapServers");
        assertThatThrownBy(() -> PromptlineProducer.builder().bootstrapServers("b:9092").build())
                .hasMessageContaining("schemaRegistryUrl");
        assertThatThrownBy(() -> Prompt.builder("acme").build()).hasMessageContaining("at least one message");
        assertThatThrownBy(() -> Prompt.builder(" ")).hasMessageContaining("tenant");
    }
}
