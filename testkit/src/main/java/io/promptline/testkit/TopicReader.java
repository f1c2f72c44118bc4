package io.promptline.testkit;

import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.serde.AvroDeserializer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Reads a topic from the beginning as a downstream application would: read_committed, Confluent Avro. */
public final class TopicReader {
    private TopicReader() {
    }

    /**
     * Reads until {@code expected} values arrived or the timeout passed, then keeps reading for
     * {@code settle} so that records beyond the expected count (duplicates) are seen too.
     */
    public static <T extends SpecificRecord> List<T> readCommitted(String bootstrap, String registryUrl, String topic,
                                                                   Class<T> type, int expected, Duration timeout, Duration settle) {
        return readCommitted(bootstrap, new RestSchemaRegistryClient(registryUrl), topic, type, expected, timeout, settle);
    }

    /** {@link #readCommitted(String, String, String, Class, int, Duration, Duration)} through a given registry client (e.g. with credentials). */
    public static <T extends SpecificRecord> List<T> readCommitted(String bootstrap, io.promptline.registry.SchemaRegistryClient registry,
                                                                   String topic, Class<T> type, int expected, Duration timeout,
                                                                   Duration settle) {
        return readCommitted(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), registry, topic, type, expected, timeout, settle);
    }

    /** As above with the client settings {@code kafka} (bootstrap servers, and e.g. SASL), without a consumer group (assigned partitions). */
    public static <T extends SpecificRecord> List<T> readCommitted(Map<String, Object> kafka, io.promptline.registry.SchemaRegistryClient registry,
                                                                   String topic, Class<T> type, int expected, Duration timeout,
                                                                   Duration settle) {
        List<T> out = new ArrayList<>();
        Map<String, Object> config = new java.util.HashMap<>(kafka);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
        try (KafkaConsumer<String, T> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new AvroDeserializer<>(registry, type))) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
            }
            long extra = System.nanoTime() + settle.toNanos();
            while (System.nanoTime() < extra) consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
        }
        return out;
    }

    /** How many committed records the topic holds now (end offsets under read_committed, minus nothing: no compaction). */
    public static long countCommitted(String bootstrap, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            var partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long count = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            var end = consumer.endOffsets(partitions);
            while (System.nanoTime() < deadline && partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                count += consumer.poll(Duration.ofMillis(200)).count();
            }
            return count;
        }
    }
}
