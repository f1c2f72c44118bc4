package io.promptline.ops.bench;

import io.promptline.avro.Priority;
import io.promptline.metrics.PrometheusText;
import io.promptline.ops.bench.RunSpec.Kind;
import io.promptline.ops.bench.RunSpec.SystemUnderTest;
import io.promptline.ops.bench.peer.BaselineSettings;
import io.promptline.ops.bench.peer.ParallelConsumerBaseline;
import io.promptline.ops.bench.baseline.SemaphoreConsumerBaseline;
import io.promptline.ops.bench.baseline.SyncStreamsBaseline;
import io.promptline.processor.ProcessorMain;
import io.promptline.runtime.ChildJvm;
import io.promptline.topics.Topics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs one {@link RunSpec}: fresh topics, a backlog kept ahead of the results, the system under
 * test in its own JVM, a warm-up, then a measurement window sampled every second.
 */
final class Runner {
    static final int PARTITIONS = 6;
    /** Processor heap, the design's memory target. */
    static final String PROCESSOR_HEAP = "-Xmx512m";
    static final double BATCH_SHARE = 0.70;

    private final Infra infra;
    private final BenchOptions options;
    private final Path dir;

    Runner(Infra infra, BenchOptions options, Path dir) {
        this.infra = infra;
        this.options = options;
        this.dir = dir;
    }

    private static final Duration STEADY_SLICE = Duration.ofSeconds(5);
    private static final int STEADY_SLICES = 3;
    private static final double STEADY_TOLERANCE = 0.05;

    /** Measures one run against its structural bound; the benchmark applies the CPU ceiling once all runs are done. */
    Measurement run(RunSpec spec) throws InterruptedException {
        Topics topics = infra.newTopics(spec.label(), PARTITIONS);
        String app = "bench-" + topics.base();
        var sim = infra.simulator(spec.latencySpec());
        sim.reset();
        Priority backlogTier = spec.kind() == Kind.PRIORITY ? Priority.BATCH : Priority.NORMAL;
        Load.Ledger ledger = new Load.Ledger();
        List<AutoCloseable> open = new ArrayList<>();
        try (ResultMeter meter = new ResultMeter(infra.bootstrap(), infra.registryUrl(), topics.results(), ledger)) {
            // Deep enough that the load generator never limits the run: by Little's law a closed loop of
            // depth D and end-to-end latency E caps throughput at D / E.
            int depth = 20_000 + 4 * spec.concurrency();
            open.add(Load.backlog(infra.bootstrap(), infra.registryUrl(), topics, ledger, topics.base(), backlogTier, depth,
                    () -> meter.received(backlogTier)));
            int metricsPort = spec.system() == SystemUnderTest.PROMPTLINE ? freePort() : -1;
            ChildJvm jvm = launch(spec, topics, app, sim.baseUrl(), metricsPort);
            open.add(jvm);
            awaitFirstResult(spec, meter, jvm);
            if (spec.kind() == Kind.PRIORITY) {
                // Urgent traffic warms up with everything else; only its latencies inside the window count.
                open.add(Load.steady(infra.bootstrap(), infra.registryUrl(), topics, ledger, topics.base(), Priority.URGENT,
                        spec.urgentPerSecond()));
            }
            double warmedSeconds = warmUp(meter, backlogTier);
            meter.startWindow();
            Window w = new Window(jvm, metricsPort);
            long count0 = meter.received(backlogTier);
            long wall0 = System.currentTimeMillis();
            long t0 = System.nanoTime();
            long end = t0 + options.window().toNanos();
            long nextReport = t0 + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < end) {
                Thread.sleep(1000);
                w.sample();
                if (System.nanoTime() >= nextReport) {
                    nextReport += Duration.ofSeconds(10).toNanos();
                    double secs = (System.nanoTime() - t0) / 1e9;
                    System.out.printf("      %5.0f s  %,d results (%.0f/s)%n", secs, meter.received(backlogTier) - count0,
                            (meter.received(backlogTier) - count0) / secs);
                }
            }
            long wall1 = System.currentTimeMillis();
            w.finish();
            // Count what was produced in the window, once the meter has read past its end.
            if (!meter.awaitCaughtUp(wall1 + 1000, Duration.ofSeconds(30))) {
                System.err.println("bench: the result meter did not catch up with " + spec.label() + "; its rate may be low");
            }
            double seconds = (wall1 - wall0) / 1000.0;
            double rate = meter.producedBetween(backlogTier, wall0, wall1) / seconds;
            Bound bound = bound(spec, Double.NaN);
            return new Measurement(spec, warmedSeconds, seconds, rate, bound.perSecond(), bound.reason(), w.cpuCores(seconds),
                    w.machineCores(seconds), w.rssMaxMb, w.heapMaxMb, w.oldGenMaxMb, w.gcPercent(seconds),
                    meter.windowLatencies(), meter.urgentStages(), meter.unmatched());
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                try {
                    open.get(i).close();
                } catch (Exception e) {
                    System.err.println("bench: while stopping " + spec.label() + ": " + e);
                }
            }
            infra.deleteTopics(topics, app);
        }
    }

    /**
     * Waits the least warm-up, then until the backlog tier's throughput is steady — three
     * consecutive 5 s slices within 5% of each other — or the longest warm-up has passed. A fresh
     * JVM spends most of a minute compiling on a 2-core machine; a window that starts earlier
     * measures the JIT, not the system. Returns the seconds waited.
     */
    private double warmUp(ResultMeter meter, Priority tier) throws InterruptedException {
        long t0 = System.nanoTime();
        long last = t0 + options.warmupMax().toNanos();
        Thread.sleep(options.warmup().toMillis());
        java.util.ArrayDeque<Double> slices = new java.util.ArrayDeque<>();
        while (System.nanoTime() + STEADY_SLICE.toNanos() <= last) {
            long c0 = meter.received(tier);
            Thread.sleep(STEADY_SLICE.toMillis());
            slices.addLast((meter.received(tier) - c0) / (double) STEADY_SLICE.toSeconds());
            if (slices.size() > STEADY_SLICES) slices.removeFirst();
            if (steady(slices)) {
                double secs = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "      steady after %.0f s of warm-up (%.0f/s)%n", secs, slices.getLast());
                return secs;
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "      not steady after %.0f s of warm-up (last slices %s/s); measuring anyway%n", secs,
                slices.stream().map(r -> String.format(Locale.ROOT, "%.0f", r)).toList());
        return secs;
    }

    /** Whether the last slices' rates (results/s) are enough of them, all above zero, and within the tolerance of each other. */
    static boolean steady(java.util.Collection<Double> slices) {
        if (slices.size() < STEADY_SLICES) return false;
        double lo = slices.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double hi = slices.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        return lo > 0 && hi <= lo * (1 + STEADY_TOLERANCE);
    }

    record Bound(double perSecond, String reason) {
    }

    /** The design's bound: min(C / L, CPU ceiling); for the sync baseline its own threads / L. */
    static Bound bound(RunSpec spec, double ceiling) {
        if (spec.kind() == Kind.CEILING) return new Bound(Double.NaN, "defines the ceiling");
        double c = spec.kind() == Kind.PRIORITY ? Math.floor(spec.concurrency() * BATCH_SHARE) : spec.concurrency();
        double structural = c / (spec.latencyMs() / 1000.0);
        String what = spec.kind() == Kind.PRIORITY ? "batch share x C/L" : spec.system() == SystemUnderTest.SYNC_STREAMS ? "threads/L" : "C/L";
        if (spec.system() == SystemUnderTest.SYNC_STREAMS || Double.isNaN(ceiling) || structural <= ceiling) {
            return new Bound(structural, what);
        }
        return new Bound(ceiling, "CPU ceiling");
    }

    private ChildJvm launch(RunSpec spec, Topics topics, String app, String llmUrl, int metricsPort) {
        Path log = dir.resolve(spec.label() + ".log");
        Path state = dir.resolve("state").resolve(spec.label());
        List<String> jvmArgs = jvmArgs();
        return switch (spec.system()) {
            case PROMPTLINE -> {
                Map<String, String> env = processorEnv(infra, topics, app, state, spec.concurrency(), llmUrl, metricsPort);
                if (spec.kind() == Kind.PRIORITY) {
                    env.put("PROMPTLINE_PROCESSOR_TIERS", "URGENT,NORMAL,BATCH");
                    env.put("PROMPTLINE_PROCESSOR_BATCH_SHARE", Double.toString(BATCH_SHARE));
                } else {
                    // One tier alone may use every permit: the run measures C, not the priority shares.
                    env.put("PROMPTLINE_PROCESSOR_TIERS", "NORMAL");
                    env.put("PROMPTLINE_PROCESSOR_NORMAL_SHARE", "1.0");
                    env.put("PROMPTLINE_PROCESSOR_BATCH_SHARE", "1.0");
                }
                // BENCH_PROCESSOR_CLASSPATH runs another build of the processor against the same harness (A/B).
                String cp = System.getenv().getOrDefault("BENCH_PROCESSOR_CLASSPATH", System.getProperty("java.class.path"));
                yield ChildJvm.start("processor", ProcessorMain.class, cp, env, log, jvmArgs);
            }
            case SYNC_STREAMS -> ChildJvm.start("sync baseline", SyncStreamsBaseline.class, baseline(topics, app, llmUrl,
                    spec.concurrency(), state).toEnv(), log, jvmArgs);
            case CONSUMER_SEMAPHORE -> ChildJvm.start("semaphore baseline", SemaphoreConsumerBaseline.class, baseline(topics, app,
                    llmUrl, spec.concurrency(), state).toEnv(), log, jvmArgs);
            case PARALLEL_CONSUMER -> ChildJvm.start("parallel consumer baseline", ParallelConsumerBaseline.class, peerClasspath(),
                    baseline(topics, app, llmUrl, spec.concurrency(), state).toEnv(), log, jvmArgs);
        };
    }

    /**
     * The processor's settings in a benchmark: this run's topics, application and state, C calls in flight, the simulator,
     * metrics on {@code metricsPort}, and no tenant limits (the engine is measured here, not the tenants' limits).
     */
    static Map<String, String> processorEnv(Infra infra, Topics topics, String app, Path state, int concurrency, String llmUrl, int metricsPort) {
        Map<String, String> env = new HashMap<>();
        env.put("PROMPTLINE_BOOTSTRAP_SERVERS", infra.bootstrap());
        env.put("PROMPTLINE_SCHEMA_REGISTRY_URL", infra.registryUrl());
        env.put("PROMPTLINE_TOPICS_BASE", topics.base());
        env.put("PROMPTLINE_PROCESSOR_APPLICATION_ID", app);
        env.put("PROMPTLINE_PROCESSOR_STATE_DIR", state.toString());
        env.put("PROMPTLINE_PROCESSOR_MAX_IN_FLIGHT", Integer.toString(concurrency));
        env.put("PROMPTLINE_LLM_BASE_URL", llmUrl);
        env.put("PROMPTLINE_LLM_PROVIDER", "simulator");
        env.put("PROMPTLINE_METRICS_PORT", Integer.toString(metricsPort));
        env.put("PROMPTLINE_METRICS_HOST", "127.0.0.1");
        for (String tier : List.of("URGENT", "NORMAL", "BATCH")) {
            env.put("PROMPTLINE_RATELIMIT_" + tier + "_REQUESTS_PER_MINUTE", "0");
            env.put("PROMPTLINE_RATELIMIT_" + tier + "_TOKENS_PER_MINUTE", "0");
        }
        // e.g. BENCH_PROCESSOR_ENV="PROMPTLINE_PROCESSOR_COMMIT_INTERVAL_MS=200" to compare settings (A/B) on the same harness
        String extra = System.getenv("BENCH_PROCESSOR_ENV");
        if (extra != null && !extra.isBlank()) {
            for (String kv : extra.trim().split("\\s+")) {
                int eq = kv.indexOf('=');
                if (eq <= 0) throw new IllegalArgumentException("BENCH_PROCESSOR_ENV: expected NAME=VALUE, got '" + kv + "'");
                env.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return env;
    }

    /** The JVM options of the system under test: the processor's heap, G1, and BENCH_JVM_ARGS (e.g. a JFR recording). */
    static List<String> jvmArgs() {
        List<String> jvmArgs = new ArrayList<>(List.of(PROCESSOR_HEAP, "-XX:+UseG1GC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
        // e.g. BENCH_JVM_ARGS="-XX:StartFlightRecording=filename=/tmp/p.jfr,settings=profile" to profile the system under test
        String extra = System.getenv("BENCH_JVM_ARGS");
        if (extra != null && !extra.isBlank()) jvmArgs.addAll(List.of(extra.trim().split("\\s+")));
        return jvmArgs;
    }

    /** Parallel Consumer's own class path (Vert.x 4, Kafka 3.7 clients), written by its module's build. */
    private static String peerClasspath() {
        Path module = Path.of("ops", "bench-parallel-consumer", "target");
        try {
            return module.resolve("classes").toAbsolutePath() + java.io.File.pathSeparator + Files.readString(module.resolve("classpath.txt")).strip();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the Parallel Consumer baseline is not built (" + module.resolve("classpath.txt")
                    + " is missing): run ops/bench.sh, which builds it", e);
        }
    }

    private BaselineSettings baseline(Topics topics, String app, String llmUrl, int concurrency, Path state) {
        return new BaselineSettings(infra.bootstrap(), infra.registryUrl(), topics.requests(Priority.NORMAL), topics.results(),
                app, llmUrl, concurrency, state.toString());
    }

    private static void awaitFirstResult(RunSpec spec, ResultMeter meter, ChildJvm jvm) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (meter.received() == 0) {
            jvm.requireAlive();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(spec.label() + ": no result within 120 s; see " + jvm.log());
            }
            Thread.sleep(100);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** CPU, memory and GC of the system under test over the measurement window. */
    private static final class Window {
        private final ChildJvm jvm;
        private final String metricsUrl;
        private final double cpu0;
        private final double machine0;
        private final double gc0;
        private double cpu1;
        private double machine1;
        private double gc1;
        double rssMaxMb;
        double heapMaxMb = Double.NaN;
        double oldGenMaxMb = Double.NaN;

        Window(ChildJvm jvm, int metricsPort) {
            this.jvm = jvm;
            // Only the samples read here: the whole page (Kafka's client metrics per partition and store)
            // is ~700 KB and cost the processor 0.1-0.25 s of CPU per scrape, a fifth of a core at one a second.
            this.metricsUrl = metricsPort < 0 ? null
                    : "http://127.0.0.1:" + metricsPort + "/metrics?name%5B%5D=jvm_memory_used_bytes&name%5B%5D=jvm_gc_pause_seconds_sum";
            this.cpu0 = jvm.cpuSeconds();
            this.machine0 = MachineCpu.busySeconds();
            this.gc0 = metricsUrl == null ? Double.NaN : PrometheusText.scrape(metricsUrl).sum("jvm_gc_pause_seconds_sum");
        }

        void sample() {
            rssMaxMb = Math.max(rssMaxMb, jvm.rssBytes() / 1e6);
            if (metricsUrl == null) return;
            PrometheusText m = PrometheusText.scrape(metricsUrl);
            heapMaxMb = max(heapMaxMb, m.sum("jvm_memory_used_bytes", Map.of("area", "heap")) / 1e6);
            oldGenMaxMb = max(oldGenMaxMb, m.sum("jvm_memory_used_bytes", Map.of("id", "G1 Old Gen")) / 1e6);
        }

        void finish() {
            cpu1 = jvm.cpuSeconds();
            machine1 = MachineCpu.busySeconds();
            gc1 = metricsUrl == null ? Double.NaN : PrometheusText.scrape(metricsUrl).sum("jvm_gc_pause_seconds_sum");
        }

        double cpuCores(double seconds) {
            return (cpu1 - cpu0) / seconds;
        }

        double machineCores(double seconds) {
            return (machine1 - machine0) / seconds;
        }

        double gcPercent(double seconds) {
            return 100.0 * (gc1 - gc0) / seconds;
        }

        private static double max(double a, double b) {
            return Double.isNaN(a) ? b : Math.max(a, b);
        }
    }
}
