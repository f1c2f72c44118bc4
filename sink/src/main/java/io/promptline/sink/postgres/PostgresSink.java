package io.promptline.sink.postgres;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.promptline.metrics.MetricsEndpoint;
import io.promptline.avro.CostEvent;
import io.promptline.avro.CostRollup;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.PromptResult;
import io.promptline.registry.RegistryException;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.runtime.Threads;
import io.promptline.serde.AvroDeserializer;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Consumes results, cost events, dead letters and hourly cost roll-ups (read_committed) and writes them to
 * PostgreSQL. Each poll is one database transaction; offsets are committed only after it, so a
 * crash replays records into idempotent upserts: no row and no cent is doubled or lost.
 *
 * <p>It outlives what it can wait for: a database outage stalls it (retried with backoff; if the
 * group moved its partitions on meanwhile, the commit fails, the records are read again and the
 * upserts change nothing), and a registry it cannot reach makes it read the batch again after a
 * pause. It is not ready while either lasts. A stop while the database fails ends it quietly,
 * without committing: the next start writes those records.
 */
public final class PostgresSink implements Runnable, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PostgresSink.class);
    private static final long REGISTRY_RETRY_MS = 1_000;

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final PostgresWriter writer;
    private final Topics topics;
    private final Duration pollTimeout;
    private final AvroDeserializer<PromptResult> results;
    private final AvroDeserializer<CostEvent> costs;
    private final AvroDeserializer<DeadLetter> deadLetters;
    private final AvroDeserializer<CostRollup> rollups;
    private final AtomicBoolean running = new AtomicBoolean(true);
    /** Whether the last batch was written (false while the database or the registry fails). */
    private volatile boolean writing = true;
    private final AtomicLong written = new AtomicLong();
    private final PrometheusMeterRegistry meters = MetricsEndpoint.newRegistry("promptline-sink");
    private final KafkaClientMetrics consumerMetrics;
    private final Timer batchTimer;

    public PostgresSink(Map<String, Object> consumerConfig, SchemaRegistryClient registry, Topics topics,
                        PostgresWriter writer, Duration pollTimeout) {
        Map<String, Object> cfg = new HashMap<>(consumerConfig);
        cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cfg.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cfg.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        this.consumer = new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.writer = writer;
        this.topics = topics;
        this.pollTimeout = pollTimeout;
        this.results = new AvroDeserializer<>(registry, PromptResult.class);
        this.costs = new AvroDeserializer<>(registry, CostEvent.class);
        this.deadLetters = new AvroDeserializer<>(registry, DeadLetter.class);
        this.rollups = new AvroDeserializer<>(registry, CostRollup.class);
        this.consumerMetrics = new KafkaClientMetrics(consumer);
        consumerMetrics.bindTo(meters);
        this.batchTimer = Timer.builder("promptline.sink.batch").description("Writing one poll's records to PostgreSQL, retries included")
                .publishPercentileHistogram().register(meters);
    }

    /** The sink's meters: records written per topic, rejects, batch time, and the consumer's own (lag among them). */
    public PrometheusMeterRegistry meters() {
        return meters;
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(topics.results(), topics.costs(), topics.dlq(), topics.costsHourly()));
            while (running.get()) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(pollTimeout);
                if (records.isEmpty()) continue;
                SinkBatch batch;
                try {
                    batch = decode(records);
                } catch (RegistryException e) {
                    readAgainLater(records, e);
                    continue;
                }
                long start = System.nanoTime();
                if (!writeWithRetry(batch)) break; // stopping: not committed, written again at the next start
                batchTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                writing = true;
                commit(batch);
            }
        } catch (WakeupException e) {
            if (running.get()) throw e;
        } finally {
            consumerMetrics.close();
            consumer.close(Duration.ofSeconds(10));
        }
    }

    private void count(SinkBatch batch) {
        batch.countsByTopic().forEach((topic, n) -> Counter.builder("promptline.sink.records").tag("topic", topic)
                .description("Records written to PostgreSQL (upserts: a replay writes again, changes nothing)").register(meters).increment(n));
        if (batch.rejectCount() > 0) {
            Counter.builder("promptline.sink.rejects").description("Records kept in sink_rejects instead of their table")
                    .register(meters).increment(batch.rejectCount());
        }
    }

    private SinkBatch decode(ConsumerRecords<byte[], byte[]> records) {
        SinkBatch batch = new SinkBatch();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            if (r.value() == null) {
                batch.addReject(new SinkBatch.Reject(r.topic(), r.partition(), r.offset(), "record value is null", null));
                continue;
            }
            try {
                if (r.topic().equals(topics.results())) {
                    batch.addResult(r.topic(), r.partition(), r.offset(), r.value(), results.deserialize(r.topic(), r.value()));
                } else if (r.topic().equals(topics.costs())) {
                    batch.addCost(r.topic(), r.partition(), r.offset(), r.value(), costs.deserialize(r.topic(), r.value()));
                } else if (r.topic().equals(topics.costsHourly())) {
                    batch.addRollup(r.topic(), r.partition(), r.offset(), r.value(), rollups.deserialize(r.topic(), r.value()));
                } else {
                    batch.addDeadLetter(r.topic(), r.partition(), r.offset(), r.value(), deadLetters.deserialize(r.topic(), r.value()));
                }
            } catch (RegistryException e) {
                if (!(e instanceof RegistryException.UnknownSchemaId)) throw e; // registry trouble, not bad data: read again later
                reject(batch, r, e);
            } catch (SerializationException e) {
                reject(batch, r, e);
            }
        }
        return batch;
    }

    private static void reject(SinkBatch batch, ConsumerRecord<byte[], byte[]> r, Exception e) {
        log.error("Undecodable record {}-{}@{} kept in sink_rejects: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
        batch.addReject(new SinkBatch.Reject(r.topic(), r.partition(), r.offset(), String.valueOf(e.getMessage()), r.value()));
    }

    /**
     * Commits what was written. If the group moved the partitions on while the database was failing
     * (longer than max.poll.interval.ms), the commit is refused: the records come again from the new
     * owner or after rejoining, and their upserts change nothing.
     */
    private void commit(SinkBatch batch) {
        try {
            consumer.commitSync();
            written.addAndGet(batch.size());
            count(batch);
        } catch (CommitFailedException | RebalanceInProgressException e) {
            log.warn("Wrote {} records but the group moved their partitions on meanwhile ({}); they are read again, and their upserts "
                    + "change nothing", batch.size(), e.getMessage());
        }
    }

    /** The registry cannot be reached: the batch is read again from its first records after a pause, so nothing is skipped. */
    private void readAgainLater(ConsumerRecords<byte[], byte[]> records, RegistryException e) {
        writing = false;
        log.warn("Cannot decode records ({}); reading them again in {} ms", e.getMessage(), REGISTRY_RETRY_MS);
        for (TopicPartition tp : records.partitions()) consumer.seek(tp, records.records(tp).get(0).offset());
        Threads.sleep(REGISTRY_RETRY_MS);
    }

    /**
     * A database outage stalls the sink (Kafka keeps the records) instead of skipping them; false
     * when the sink was asked to stop meanwhile (nothing is committed).
     */
    private boolean writeWithRetry(SinkBatch batch) {
        long backoff = 100;
        while (true) {
            try {
                writer.writeOrReject(batch);
                return true;
            } catch (SQLException e) {
                writing = false;
                if (!running.get()) {
                    log.info("Stopping while PostgreSQL fails ({}); {} records are written at the next start", e.getMessage(), batch.size());
                    return false;
                }
                log.warn("Writing {} records to PostgreSQL failed ({}); retrying in {} ms", batch.size(), e.getMessage(), backoff);
                if (!Threads.sleep(backoff)) return false;
                backoff = Math.min(backoff * 2, 10_000);
            }
        }
    }

    /** Whether the sink writes now (its last batch went in; false while the database or the registry fails). */
    public boolean isWriting() {
        return writing;
    }

    /** Records written since start (rows may be fewer when replays hit existing keys). */
    public long recordsWritten() {
        return written.get();
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
    }
}
