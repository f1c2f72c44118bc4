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
import org.apache.kafka.clients.producer.ProducerConfig;
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

        RetryRelay relay = new RetryRelay(Map.of("bootstrap.servers", KAFKA.bootstrapServers()), "relay-" + topics.base(), "instance-1", topics,
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

    private RetryRelay relay(Topics topics, String instance) {
        return new RetryRelay(Map.of("bootstrap.servers", KAFKA.bootstrapServers()), "relay-" + topics.base(), instance, topics, LADDER,
                REGISTRY.serdes().deadLetter().serializer(), Clock.systemUTC());
    }

    private static Headers due(Priority tier, String dueAt) {
        Headers h = RetryHeaders.forRetry(FailureHeaders.describe(1, null, null, ErrorCategory.PROVIDER_ERROR, 503, "HTTP 503", null), tier, 0, null);
        FailureHeaders.put(h, RetryHeaders.DUE_AT, dueAt);
        return h;
    }

    @Test
    void shouldDeadLetterARecordWithAnUnreadableDueTimeAndRelayTheRest() throws Exception {
        Topics topics = KAFKA.newTopics(1, LADDER);
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            // Given a record whose due time is not a number, then a valid one behind it
            p.send(new ProducerRecord<>(topics.retry(LADDER.get(0)), null, "acme".getBytes(), "odd".getBytes(), due(Priority.NORMAL, "soon"))).get();
            p.send(new ProducerRecord<>(topics.retry(LADDER.get(0)), null, "acme".getBytes(), "ok".getBytes(),
                    due(Priority.NORMAL, Long.toString(System.currentTimeMillis())))).get();
        }
        RetryRelay relay = relay(topics, "instance-1");
        Thread t = new Thread(relay);
        t.start();
        try {
            // Then the valid one goes back to its tier and the other to the DLQ, naming the header; the relay goes on
            List<ConsumerRecord<byte[], byte[]>> back = read(List.of(topics.requests(Priority.NORMAL)), 1);
            assertThat(back).singleElement().satisfies(r -> assertThat(new String(r.value())).isEqualTo("ok"));
            List<DeadLetter> dead = TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.dlq(), DeadLetter.class, 1,
                    Duration.ofSeconds(30), Duration.ofMillis(500));
            assertThat(dead).singleElement().satisfies(d -> assertThat(d.getMessage()).contains("promptline.due.at").contains("soon"));
            assertThat(t.isAlive()).isTrue();
            assertThat(relay.isPolling()).isTrue();
        } finally {
            relay.close();
            t.join(10_000);
        }
    }

    @Test
    void shouldFenceTheTransactionACrashedRelayLeftOpenAtOnce() throws Exception {
        Topics topics = KAFKA.newTopics(1, LADDER);
        // Given a relay of this instance crashed in the middle of a transaction on the tier topic (left open for up to 60 s)
        Map<String, Object> crashed = Map.of("bootstrap.servers", KAFKA.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "relay-" + topics.base() + "-instance-1", ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000);
        KafkaProducer<byte[], byte[]> dead = new KafkaProducer<>(crashed, new ByteArraySerializer(), new ByteArraySerializer());
        dead.initTransactions();
        dead.beginTransaction();
        dead.send(new ProducerRecord<>(topics.requests(Priority.NORMAL), "acme".getBytes(), "half-relayed".getBytes())).get();
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>(topics.retry(LADDER.get(0)), null, "acme".getBytes(), "next".getBytes(),
                    due(Priority.NORMAL, Long.toString(System.currentTimeMillis())))).get();
        }

        // When the instance restarts, its relay (same name) fences that transaction, so the tier topic's readers go on at once
        RetryRelay relay = relay(topics, "instance-1");
        Thread t = new Thread(relay);
        long started = System.nanoTime();
        t.start();
        try {
            List<ConsumerRecord<byte[], byte[]>> back = read(List.of(topics.requests(Priority.NORMAL)), 1);
            long waitedMs = (System.nanoTime() - started) / 1_000_000;
            assertThat(back).singleElement().satisfies(r -> assertThat(new String(r.value())).isEqualTo("next"));
            assertThat(waitedMs).as("well before the 60 s the crashed transaction would hold the topic").isLessThan(30_000);
        } finally {
            relay.close();
            t.join(10_000);
            dead.close(Duration.ZERO);
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
