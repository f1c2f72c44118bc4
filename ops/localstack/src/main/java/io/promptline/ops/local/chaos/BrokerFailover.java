package io.promptline.ops.local.chaos;

import io.promptline.avro.Priority;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Two brokers of a three-node KRaft cluster die under load: node 2 is killed ({@code kill -9}) and
 * never comes back; while the cluster still runs without it (every partition under-replicated),
 * node 3 is killed too and restarted {@code outage} later (with two of three nodes gone the
 * controller quorum and every partition's {@code min.insync.replicas} 2 are lost, so nothing can
 * be written until it returns).
 * Two processors in their own JVMs run throughout, publishers keep publishing. Checked: every
 * request exactly once in results or the DLQ, one cost event per result at the literal price,
 * every call on the record. Measured: how long results stop arriving (read_committed, as an
 * application sees them) after each kill.
 */
public final class BrokerFailover {
    private final Duration before;
    private final Duration recovery;
    private final Duration outage;
    private final Duration after;
    private final int ratePerSecond;
    private final PrintStream out;
    final List<String> failures = new ArrayList<>();
    final Map<String, Object> figures = new java.util.LinkedHashMap<>();

    /**
     * @param before   load before the first kill
     * @param recovery from the first kill to the second (the cluster running without node 2)
     * @param outage   how long the second node stays down
     * @param after    load after the second node is back
     */
    public BrokerFailover(Duration before, Duration recovery, Duration outage, Duration after, int ratePerSecond, PrintStream out) {
        this.before = before;
        this.recovery = recovery;
        this.outage = outage;
        this.after = after;
        this.ratePerSecond = ratePerSecond;
        this.out = out;
    }

    /** Runs the scenario in {@code dir}; returns what did not hold (empty when everything did). */
    public List<String> run(Path dir) throws Exception {
        SimulatorConfig sim = SimulatorConfig.builder().latency("fixed:100").instances(2).maxRecordedCalls(1_000_000).build();
        Map<String, String> env = Map.of("PROMPTLINE_PROCESSOR_TIERS", "URGENT,NORMAL");
        try (ChaosStack stack = new ChaosStack(dir, 2, new ChaosStack.Options(sim, env, false, "failover", 3))) {
            long t0 = System.nanoTime();
            stack.start();
            out.printf("three-node cluster, registry, simulator and two processors up in %.1f s (%s)%n", (System.nanoTime() - t0) / 1e9,
                    stack.broker().bootstrapServers());
            List<Long> arrivals = new CopyOnWriteArrayList<>();
            AtomicBoolean running = new AtomicBoolean(true);
            Thread watcher = new Thread(() -> watch(stack, arrivals, running), "failover-results-watcher");
            watcher.start();
            Set<String> published = ConcurrentHashMap.newKeySet();
            List<CompletableFuture<String>> sends = Collections.synchronizedList(new ArrayList<>());
            Thread publisher = new Thread(() -> publish(stack, published, sends, running), "failover-publisher");
            publisher.start();

            long flowing = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (arrivals.isEmpty() && System.nanoTime() < flowing) Thread.sleep(100);
            if (arrivals.isEmpty()) throw new IllegalStateException("no result within 2 minutes of the start; see " + dir);
            long firstResult = arrivals.get(0);
            Thread.sleep(before.toMillis());
            long firstKill = System.currentTimeMillis();
            stack.killBroker(1);
            out.printf("kill -9 of node 2 (not restarted), %d s after the first result%n", (firstKill - firstResult) / 1000);
            Thread.sleep(recovery.toMillis());
            long secondKill = System.currentTimeMillis();
            stack.killBroker(2);
            out.printf("kill -9 of node 3, %d s after the first, the cluster still without node 2; restarted in %d s%n",
                    (secondKill - firstKill) / 1000, outage.toSeconds());
            Thread.sleep(outage.toMillis());
            long restartAt = System.currentTimeMillis();
            stack.restartBroker(2);
            long restarted = System.currentTimeMillis();
            out.printf("node 3 serves again %d ms after its restart began%n", restarted - restartAt);
            Thread.sleep(after.toMillis());
            running.set(false);
            publisher.join();
            int failedSends = 0;
            for (CompletableFuture<String> f : List.copyOf(sends)) {
                try {
                    f.get(3, TimeUnit.MINUTES);
                } catch (Exception e) {
                    failedSends++;
                }
            }
            figures.put("publishes that failed (not counted as published)", failedSends);

            ChaosChecks checks = new ChaosChecks(stack);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
            while (checks.ended(published) < published.size() && System.nanoTime() < deadline) Thread.sleep(2_000);
            watcher.join();
            checks.exactlyOnce(published);
            checks.costsExact();
            checks.everyCallRecorded();
            failures.addAll(checks.failures);
            figures.putAll(checks.figures);
            figures.put("longest gap between results before the kills, s", stall(arrivals, firstResult, firstKill));
            figures.put("stall after the first kill (node 2, for good), s", stall(arrivals, firstKill, secondKill));
            figures.put("stall after the second kill (node 3, restarted after " + outage.toSeconds() + " s; its start took "
                    + (restarted - restartAt) / 1000 + " s), s", stall(arrivals, secondKill, Long.MAX_VALUE));
            List<String> exited = stack.exitedOnTheirOwn();
            if (!exited.isEmpty()) failures.add("processes exited on their own: " + exited);
        }
        return failures;
    }

    /**
     * The longest time, in seconds, an application saw no new result within [{@code from},
     * {@code until}): between {@code from} and the first result after it, or between two results.
     */
    static String stall(List<Long> arrivals, long from, long until) {
        List<Long> sorted = new ArrayList<>(arrivals);
        Collections.sort(sorted);
        long previous = from;
        long longest = 0;
        for (long t : sorted) {
            if (t < from) continue;
            if (t >= until) break;
            longest = Math.max(longest, t - previous);
            previous = t;
        }
        return String.format("%.1f", longest / 1000.0);
    }

    private void publish(ChaosStack stack, Set<String> published, List<CompletableFuture<String>> sends, AtomicBoolean running) {
        try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(stack.broker().bootstrapServers())
                .schemaRegistryUrl(stack.registryUrl()).topics(stack.topics()).build()) {
            long next = System.nanoTime();
            int i = 0;
            while (running.get()) {
                String id = "failover-" + i;
                Priority tier = i % 5 == 0 ? Priority.URGENT : Priority.NORMAL;
                CompletableFuture<String> f = producer.submit(Prompt.builder("tenant-" + (i % 6)).requestId(id).priority(tier)
                        .model(i % 2 == 0 ? "gpt-4.1" : "gpt-4.1-mini").user("question " + i).maxTokens(100).build());
                sends.add(f.whenComplete((ok, e) -> {
                    if (e == null) published.add(ok);
                }));
                i++;
                next += TimeUnit.SECONDS.toNanos(1) / ratePerSecond;
                long wait = next - System.nanoTime();
                if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
            }
            producer.flush();
        } catch (Exception e) {
            failures.add("the publisher failed: " + e);
        }
    }

    /** Notes when each result becomes visible to a read_committed consumer, until the run ends and the results stop. */
    private void watch(ChaosStack stack, List<Long> arrivals, AtomicBoolean running) {
        Map<String, Object> c = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker().bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.GROUP_ID_CONFIG, "failover-watcher-" + System.nanoTime(), ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        long quietSince = System.currentTimeMillis();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(stack.topics().results()));
            while (running.get() || System.currentTimeMillis() - quietSince < 20_000) {
                var records = consumer.poll(Duration.ofMillis(200));
                long now = System.currentTimeMillis();
                for (ConsumerRecord<byte[], byte[]> ignored : records) arrivals.add(now);
                if (!records.isEmpty()) quietSince = now;
            }
        } catch (RuntimeException e) {
            failures.add("the results watcher failed: " + e);
        }
    }
}
