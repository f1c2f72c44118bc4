package io.promptline.producer;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.avro.TokenUsage;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.serde.AvroDeserializer;
import io.promptline.serde.AvroSerializer;
import io.promptline.testkit.Await;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.RegistryFixture;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * submitAndAwait on the embedded broker. A stand-in for the processor answers each request (a
 * result, or a dead letter for prompts that say "fail"); the library must match outcomes to
 * awaits through its one shared consumer.
 */
class SubmitAndAwaitIntegrationTest {
    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();

    /** Answers requests from the normal tier until stopped. */
    private static Thread answerer(Topics topics, AtomicBoolean stop) {
        Thread t = new Thread(() -> {
            var registry = new RestSchemaRegistryClient(REGISTRY.url());
            try (KafkaConsumer<String, PromptRequest> in = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                    ConsumerConfig.GROUP_ID_CONFIG, UUID.randomUUID().toString(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                    new StringDeserializer(), new AvroDeserializer<>(registry, PromptRequest.class));
                 KafkaProducer<String, SpecificRecord> out = new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
                         new StringSerializer(), new AvroSerializer<>(registry, true))) {
                in.subscribe(List.of(topics.requests(io.promptline.avro.Priority.NORMAL)));
                while (!stop.get()) {
                    for (ConsumerRecord<String, PromptRequest> r : in.poll(Duration.ofMillis(100))) {
                        PromptRequest q = r.value();
                        if (q.getMessages().get(0).getContent().contains("fail")) {
                            out.send(new ProducerRecord<>(topics.dlq(), q.getTenant(), DeadLetter.newBuilder().setRequestId(q.getRequestId())
                                    .setTenant(q.getTenant()).setRequest(q).setCategory(ErrorCategory.AUTHENTICATION).setHttpStatus(401)
                                    .setMessage("HTTP 401 from openai: Incorrect API key provided.").setAttempts(1)
                                    .setOriginTopic(r.topic()).setOriginPartition(r.partition()).setOriginOffset(r.offset())
                                    .setFailedAt(Instant.now()).build()));
                        } else if (!q.getMessages().get(0).getContent().contains("ignore")) {
                            out.send(new ProducerRecord<>(topics.results(), q.getRequestId(), PromptResult.newBuilder().setRequestId(q.getRequestId())
                                    .setTenant(q.getTenant()).setPriority(q.getPriority()).setModel("gpt-4.1").setProvider("openai")
                                    .setContent("answer to " + q.getMessages().get(0).getContent()).setUsage(new TokenUsage(5L, 3L, 0L, 0L, 0L, false))
                                    .setAttempts(1).setQueueTimeMs(1).setCallLatencyMs(2).setCompletedAt(Instant.now()).build()));
                        }
                    }
                }
            }
        }, "answerer");
        t.start();
        return t;
    }

    @Test
    void shouldCompleteEachAwaitWithItsResultOrDeadLetterThroughOneConsumer() throws Exception {
        Topics topics = KAFKA.newTopics(3);
        AtomicBoolean stop = new AtomicBoolean();
        Thread answerer = answerer(topics, stop);
        try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(KAFKA.bootstrapServers())
                .schemaRegistryUrl(REGISTRY.url()).topics(topics).build()) {
            List<CompletableFuture<Outcome>> awaits = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                awaits.add(producer.submitAndAwait(Prompt.builder("acme").requestId("q" + i).user("question " + i).build(), Duration.ofSeconds(60)));
            }
            Outcome failed = producer.submitAndAwait(Prompt.builder("acme").requestId("bad").user("please fail").build(), Duration.ofSeconds(60))
                    .get(60, TimeUnit.SECONDS);

            for (int i = 0; i < 200; i++) {
                Outcome o = awaits.get(i).get(60, TimeUnit.SECONDS);
                assertThat(o).isInstanceOf(Outcome.Answered.class);
                assertThat(o.requestId()).isEqualTo("q" + i);
                assertThat(((Outcome.Answered) o).result().getContent()).isEqualTo("answer to question " + i);
            }
            assertThat(failed).isInstanceOfSatisfying(Outcome.DeadLettered.class, d -> {
                assertThat(d.deadLetter().getCategory()).isEqualTo(ErrorCategory.AUTHENTICATION);
                assertThat(d.requestId()).isEqualTo("bad");
            });

            // And an await nobody answers fails after its timeout, naming the request
            CompletableFuture<Outcome> silent = producer.submitAndAwait(Prompt.builder("acme").requestId("silent").user("ignore me").build(),
                    Duration.ofMillis(1_500));
            assertThatThrownBy(() -> silent.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(java.util.concurrent.TimeoutException.class)
                    .hasMessageContaining("no result or dead letter for request silent within 1500 ms");
            // Completed and timed-out awaits are forgotten: the listener holds nothing for them (the removal runs as a
            // completion callback, possibly just after the caller's own stage)
            Await.until(Duration.ofSeconds(10), "every finished await to be forgotten", () -> producer.awaiting() == 0);
        } finally {
            stop.set(true);
            answerer.join(10_000);
        }
    }
}
