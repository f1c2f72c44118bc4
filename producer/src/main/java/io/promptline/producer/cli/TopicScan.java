package io.promptline.producer.cli;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/** Reads topics as a downstream application does (read_committed, no consumer group): to their current end, or on. */
final class TopicScan {
    private TopicScan() {
    }

    /** Every record from the beginning to the end offsets at the start of the scan. */
    static void toEnd(Map<String, Object> kafka, List<String> topics, Consumer<ConsumerRecord<byte[], byte[]>> each) {
        try (KafkaConsumer<byte[], byte[]> c = consumer(kafka)) {
            List<TopicPartition> parts = partitions(c, topics);
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            while (parts.stream().anyMatch(p -> c.position(p) < end.get(p))) {
                c.poll(Duration.ofMillis(200)).forEach(each);
            }
        }
    }

    /** Records from the beginning or from now, until {@code stop}; {@code follow} false stops at the current end. */
    static void follow(Map<String, Object> kafka, List<String> topics, boolean fromBeginning, boolean follow, BooleanSupplier stop,
                       Consumer<ConsumerRecord<byte[], byte[]>> each) {
        try (KafkaConsumer<byte[], byte[]> c = consumer(kafka)) {
            List<TopicPartition> parts = partitions(c, topics);
            c.assign(parts);
            if (fromBeginning) c.seekToBeginning(parts);
            else c.seekToEnd(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            while (!stop.getAsBoolean()) {
                c.poll(Duration.ofMillis(200)).forEach(each);
                if (!follow && parts.stream().allMatch(p -> c.position(p) >= end.get(p))) return;
            }
        }
    }

    private static KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> kafka) {
        Map<String, Object> cfg = new HashMap<>(kafka);
        cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cfg.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cfg.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2_000);
        return new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> c, List<String> topics) {
        List<TopicPartition> out = new ArrayList<>();
        for (String t : topics) {
            var infos = c.partitionsFor(t, Duration.ofSeconds(15));
            if (infos == null || infos.isEmpty()) throw new IllegalStateException("topic " + t + " does not exist");
            infos.forEach(p -> out.add(new TopicPartition(t, p.partition())));
        }
        return out;
    }
}
