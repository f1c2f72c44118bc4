package io.promptline.processor.retry;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.Priority;
import io.promptline.processor.output.FailureHeaders;
import io.promptline.processor.output.Origin;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.TopicReader;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The relay on the embedded broker: holds each delayed record until due, sends it to its tier; what it cannot route goes to the DLQ. */
class RetryRelayIntegrationTest {
    private static final List<Duration> LADDER = List.of(Duration.ofSeconds(1), Duration.ofSeconds(5));

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();

    @Test
    void shouldHoldEachRecordUntilDueAndSendItToItsTierWithItsHeaders() throws Exception {
        Topics topics = KAFKA.newTopics(2, LADDER);
        long now = System.currentTimeMillis();
        Headers urgent = RetryHeaders.forRetry(FailureHeaders.describe(1, now - 100, now - 100, ErrorCategory.RATE_LIMIT, 429, "slow down",
                new Origin(topics.requests(Priority.URGENT), 0, 7)), Priority.URGENT, now + 1_500, null);
        Headers batch = RetryHeaders.forRetry(FailureHeaders.describe(2, now - 100, now - 100, ErrorCategory.TIMEOUT, null, "timeout",
                new Origin(topics.requests(Priority.BATCH), 1, 9)), Priority.BATCH, now + 300, null);
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>(topics.retry(LADDER.get(0)), null, "acme".getBytes(), "u".getBytes(), urgent)).get();
            p.send(new ProducerRecord<>(topics.retry(LADDER.get(0)), null, "acme".getBytes(), "b".getBytes(), batch)).get();
            p.send(new ProducerRecord<>(topics.retry(LADDER.get(1)), null, "acme".getBytes(), "?".getBytes(),
                    new org.apache.kafka.common.header.internals.RecordHeaders().add(RetryHeaders.TIER, "SOMETIMES".getBytes()))).get();
        }

        RetryRelay relay = new RetryRelay(Map.of("bootstrap.servers", KAFKA.bootstrapServers()), "relay-" + topics.base(), topics,
                LADDER, REGISTRY.serdes().deadLetter().serializer(), Clock.systemUTC());
        Thread t = new Thread(relay);
        t.start();
        try {
            List<ConsumerRecord<byte[], byte[]>> back = read(List.of(topics.requests(Priority.URGENT), topics.requests(Priority.BATCH)), 2);
            assertThat(back).hasSize(2);
            for (ConsumerRecord<byte[], byte[]> r : back) {
                long due = RetryHeaders.dueAt(r.headers());
                assertThat(r.timestamp()).as("sent back no sooner than due").isGreaterThanOrEqualTo(due);
                assertThat(RetryHeaders.read(r.headers()).attempts()).isPositive();
            }
            assertThat(back).anySatisfy(r -> {
                assertThat(r.topic()).isEqualTo(topics.requests(Priority.URGENT));
                assertThat(new String(r.value())).isEqualTo("u");
                assertThat(RetryHeaders.read(r.headers()).origin().offset()).isEqualTo(7);
            });
            List<DeadLetter> dead = TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.dlq(), DeadLetter.class, 1,
                    Duration.ofSeconds(30), Duration.ofMillis(500));
            assertThat(dead).singleElement().satisfies(d -> {
                assertThat(d.getCategory()).isEqualTo(ErrorCategory.MALFORMED_INPUT);
                assertThat(d.getMessage()).contains("promptline.tier").contains("SOMETIMES");
                assertThat(new String(d.getRawValue().array())).isEqualTo("?");
            });
            assertThat(relay.relayed()).isEqualTo(3);
        } finally {
            relay.close();
            t.join(10_000);
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(List<String> topics, int expected) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, UUID.randomUUID().toString(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(topics);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) c.poll(Duration.ofMillis(100)).forEach(out::add);
        }
        return out;
    }
}
