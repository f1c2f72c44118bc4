package io.promptline.ops.bench;

import io.promptline.metrics.PrometheusText;
import io.promptline.ops.local.SeedsJob;
import io.promptline.ops.simulator.LlmSimulator;
import io.promptline.ops.simulator.SimulatorStats;
import io.promptline.processor.ProcessorMain;
import io.promptline.runtime.ChildJvm;
import io.promptline.sink.SinkMain;
import io.promptline.topics.Topics;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * The seeds' job end to end ({@code ops/seed001.sh}): N rows in a PostgreSQL table, imported with the CLI's JDBC
 * import into one tenant's batch tier, processed by the processor in its own JVM against the simulator at a
 * provider-like latency, the results and costs written to PostgreSQL by the sink in its own JVM. For each C: the wall
 * time from the first row read to the last result row written, the rate against C over the mean call and against the
 * seeds' 1,157 rows/s, the processor's RSS and heap, and the checks: one result row per row and none else, no dead
 * letter, and a bill that is the provider's tokens at the literal prices.
 */
public final class Seed001 {
    /** The seeds' figure: five million rows in 1.2 hours. */
    static final double SEEDS_ROWS_PER_SEC = 5_000_000 / (1.2 * 3600);
    /** gpt-4.1-mini, USD per million tokens in micro-USD per million: input, cached input, output (literal, not the pricing code's). */
    private static final long[] PRICE = {400_000, 100_000, 1_600_000};
    private static final String MODEL = "gpt-4.1-mini";
    private static final String TENANT = "seeds";

    static final String USAGE = """
            Usage: ops/seed001.sh [options]

            The seeds' job end to end on this machine: N rows in a PostgreSQL table, imported with the JDBC import
            (as `promptline import --jdbc-url ... --query ...`) into tenant 'seeds', batch tier; the processor
            (its own JVM, -Xmx512m, the batch tier alone with every permit) calls the simulator; the sink (its own
            JVM) writes results and costs to PostgreSQL. Prints, per C, the wall time from the first row read to the
            last result row written, rows/s against C / mean call and against the seeds' 1,157 rows/s, the
            processor's largest RSS and heap, and the exactness checks; writes seed001.md to the output folder.

              --rows N            rows in the table (default 1000000; the seeds' full job is 5000000)
              --concurrency LIST  calls in flight C, one run each (default 200,1024)
              --warmup-rows N     rows of an unmeasured job first, answered before the measured one starts: a
                                  processor that runs already, JIT-compiled (default 10000; 0: none)
              --latency SPEC      simulator latency (default lognormal:1000,2500: median 1 s, p99 2.5 s, mean ~1.08 s)
              --out DIR           output folder (default .bench/seed001-<timestamp>)
              --kafka-port P      port of the broker (default 29192; P+1 is its controller)
            """;

    record Options(boolean help, int rows, int warmupRows, List<Integer> concurrency, String latency, Path out, int kafkaPort) {
        static Options parse(String[] args) {
            boolean help = false;
            int rows = 1_000_000;
            int warmup = 10_000;
            List<Integer> cs = List.of(200, 1024);
            String latency = "lognormal:1000,2500";
            Path out = null;
            int port = 29192;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--help", "-h" -> help = true;
                    case "--rows" -> rows = (int) BenchOptions.positive(a, BenchOptions.value(args, ++i));
                    case "--warmup-rows" -> warmup = Integer.parseInt(BenchOptions.value(args, ++i));
                    case "--concurrency" -> cs = BenchOptions.list(a, BenchOptions.value(args, ++i)).stream().map(Long::intValue).toList();
                    case "--latency" -> latency = BenchOptions.value(args, ++i);
                    case "--out" -> out = Path.of(BenchOptions.value(args, ++i));
                    case "--kafka-port" -> port = (int) BenchOptions.positive(a, BenchOptions.value(args, ++i));
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (out == null) {
                out = Path.of(".bench", "seed001-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
            }
            return new Options(help, rows, warmup, cs, latency, out, port);
        }
    }

    /** One run's figures. */
    record Run(int concurrency, int rows, double importSeconds, double seconds, double meanCallMs, double rssMaxMb, double heapMaxMb,
               long stateDirMb, double processorCpuCores, List<String> failures, String cost) {
        double rate() {
            return rows / seconds;
        }

        double bound() {
            return concurrency * 1000.0 / meanCallMs;
        }
    }

    private Seed001() {
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("seed001: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (o.help()) {
            System.out.println(USAGE);
            return;
        }
        List<Run> runs = run(o);
        System.exit(runs.stream().allMatch(r -> r.failures().isEmpty()) ? 0 : 1);
    }

    static List<Run> run(Options o) throws Exception {
        Files.createDirectories(o.out());
        List<Run> runs = new ArrayList<>();
        try (Infra infra = Infra.start(o.out().resolve("infra"), o.kafkaPort());
             EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(o.out().resolve("postgres")).setCleanDataDirectory(true).start()) {
            String jdbcUrl = pg.getJdbcUrl("postgres", "postgres");
            DataSource db = pg.getPostgresDatabase();
            for (int c : o.concurrency()) {
                System.out.printf(Locale.ROOT, "[seed001] %,d rows, C=%d, latency %s%n", o.rows(), c, o.latency());
                Run r = runOne(infra, db, jdbcUrl, o, c);
                runs.add(r);
                System.out.println(line(r));
                r.failures().forEach(f -> System.out.println("      FAIL " + f));
            }
        }
        String md = markdown(runs, o);
        Files.writeString(o.out().resolve("seed001.md"), md);
        System.out.println();
        System.out.println(md);
        System.out.println("Wrote " + o.out().resolve("seed001.md"));
        return runs;
    }

    private static Run runOne(Infra infra, DataSource db, String jdbcUrl, Options o, int concurrency) throws Exception {
        Topics topics = infra.newTopics("seed001-c" + concurrency, Runner.PARTITIONS);
        String runId = topics.base().replaceAll("[^a-zA-Z0-9]", ""); // no _ or -: the LIKE patterns below match this run only
        String app = "seed001-" + topics.base();
        LlmSimulator sim = infra.simulator(o.latency());
        List<AutoCloseable> open = new ArrayList<>();
        try {
            ChildJvm sink = ChildJvm.start("sink", SinkMain.class, sinkEnv(infra, topics, jdbcUrl, o.out().resolve("rollup-" + concurrency)),
                    o.out().resolve("sink-c" + concurrency + ".log"), List.of("-Xmx256m"));
            open.add(sink);
            int metricsPort = Runner.freePort();
            Path state = o.out().resolve("state-c" + concurrency);
            Map<String, String> env = Runner.processorEnv(infra, topics, app, state, concurrency, sim.baseUrl(), metricsPort);
            // The seeds' job alone: the batch tier may use every permit (by default it keeps 30% for urgent and normal).
            env.put("PROMPTLINE_PROCESSOR_TIERS", "BATCH");
            env.put("PROMPTLINE_PROCESSOR_NORMAL_SHARE", "1.0");
            env.put("PROMPTLINE_PROCESSOR_BATCH_SHARE", "1.0");
            ChildJvm processor = ChildJvm.start("processor", ProcessorMain.class, env, o.out().resolve("processor-c" + concurrency + ".log"),
                    Runner.jvmArgs());
            open.add(processor);
            awaitTable(db, sink); // Flyway migrates an empty schema only: the rows' table comes after
            awaitReady(processor, metricsPort); // a job is given to a processor that runs already
            if (o.warmupRows() > 0) {
                String warm = runId + "w";
                SeedsJob.createRows(db, warm, o.warmupRows());
                System.out.println("      warm-up: " + SeedsJob.importRows(jdbcUrl, warm, TENANT, MODEL, infra.bootstrap(), infra.registryUrl(), topics));
                awaitAnswered(db, warm, o.warmupRows(), processor, sink);
            }
            SeedsJob.createRows(db, runId, o.rows());
            sim.reset();
            double cpu0 = processor.cpuSeconds();
            long t0 = System.nanoTime(); // the first row read
            String imported = SeedsJob.importRows(jdbcUrl, runId, TENANT, MODEL, infra.bootstrap(), infra.registryUrl(), topics);
            double importSeconds = (System.nanoTime() - t0) / 1e9;
            System.out.println("      " + imported);
            double rss = 0;
            double heap = Double.NaN;
            String metrics = "http://127.0.0.1:" + metricsPort + "/metrics?name%5B%5D=jvm_memory_used_bytes";
            long nextSample = 0;
            long nextPrint = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            long done;
            while (true) {
                processor.requireAlive();
                sink.requireAlive();
                long now = System.nanoTime();
                if (now >= nextSample) {
                    nextSample = now + 1_000_000_000L;
                    rss = Math.max(rss, processor.rssBytes() / 1e6);
                    try {
                        double h = PrometheusText.scrape(metrics).sum("jvm_memory_used_bytes", Map.of("area", "heap")) / 1e6;
                        heap = Double.isNaN(heap) ? h : Math.max(heap, h);
                    } catch (RuntimeException e) {
                        // not up yet: the next second's sample
                    }
                }
                long[] counts = counts(db, runId);
                if (counts[0] + counts[1] >= o.rows()) {
                    done = System.nanoTime();
                    break;
                }
                if (now >= nextPrint) {
                    nextPrint = now + Duration.ofSeconds(15).toNanos();
                    double secs = (now - t0) / 1e9;
                    System.out.printf(Locale.ROOT, "      %6.0f s  %,d of %,d rows answered (%.0f/s), %d dead letters, %d calls in flight, RSS %.0f MB%n",
                            secs, counts[0], o.rows(), counts[0] / secs, counts[1], sim.stats().inFlight(), rss);
                }
                Thread.sleep(200);
            }
            double seconds = (done - t0) / 1e9;
            double cpu = (processor.cpuSeconds() - cpu0) / seconds;
            List<String> failures = new ArrayList<>();
            String cost = checks(db, runId, o.rows(), sim.stats(), failures);
            return new Run(concurrency, o.rows(), importSeconds, seconds, meanCallMs(db, runId), rss, heap, sizeMb(state), cpu, failures, cost);
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
            infra.deleteTopics(topics, app);
        }
    }

    private static Map<String, String> sinkEnv(Infra infra, Topics topics, String jdbcUrl, Path rollup) {
        Map<String, String> env = new HashMap<>();
        env.put("PROMPTLINE_BOOTSTRAP_SERVERS", infra.bootstrap());
        env.put("PROMPTLINE_SCHEMA_REGISTRY_URL", infra.registryUrl());
        env.put("PROMPTLINE_TOPICS_BASE", topics.base());
        env.put("PROMPTLINE_SINK_JDBC_URL", jdbcUrl);
        env.put("PROMPTLINE_SINK_JDBC_USER", "postgres");
        env.put("PROMPTLINE_SINK_JDBC_PASSWORD", "postgres");
        env.put("PROMPTLINE_SINK_GROUP_ID", "seed001-sink-" + topics.base());
        env.put("PROMPTLINE_SINK_ROLLUP_APPLICATION_ID", "seed001-rollup-" + topics.base());
        env.put("PROMPTLINE_SINK_ROLLUP_STATE_DIR", rollup.toString());
        env.put("PROMPTLINE_METRICS_PORT", "-1");
        return env;
    }

    /** Waits until the sink has migrated the schema (its first start). */
    private static void awaitTable(DataSource db, ChildJvm sink) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            sink.requireAlive();
            try (Connection c = db.getConnection(); ResultSet rs = c.createStatement().executeQuery(
                    "SELECT to_regclass('prompt_results') IS NOT NULL AND to_regclass('cost_events') IS NOT NULL")) {
                rs.next();
                if (rs.getBoolean(1)) return;
            }
            if (System.nanoTime() > deadline) throw new IllegalStateException("the sink did not create its tables in 120 s; see " + sink.log());
            Thread.sleep(250);
        }
    }

    private static void awaitReady(ChildJvm processor, int metricsPort) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        var ready = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + metricsPort + "/health/ready"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (true) {
            processor.requireAlive();
            try {
                if (http.send(ready, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode() == 200) return;
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) throw new IllegalStateException("the processor was not ready in 180 s; see " + processor.log());
            Thread.sleep(250);
        }
    }

    private static void awaitAnswered(DataSource db, String runId, int rows, ChildJvm processor, ChildJvm sink) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
        while (true) {
            processor.requireAlive();
            sink.requireAlive();
            long[] c = counts(db, runId);
            if (c[0] + c[1] >= rows) return;
            if (System.nanoTime() > deadline) throw new IllegalStateException("the warm-up job was not done in 30 minutes: " + c[0] + " of " + rows);
            Thread.sleep(500);
        }
    }

    /** Result rows and dead-lettered requests of the run. */
    private static long[] counts(DataSource db, String runId) throws SQLException {
        return longs(db, "SELECT (SELECT count(*) FROM prompt_results WHERE request_id LIKE ?), "
                + "(SELECT count(DISTINCT request_id) FROM dead_letters WHERE request_id LIKE ?)", runId + "-%", runId + "-%");
    }

    /**
     * Every row has exactly one result row (the results table's key is the request id) and nothing else does; no dead
     * letter; one cost event per row, whose tokens are the provider's (the simulator's totals) and whose cost is those
     * tokens at the literal price, rounded per call. Returns the bill.
     */
    static String checks(DataSource db, String runId, int rows, SimulatorStats sim, List<String> failures) throws SQLException {
        String like = runId + "-%";
        long[] r = longs(db, "SELECT count(*), count(DISTINCT request_id) FROM prompt_results WHERE request_id LIKE ?", like);
        long missing = longs(db, "SELECT count(*) FROM " + SeedsJob.table(runId) + " t WHERE NOT EXISTS (SELECT 1 FROM prompt_results p "
                + "WHERE p.request_id = ? || '-' || t.id)", runId)[0];
        long dead = longs(db, "SELECT count(*) FROM dead_letters WHERE request_id LIKE ?", like)[0];
        if (r[0] != rows || r[1] != rows || missing != 0) {
            failures.add(r[0] + " result rows (" + r[1] + " distinct) for " + rows + " rows, " + missing + " rows without a result");
        }
        if (dead != 0) failures.add(dead + " dead letters");
        long[] c = longs(db, "SELECT count(*), count(DISTINCT request_id), coalesce(sum(prompt_tokens), 0), coalesce(sum(cached_tokens), 0), "
                + "coalesce(sum(completion_tokens), 0), coalesce(sum(cost_micros), 0), coalesce(sum(((prompt_tokens - cached_tokens) * ? + "
                + "cached_tokens * ? + completion_tokens * ? + 500000) / 1000000), 0) FROM cost_events WHERE request_id LIKE ?",
                PRICE[0], PRICE[1], PRICE[2], like);
        if (c[0] != rows || c[1] != rows) failures.add(c[0] + " cost events (" + c[1] + " requests) for " + rows + " rows");
        SimulatorStats.ModelUsage provider = sim.totalUsage();
        if (c[2] != provider.promptTokens() || c[3] != provider.cachedTokens() || c[4] != provider.completionTokens()) {
            failures.add(String.format(Locale.ROOT, "billed tokens in %d (cached %d), out %d differ from the provider's in %d (cached %d), out %d",
                    c[2], c[3], c[4], provider.promptTokens(), provider.cachedTokens(), provider.completionTokens()));
        }
        if (c[5] != c[6]) failures.add("cost " + c[5] + " micro-USD differs from the literal price of the tokens, " + c[6]);
        if (sim.succeeded() != rows) failures.add("the provider answered " + sim.succeeded() + " calls for " + rows + " rows");
        return String.format(Locale.ROOT, "%,d micro-USD for %,d in + %,d out tokens (literal price: %,d)", c[5], c[2], c[4], c[6]);
    }

    private static double meanCallMs(DataSource db, String runId) throws SQLException {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT avg(call_latency_ms) FROM prompt_results WHERE request_id LIKE ?")) {
            ps.setString(1, runId + "-%");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getDouble(1);
            }
        }
    }

    private static long[] longs(DataSource db, String sql, Object... params) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long[] out = new long[rs.getMetaData().getColumnCount()];
                for (int i = 0; i < out.length; i++) out[i] = rs.getLong(i + 1);
                return out;
            }
        }
    }

    private static long sizeMb(Path dir) {
        if (!Files.isDirectory(dir)) return 0;
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum() / 1_000_000;
        } catch (IOException e) {
            return -1;
        }
    }

    static String line(Run r) {
        return String.format(Locale.ROOT, "      => %,d rows in %.1f s (import %.1f s) = %,.1f rows/s: %.0f%% of C / mean call (%d / %.0f ms = %,.1f/s), "
                        + "%.2fx the seeds' %,.0f rows/s; processor RSS max %.0f MB, heap max %.0f MB, state on disk %d MB, CPU %.2f cores; %s",
                r.rows(), r.seconds(), r.importSeconds(), r.rate(), 100 * r.rate() / r.bound(), r.concurrency(), r.meanCallMs(), r.bound(),
                r.rate() / SEEDS_ROWS_PER_SEC, SEEDS_ROWS_PER_SEC, r.rssMaxMb(), r.heapMaxMb(), r.stateDirMb(), r.processorCpuCores(), r.cost());
    }

    static String markdown(List<Run> runs, Options o) {
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "seed001: %,d rows, latency %s, tenant '%s', batch tier alone (share 1.0), processor -Xmx512m, "
                + "%d cores.%n%n", o.rows(), o.latency(), TENANT, Runtime.getRuntime().availableProcessors()));
        t.append("| C | rows | first row read → last result row written | rows/s | of C / mean call | × seeds' 1,157/s | processor RSS max MB | heap max MB "
                + "| processor CPU cores | exact |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (Run r : runs) {
            t.append(String.format(Locale.ROOT, "| %d | %,d | %.1f s | %,.1f | %.0f%% of %,.1f | %.2f× | %.0f | %.0f | %.2f | %s |%n", r.concurrency(),
                    r.rows(), r.seconds(), r.rate(), 100 * r.rate() / r.bound(), r.bound(), r.rate() / SEEDS_ROWS_PER_SEC, r.rssMaxMb(),
                    r.heapMaxMb(), r.processorCpuCores(), r.failures().isEmpty() ? "yes: " + r.cost() : "NO: " + String.join("; ", r.failures())));
        }
        return t.toString();
    }
}
