package io.promptline.sink.alerts;

import io.promptline.avro.DeadLetter;
import io.promptline.registry.RegistryException;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.runtime.Threads;
import io.promptline.serde.AvroDeserializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Follows the DLQ in its own consumer group (from the latest record on first start, read_committed)
 * and hands each dead letter to a {@link Handler}, at least once: offsets are committed after the
 * poll's dead letters were handled. When the registry cannot be reached, or the handler cannot go on
 * (its database away), the partition is read again from that dead letter after a pause, so none is
 * passed over; a record that is not a dead letter at all (its schema unknown, not Avro) is skipped
 * with a warning (the PostgreSQL sink keeps it in {@code sink_rejects}).
 */
public final class DeadLetterFeed implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeadLetterFeed.class);
    private static final long RETRY_MS = 1_000;

    /** What is done with each dead letter. */
    public interface Handler {
        /** Handles one dead letter; throwing reads it again (and what follows it on its partition) after a pause. */
        void accept(DeadLetter d) throws Exception;

        /** Called after every poll, with or without dead letters (periodic work: summaries, answers). */
        default void afterPoll() throws Exception {
        }
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final AvroDeserializer<DeadLetter> decoder;
    private final String purpose;
    private volatile boolean running = true;

    /** @param purpose what the dead letters are read for, in log lines ("alerting", "triage") */
    public DeadLetterFeed(Map<String, Object> kafka, String groupId, String topic, SchemaRegistryClient registry, String purpose) {
        Map<String, Object> cfg = new HashMap<>(kafka);
        cfg.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cfg.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cfg.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        this.consumer = new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topic = topic;
        this.decoder = new AvroDeserializer<>(registry, DeadLetter.class);
        this.purpose = purpose;
    }

    /** Runs until {@link #close}. */
    public void run(Handler handler) {
        try {
            consumer.subscribe(List.of(topic));
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                boolean again = false;
                for (TopicPartition tp : records.partitions()) {
                    for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                        if (r.value() == null) continue;
                        String trouble = handle(handler, r);
                        if (trouble != null) {
                            log.warn("Dead letters for {}: {}; reading {} again from offset {}", purpose, trouble, tp, r.offset());
                            consumer.seek(tp, r.offset());
                            again = true;
                            break;
                        }
                    }
                }
                try {
                    handler.afterPoll();
                } catch (Exception e) {
                    log.warn("Dead letters for {}: periodic work failed ({}); trying again", purpose, e.toString());
                    again = true;
                }
                consumer.commitAsync();
                if (again) Threads.sleep(RETRY_MS);
            }
        } catch (WakeupException e) {
            if (running) throw e;
        } finally {
            try {
                consumer.commitSync(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.warn("Dead letters for {}: last commit failed ({}); the last poll's are read again on restart", purpose, e.toString());
            }
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Null when handled (or skipped as not a dead letter); else why it must be read again. */
    private String handle(Handler handler, ConsumerRecord<byte[], byte[]> r) {
        DeadLetter d;
        try {
            d = decoder.deserialize(r.topic(), r.value());
        } catch (RegistryException e) {
            if (!(e instanceof RegistryException.UnknownSchemaId)) return "cannot decode (" + e.getMessage() + ")";
            skip(r, e);
            return null;
        } catch (SerializationException e) {
            skip(r, e);
            return null;
        }
        try {
            handler.accept(d);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (Exception e) {
            return "cannot handle request " + d.getRequestId() + " (" + e + ")";
        }
    }

    private void skip(ConsumerRecord<byte[], byte[]> r, SerializationException e) {
        log.warn("Skipping undecodable dead letter {}-{}@{} for {}: {}", r.topic(), r.partition(), r.offset(), purpose, e.getMessage());
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
    }
}
