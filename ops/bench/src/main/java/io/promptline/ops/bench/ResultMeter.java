package io.promptline.ops.bench;

import io.promptline.avro.Priority;
import io.promptline.avro.PromptResult;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.runtime.Threads;
import io.promptline.serde.AvroDeserializer;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Reads the results topic as a downstream application does (read_committed) and matches each
 * result, by its key (the request_id), with the moment the load generator published the request:
 * end-to-end latency per tier, and the count of results.
 */
final class ResultMeter implements AutoCloseable {
    private static final long MAX_LATENCY_MS = Duration.ofHours(1).toMillis();
    private static final long SLOT_MS = 100;

    private final KafkaConsumer<String, byte[]> consumer;
    private final Load.Ledger ledger;
    private final Map<Priority, Recorder> latencies = new EnumMap<>(Priority.class);
    private final AtomicLong received = new AtomicLong();
    private final Map<Priority, AtomicLong> receivedByTier = new EnumMap<>(Priority.class);
    /** Results per tier by the 100 ms slot of their record timestamp (when the system under test produced them). */
    private final Map<Priority, Map<Long, LongAdder>> producedBySlot = new EnumMap<>(Priority.class);
    private volatile long latestTimestamp;
    private final AtomicLong unmatched = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile RuntimeException failure;

    /** Where an urgent request's end-to-end time went (ms), from the result's own timings. */
    enum Stage { QUEUED, CALL, APPLY, VISIBLE }

    private final Map<Stage, Recorder> urgentStages = new EnumMap<>(Stage.class);
    private final AvroDeserializer<PromptResult> results;

    ResultMeter(String bootstrap, String registryUrl, String resultsTopic, Load.Ledger ledger) {
        // Set before the meter thread starts, which reads it.
        this.results = new AvroDeserializer<>(new RestSchemaRegistryClient(registryUrl), PromptResult.class);
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "bench-meter-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, System.getenv().getOrDefault("BENCH_METER_ISOLATION", "read_committed"),
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000),
                new StringDeserializer(), new ByteArrayDeserializer());
        this.ledger = ledger;
        for (Stage st : Stage.values()) urgentStages.put(st, new Recorder(MAX_LATENCY_MS, 3));
        for (Priority p : Priority.values()) {
            latencies.put(p, new Recorder(MAX_LATENCY_MS, 3));
            receivedByTier.put(p, new AtomicLong());
            producedBySlot.put(p, new ConcurrentHashMap<>());
        }
        consumer.subscribe(List.of(resultsTopic));
        this.thread = new Thread(this::run, "bench-result-meter");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    long now = System.currentTimeMillis();
                    Load.Sent sent = ledger.take(r.key());
                    received.incrementAndGet();
                    if (sent == null) {
                        unmatched.incrementAndGet();
                        continue;
                    }
                    receivedByTier.get(sent.tier()).incrementAndGet();
                    producedBySlot.get(sent.tier()).computeIfAbsent(r.timestamp() / SLOT_MS, k -> new LongAdder()).increment();
                    latestTimestamp = Math.max(latestTimestamp, r.timestamp());
                    latencies.get(sent.tier()).recordValue(Math.min(MAX_LATENCY_MS, Math.max(0, now - sent.createdAtMillis())));
                    if (sent.tier() == Priority.URGENT) stages(r, sent, now);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Results seen so far. */
    long received() {
        requireHealthy();
        return received.get();
    }

    private void stages(ConsumerRecord<String, byte[]> r, Load.Sent sent, long now) {
        PromptResult p = results.deserialize(r.topic(), r.value());
        long completed = p.getCompletedAt().toEpochMilli();
        record(Stage.QUEUED, p.getQueueTimeMs());
        record(Stage.CALL, p.getCallLatencyMs());
        record(Stage.APPLY, completed - sent.createdAtMillis() - p.getQueueTimeMs() - p.getCallLatencyMs());
        record(Stage.VISIBLE, now - completed);
    }

    private void record(Stage stage, long ms) {
        urgentStages.get(stage).recordValue(Math.min(MAX_LATENCY_MS, Math.max(0, ms)));
    }

    /** The urgent requests' stage times (ms) since {@link #startWindow()}. */
    Map<Stage, Histogram> urgentStages() {
        Map<Stage, Histogram> out = new EnumMap<>(Stage.class);
        urgentStages.forEach((st, rec) -> out.put(st, rec.getIntervalHistogram()));
        return out;
    }

    /** Results of this run's requests to {@code tier} seen so far. */
    long received(Priority tier) {
        requireHealthy();
        return receivedByTier.get(tier).get();
    }

    /**
     * Results of {@code tier} that the system under test produced (record timestamp) in
     * [fromMillis, toMillis), rounded to 100 ms slots: unlike counting reads, a meter that lags
     * behind at the start of a window cannot inflate it.
     */
    long producedBetween(Priority tier, long fromMillis, long toMillis) {
        requireHealthy();
        long total = 0;
        for (var e : producedBySlot.get(tier).entrySet()) {
            if (e.getKey() >= fromMillis / SLOT_MS && e.getKey() < toMillis / SLOT_MS) total += e.getValue().sum();
        }
        return total;
    }

    /** Waits until the meter has read results produced after {@code millis} (or the timeout passed). */
    boolean awaitCaughtUp(long millis, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (latestTimestamp < millis) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(50);
        }
        return true;
    }

    /** Results whose request this run did not publish, or that arrived twice. */
    long unmatched() {
        return unmatched.get();
    }

    /** Forgets the latencies recorded so far: the measurement window starts. */
    void startWindow() {
        latencies.values().forEach(Recorder::reset);
        urgentStages.values().forEach(Recorder::reset);
    }

    /** The end-to-end latencies (ms) of each tier since {@link #startWindow()}. */
    Map<Priority, Histogram> windowLatencies() {
        Map<Priority, Histogram> out = new EnumMap<>(Priority.class);
        latencies.forEach((tier, rec) -> out.put(tier, rec.getIntervalHistogram()));
        return out;
    }

    private void requireHealthy() {
        if (failure != null) throw new IllegalStateException("result meter failed: " + failure.getMessage(), failure);
    }

    @Override
    public void close() {
        running = false;
        Threads.stop(thread, consumer::wakeup, Duration.ofSeconds(10));
    }
}
