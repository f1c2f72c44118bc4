package io.promptline.ops.local.chaos;

import io.promptline.avro.Priority;
import io.promptline.avro.Quota;
import io.promptline.avro.TierLimit;
import io.promptline.metrics.PrometheusText;
import io.promptline.ops.simulator.FaultRates;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.serde.AvroSerializer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One chaos run: the stack, the load and the schedule of one seed, then the checks. The load runs
 * for the run's length while the schedule's events break things; then the faults stop, every part
 * is up, and the run waits until every published request has ended before it checks the invariants.
 */
final class ChaosRun {
    /** A limited tenant's requests per minute on each tier (its offered load is about 1.25 times that, for the first half). */
    static final long LIMIT_PER_MINUTE = 60;

    private final long seed;
    private final Duration length;
    private final double ratePerSecond;
    private final Path dir;
    private final PrintStream out;
    private final AtomicLong maxHeap = new AtomicLong();
    private ChaosLoad load;

    ChaosRun(long seed, Duration length, double ratePerSecond, Path dir, PrintStream out) {
        this.seed = seed;
        this.length = length;
        this.ratePerSecond = ratePerSecond;
        this.dir = dir;
        this.out = out;
    }

    /** Runs and checks on {@code brokers} Kafka nodes (1, or 3 with replicated topics); returns the failures (empty: the invariants held). */
    List<String> run(int processors, int brokers) throws Exception {
        ChaosSchedule schedule = ChaosSchedule.make(seed, length, processors);
        out.print(schedule.describe());
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
        try (ChaosStack stack = new ChaosStack(dir, processors, brokers)) {
            long t0 = System.nanoTime();
            stack.start();
            out.printf("stack up in %.1f s: %d broker(s) %s, registry %s, simulator %s, %d processors, sink%n", (System.nanoTime() - t0) / 1e9,
                    brokers, stack.broker().bootstrapServers(), stack.registryUrl(), stack.simulator().baseUrl(), processors);
            setQuotas(stack, LIMIT_PER_MINUTE);
            timer.scheduleAtFixedRate(() -> sampleHeap(stack), 5, 5, TimeUnit.SECONDS);
            ChaosLoad publishing = new ChaosLoad(seed, stack.broker().bootstrapServers(), stack.registryUrl(), stack.topics());
            load = publishing;
            try (publishing) {
                long start = System.nanoTime();
                for (ChaosSchedule.Event e : schedule.events()) {
                    timer.schedule(() -> apply(stack, e), e.at().toMillis(), TimeUnit.MILLISECONDS);
                }
                publish(load, start);
                load.flush();
            }
            out.printf("load done: %d requests published (%s), %d duplicates injected, %d sends failed%n", load.published().size(),
                    load.byPublisher(), load.injectedDuplicates(), load.failedSends());
            timer.shutdown();
            timer.awaitTermination(5, TimeUnit.MINUTES);
            stack.simulator().faults(FaultRates.NONE);
            return check(stack, load);
        } finally {
            timer.shutdownNow();
        }
    }

    /** Publishes at the run's rate for its length, printing progress every 30 s. */
    private void publish(ChaosLoad load, long start) throws InterruptedException {
        long n = 0;
        long nextReport = 30;
        while (System.nanoTime() - start < length.toNanos()) {
            long elapsed = System.nanoTime() - start;
            load.next(elapsed < length.toNanos() / 2);
            n++;
            long due = start + (long) (n * 1e9 / ratePerSecond);
            long sleep = (due - System.nanoTime()) / 1_000_000;
            if (sleep > 0) Thread.sleep(sleep);
            if (elapsed / 1_000_000_000L >= nextReport) {
                out.printf("  %4d s: %d published%n", nextReport, load.published().size());
                nextReport += 30;
            }
        }
    }

    private List<String> check(ChaosStack stack, ChaosLoad load) throws InterruptedException {
        ChaosChecks checks = new ChaosChecks(stack);
        long waited = System.nanoTime();
        long deadline = waited + TimeUnit.MINUTES.toNanos(15);
        // Past the longest hold-off (a 90 s Retry-After, capped by the processors' max pause) and the top rung of the
        // ladder, a run where no request ended for this long is stuck, not slow.
        long stuckAfter = TimeUnit.SECONDS.toNanos(180);
        int ended = checks.ended(load.published());
        long lastProgress = System.nanoTime();
        while (ended < load.published().size() && System.nanoTime() < deadline && System.nanoTime() - lastProgress < stuckAfter) {
            Thread.sleep(5_000);
            int now = checks.ended(load.published());
            if (now > ended) lastProgress = System.nanoTime();
            ended = now;
        }
        out.printf("%d of %d requests ended %.0f s after the load%s%n", ended, load.published().size(), (System.nanoTime() - waited) / 1e9,
                ended == load.published().size() ? "" : " (no progress for " + (System.nanoTime() - lastProgress) / 1_000_000_000L + " s)");
        if (ended < load.published().size()) ChaosDiagnosis.print(stack, out);
        checks.exactlyOnce(load.published());
        checks.costsExact();
        checks.everyCallRecorded();
        checks.sinkRowsEqualTopics(System.nanoTime() + TimeUnit.MINUTES.toNanos(3));
        Thread.sleep(3_000); // the last skips' commits
        checks.duplicatesCounted(load.injectedDuplicates());
        checks.heap(maxHeap.get(), 384L << 20);
        stack.exitedOnTheirOwn().forEach(p -> checks.failures.add("a deployable exited on its own: " + p));
        checks.figures.forEach((k, v) -> out.printf("  %-46s %s%n", k, v));
        return checks.failures;
    }

    private void apply(ChaosStack stack, ChaosSchedule.Event e) {
        out.printf("%s  %s%n", Instant.now(), e);
        try {
            switch (e.kind()) {
                case PROCESSOR_KILL -> {
                    stack.killProcessor(e.target());
                    Thread.sleep(e.lasts().toMillis());
                    stack.restartProcessor(e.target());
                }
                case PROCESSOR_RESTART -> {
                    stack.stopProcessor(e.target());
                    Thread.sleep(e.lasts().toMillis());
                    stack.restartProcessor(e.target());
                }
                case BROKER_KILL -> {
                    stack.killBroker();
                    Thread.sleep(e.lasts().toMillis());
                    stack.restartBroker();
                }
                case REGISTRY_OUTAGE -> {
                    stack.stopRegistry();
                    Thread.sleep(e.lasts().toMillis());
                    stack.restartRegistry();
                }
                case POSTGRES_OUTAGE -> {
                    stack.stopPostgres();
                    Thread.sleep(e.lasts().toMillis());
                    stack.restartPostgres();
                }
                case PROVIDER_429 -> window(stack, new FaultRates(0.3, 0, 0, 0, 0, 0, 0), e.lasts());
                case PROVIDER_5XX -> window(stack, new FaultRates(0, 0.1, 0.2, 0, 0, 0, 0), e.lasts());
                case PROVIDER_TIMEOUTS -> window(stack, new FaultRates(0, 0, 0, 0.05, 0.05, 0, 0), e.lasts());
                case PROVIDER_401 -> window(stack, new FaultRates(0, 0, 0, 0, 0, 0, 1.0), e.lasts());
                case LONG_RETRY_AFTER -> {
                    load.longRetryAfter(true); // new requests ask for a 429 with a 90 s Retry-After, once
                    Thread.sleep(e.lasts().toMillis());
                    load.longRetryAfter(false);
                }
                case QUOTA_CHANGE -> setQuotas(stack, LIMIT_PER_MINUTE * 2);
                case PARTITION_INCREASE -> {
                    try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.broker().bootstrapServers()))) {
                        admin.createPartitions(Map.of(stack.topics().requests(Priority.BATCH), NewPartitions.increaseTo(ChaosStack.PARTITIONS + 1)))
                                .all().get(60, TimeUnit.SECONDS);
                    }
                }
            }
        } catch (Exception ex) {
            out.printf("chaos: event %s failed: %s%n", e.kind(), ex);
        }
    }

    private static void window(ChaosStack stack, FaultRates rates, Duration lasts) throws InterruptedException {
        stack.simulator().faults(rates);
        Thread.sleep(lasts.toMillis());
        stack.simulator().faults(FaultRates.NONE);
    }

    private static void setQuotas(ChaosStack stack, long perMinute) throws Exception {
        try (KafkaProducer<String, Quota> p = new KafkaProducer<>(Map.of("bootstrap.servers", stack.broker().bootstrapServers()),
                new StringSerializer(), new AvroSerializer<>(new RestSchemaRegistryClient(stack.registryUrl()), true))) {
            for (String tenant : ChaosLoad.LIMITED) {
                List<TierLimit> limits = new ArrayList<>();
                for (Priority tier : Priority.values()) limits.add(new TierLimit(tier, perMinute, null));
                p.send(new ProducerRecord<>(stack.topics().quotas(), tenant, Quota.newBuilder().setTenant(tenant).setLimits(limits)
                        .setUpdatedAt(Instant.now()).build())).get(60, TimeUnit.SECONDS);
            }
        }
    }

    private void sampleHeap(ChaosStack stack) {
        for (int port : stack.liveMetricsPorts()) {
            try {
                double heap = PrometheusText.scrape("http://127.0.0.1:" + port + "/metrics?name[]=jvm_memory_used_bytes")
                        .sum("jvm_memory_used_bytes", Map.of("area", "heap"));
                maxHeap.accumulateAndGet((long) heap, Math::max);
            } catch (RuntimeException e) {
                // a processor starting or down: nothing to sample
            }
        }
    }
}
