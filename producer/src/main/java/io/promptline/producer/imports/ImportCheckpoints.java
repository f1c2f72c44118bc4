package io.promptline.producer.imports;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each import got to: the last line committed, per import id, in the compacted
 * {@code <base>.imports} topic (an internal topic of the CLI; values are the line number as
 * text). It is written in the same transaction as the lines it covers, so it is never ahead of
 * them nor behind them.
 */
public final class ImportCheckpoints {
    private ImportCheckpoints() {
    }

    /** The last line committed for {@code importId}, or 0 when it never ran. */
    public static long lastLine(Map<String, Object> kafka, String topic, String importId) {
        Map<String, Object> cfg = new HashMap<>(kafka);
        cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cfg.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        long last = 0;
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(cfg, new StringDeserializer(), new StringDeserializer())) {
            var infos = c.partitionsFor(topic, Duration.ofSeconds(15));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist; it keeps import checkpoints (create it compacted, "
                        + "as ops/topics.sh does)");
            }
            List<TopicPartition> parts = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            while (parts.stream().anyMatch(p -> c.position(p) < end.get(p))) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    if (importId.equals(r.key())) last = r.value() == null ? 0 : Long.parseLong(r.value());
                }
            }
        }
        return last;
    }
}
