package io.promptline.topics;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads topics as a downstream application does: read_committed, without a consumer group,
 * every partition assigned. A topic that does not exist fails at once with a message naming it
 * (and what it is for, when the caller says). Not thread-safe, but for {@link #wakeup()}.
 */
public final class CommittedReader implements AutoCloseable {
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(15);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<TopicPartition> partitions = new ArrayList<>();

    /**
     * @param kafka   client settings with at least bootstrap.servers
     * @param missing what to add to the message when a topic does not exist (e.g. how to create it), or ""
     */
    public CommittedReader(Map<String, Object> kafka, List<String> topics, String missing) {
        Map<String, Object> cfg = new HashMap<>(kafka);
        cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cfg.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cfg.remove(ConsumerConfig.GROUP_ID_CONFIG);
        cfg.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2_000);
        this.consumer = new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            for (String t : topics) {
                var infos = consumer.partitionsFor(t, METADATA_TIMEOUT);
                if (infos == null || infos.isEmpty()) {
                    throw new IllegalStateException("topic " + t + " does not exist" + (missing.isEmpty() ? "" : "; " + missing));
                }
                infos.forEach(p -> partitions.add(new TopicPartition(t, p.partition())));
            }
            consumer.assign(partitions);
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
    }

    /** Every record from the beginning to the end offsets at the start of the read. */
    public static void readToEnd(Map<String, Object> kafka, List<String> topics, String missing, Consumer<ConsumerRecord<byte[], byte[]>> each) {
        try (CommittedReader r = new CommittedReader(kafka, topics, missing)) {
            r.fromBeginning();
            Map<TopicPartition, Long> end = r.endOffsets();
            while (!r.reached(end)) r.poll(Duration.ofMillis(200)).forEach(each);
        }
    }

    public void fromBeginning() {
        consumer.seekToBeginning(partitions);
    }

    /** Starts at the end: only records published from now on are read. */
    public void fromEnd() {
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve the end offsets now, not at the first poll
    }

    /** Reads {@code partition} from {@code offset} on (again). */
    public void seek(TopicPartition partition, long offset) {
        consumer.seek(partition, offset);
    }

    /** Resumes every partition at a position {@link #positions()} gave; partitions not in it start at the end. */
    public void resume(Map<TopicPartition, Long> positions) {
        consumer.seekToEnd(partitions);
        positions.forEach((tp, offset) -> {
            if (partitions.contains(tp)) consumer.seek(tp, offset);
        });
    }

    /** The next offset to read of every partition. */
    public Map<TopicPartition, Long> positions() {
        Map<TopicPartition, Long> out = new HashMap<>();
        for (TopicPartition tp : partitions) out.put(tp, consumer.position(tp));
        return out;
    }

    /** The last stable offsets now. */
    public Map<TopicPartition, Long> endOffsets() {
        return consumer.endOffsets(partitions);
    }

    /** Whether every partition's position is at or past {@code end}. */
    public boolean reached(Map<TopicPartition, Long> end) {
        return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
    }

    public ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
        return consumer.poll(timeout);
    }

    /** Makes a blocked or the next {@link #poll} throw WakeupException; safe from any thread. */
    public void wakeup() {
        consumer.wakeup();
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
