package io.promptline.ops.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The benchmark's command line. */
record BenchOptions(boolean help, Duration window, Duration warmup, Duration warmupMax, List<Integer> concurrencies, List<Long> latenciesMs,
                    int ceilingConcurrency, double urgentPerSecond, int priorityConcurrency, long priorityLatencyMs,
                    Set<Group> groups, Path out, int kafkaPort) {

    enum Group { CEILING, MATRIX, BASELINES, PRIORITY }

    static final String USAGE = """
            Usage: ops/bench.sh [options]

            Runs the real pipeline on this machine (Kafka broker process, schema registry, LLM simulator,
            the processor in its own JVM with -Xmx512m, producer load) and prints a table; writes
            results.md, results.csv and bench.png to the output folder.

              --window S          measurement window per run, seconds (default 30)
              --warmup S          least warm-up before each window, seconds (default 20); the warm-up then
                                  lasts until throughput is steady (three 5 s slices within 5%)
              --warmup-max S      longest warm-up, seconds (default 120)
              --concurrency LIST  in-flight limits C of the matrix (default 256,1024)
              --latency LIST      simulator latencies L in ms (default 200,1000)
              --urgent-rate R     urgent requests per second in the priority run (default 20)
              --priority C,L      in-flight limit and latency of the priority run (default 1024,1000)
              --only LIST         groups to run: ceiling,matrix,baselines,priority (default all)
              --quick             a smoke run: C=64, L=200, 8 s windows, 3 s warm-up
              --out DIR           output folder (default .bench/<timestamp>)
              --kafka-port P      port of the benchmark's broker (default 29092; P+1 is its controller)
            """;

    static BenchOptions parse(String[] args) {
        boolean help = false;
        long window = 30, warmup = 20, warmupMax = 120, urgent = 20, priorityC = 1024, priorityL = 1000;
        List<Integer> cs = List.of(256, 1024);
        List<Long> ls = List.of(200L, 1000L);
        Set<Group> groups = EnumSet.allOf(Group.class);
        Path out = null;
        int kafkaPort = 29092;
        int ceilingC = 1024;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--help", "-h" -> help = true;
                case "--window" -> window = positive(a, value(args, ++i));
                case "--warmup" -> warmup = positive(a, value(args, ++i));
                case "--warmup-max" -> warmupMax = positive(a, value(args, ++i));
                case "--concurrency" -> cs = list(a, value(args, ++i)).stream().map(Long::intValue).toList();
                case "--latency" -> ls = list(a, value(args, ++i));
                case "--urgent-rate" -> urgent = positive(a, value(args, ++i));
                case "--priority" -> {
                    List<Long> pl = list(a, value(args, ++i));
                    if (pl.size() != 2) throw new IllegalArgumentException("--priority takes C,L such as 1024,1000");
                    priorityC = pl.get(0);
                    priorityL = pl.get(1);
                }
                case "--only" -> groups = groups(value(args, ++i));
                case "--out" -> out = Path.of(value(args, ++i));
                case "--kafka-port" -> kafkaPort = (int) positive(a, value(args, ++i));
                case "--quick" -> {
                    window = 8;
                    warmup = 3;
                    warmupMax = 20;
                    cs = List.of(64);
                    ls = List.of(200L);
                    ceilingC = 64;
                    priorityC = 64;
                    priorityL = 200;
                    urgent = 10;
                }
                default -> throw new IllegalArgumentException("unknown option '" + a + "'");
            }
        }
        if (out == null) {
            out = Path.of(".bench", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        return new BenchOptions(help, Duration.ofSeconds(window), Duration.ofSeconds(warmup), Duration.ofSeconds(Math.max(warmup, warmupMax)), cs, ls, ceilingC, urgent,
                (int) priorityC, priorityL, groups, out, kafkaPort);
    }

    /** The runs, in order: the ceiling first (the matrix's bound needs it), then matrix, baselines, priority. */
    List<RunSpec> runs() {
        List<RunSpec> runs = new ArrayList<>();
        if (groups.contains(Group.CEILING)) runs.add(RunSpec.ceiling(ceilingConcurrency));
        if (groups.contains(Group.MATRIX)) {
            for (int c : concurrencies) {
                for (long l : latenciesMs) runs.add(RunSpec.throughput(RunSpec.SystemUnderTest.PROMPTLINE, c, l));
            }
        }
        if (groups.contains(Group.BASELINES)) {
            int c = concurrencies.get(concurrencies.size() - 1);
            for (long l : latenciesMs) {
                runs.add(RunSpec.throughput(RunSpec.SystemUnderTest.SYNC_STREAMS, Runner.PARTITIONS, l));
                runs.add(RunSpec.throughput(RunSpec.SystemUnderTest.CONSUMER_SEMAPHORE, c, l));
                runs.add(RunSpec.throughput(RunSpec.SystemUnderTest.PARALLEL_CONSUMER, c, l));
            }
        }
        if (groups.contains(Group.PRIORITY)) runs.add(RunSpec.priority(priorityConcurrency, priorityLatencyMs, urgentPerSecond));
        return runs;
    }

    private static Set<Group> groups(String v) {
        Set<Group> out = EnumSet.noneOf(Group.class);
        for (String g : v.split(",")) {
            try {
                out.add(Group.valueOf(g.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--only: unknown group '" + g + "'; use ceiling, matrix, baselines, priority");
            }
        }
        return out;
    }

    static List<Long> list(String name, String v) {
        List<Long> out = new ArrayList<>();
        for (String p : v.split(",")) out.add(positive(name, p.trim()));
        return out;
    }

    static String value(String[] args, int i) {
        if (i >= args.length) throw new IllegalArgumentException("option '" + args[i - 1] + "' needs a value");
        return args[i];
    }

    static long positive(String name, String v) {
        try {
            long n = Long.parseLong(v);
            if (n > 0) return n;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(name + " needs positive whole numbers, was '" + v + "'");
    }
}
