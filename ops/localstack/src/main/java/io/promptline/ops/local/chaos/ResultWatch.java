package io.promptline.ops.local.chaos;

import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Watches the results topic as a read_committed consumer sees it: when each request_id (the
 * record key) first became visible, and how many results repeated a request_id already seen.
 */
final class ResultWatch implements AutoCloseable {
    private final Map<String, Long> seen = new ConcurrentHashMap<>();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean running = true;

    ResultWatch(String bootstrapServers, String topic) {
        Map<String, Object> c = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.GROUP_ID_CONFIG, "result-watch-" + System.nanoTime(), ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        thread = new Thread(() -> {
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(topic));
                while (running) {
                    var records = consumer.poll(Duration.ofMillis(100));
                    long now = System.currentTimeMillis();
                    for (ConsumerRecord<String, byte[]> r : records) {
                        if (r.value() != null && seen.putIfAbsent(r.key(), now) != null) duplicates.incrementAndGet();
                    }
                }
            } catch (RuntimeException e) {
                failure.set(e);
            }
        }, "result-watch");
        thread.setDaemon(true);
        thread.start();
    }

    int count() {
        return seen.size();
    }

    long duplicates() {
        return duplicates.get();
    }

    /** When the result of {@code requestId} became visible (epoch ms), or null. */
    Long seenAt(String requestId) {
        return seen.get(requestId);
    }

    /** Latest time a result of a request_id starting with {@code prefix} became visible (epoch ms; 0: none). */
    long last(String prefix) {
        return times(prefix).max().orElse(0);
    }

    /** Earliest time a result of a request_id starting with {@code prefix} became visible (epoch ms; 0: none). */
    long first(String prefix) {
        return times(prefix).min().orElse(0);
    }

    /** Results of request_ids starting with {@code prefix}. */
    long count(String prefix) {
        return times(prefix).count();
    }

    private java.util.stream.LongStream times(String prefix) {
        return seen.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToLong(Map.Entry::getValue);
    }

    /** Waits for {@code n} distinct results, printing progress every 15 s; false on timeout. */
    boolean await(int n, Duration timeout, PrintStream out) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        int lastCount = 0;
        while (count() < n) {
            RuntimeException e = failure.get();
            if (e != null) throw new IllegalStateException("the results watcher failed", e);
            if (System.nanoTime() > deadline) return false;
            if (System.nanoTime() > nextReport) {
                int now = count();
                out.printf("  %,d of %,d results (%,d/s over the last 15 s)%n", now, n, (now - lastCount) / 15);
                lastCount = now;
                nextReport += TimeUnit.SECONDS.toNanos(15);
            }
            Thread.sleep(100);
        }
        return true;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(10_000);
    }

    /**
     * Publishes {@code n} prompts made by {@code prompt} and waits for every acknowledgement.
     *
     * @return how many were acknowledged (all of them)
     */
    static long publish(PromptlineProducer producer, int n, IntFunction<Prompt> prompt) throws InterruptedException {
        AtomicLong acked = new AtomicLong();
        AtomicReference<Throwable> error = new AtomicReference<>();
        for (int i = 0; i < n; i++) {
            producer.submit(prompt.apply(i)).whenComplete((id, e) -> {
                if (e == null) acked.incrementAndGet();
                else error.compareAndSet(null, e);
            });
        }
        producer.flush();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (acked.get() < n && error.get() == null && System.nanoTime() < deadline) Thread.sleep(50);
        if (error.get() != null) throw new IllegalStateException("publishing failed", error.get());
        if (acked.get() < n) throw new IllegalStateException(acked.get() + " of " + n + " prompts acknowledged in 2 minutes");
        return acked.get();
    }
}
