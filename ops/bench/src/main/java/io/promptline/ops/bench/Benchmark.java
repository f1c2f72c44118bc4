package io.promptline.ops.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark: {@code ops/bench.sh [options]} (see {@link BenchOptions#USAGE}). Runs every
 * {@link RunSpec} on one broker, registry and simulator set, then prints the report and writes
 * results.md, results.csv and bench.png.
 */
public final class Benchmark {
    private Benchmark() {
    }

    public static void main(String[] args) throws Exception {
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.err.println(BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        if (options.help()) {
            System.out.println(BenchOptions.USAGE);
            return;
        }
        List<Measurement> results = run(options);
        System.exit(results.isEmpty() ? 1 : 0);
    }

    static List<Measurement> run(BenchOptions options) throws Exception {
        Path out = options.out();
        Files.createDirectories(out);
        List<RunSpec> runs = options.runs();
        String machine = String.format(Locale.ROOT, "Machine: %d cores, %s, Java %s. Window %d s per run, after a warm-up of %d s or more, until throughput is steady "
                        + "(at most %d s); "
                        + "processor -Xmx512m; %d partitions per topic; simulator in the benchmark JVM.", MachineCpu.cores(),
                System.getProperty("os.name") + " " + System.getProperty("os.arch"), System.getProperty("java.version"),
                options.window().toSeconds(), options.warmup().toSeconds(), options.warmupMax().toSeconds(), Runner.PARTITIONS);
        System.out.println(machine);
        System.out.println("Runs: " + runs.stream().map(RunSpec::label).toList() + "; output in " + out.toAbsolutePath());
        List<Measurement> done = new ArrayList<>();
        try (Infra infra = Infra.start(out.resolve("infra"), options.kafkaPort())) {
            Runner runner = new Runner(infra, options, out);
            // The broker process and this JVM start cold: one unreported run warms them, so the first
            // measured run (the ceiling) is not the slowest for reasons of its own.
            System.out.println("[warm-up] an unreported run warms the broker, the registry and the simulator");
            runner.run(RunSpec.warmup());
            for (RunSpec spec : runs) {
                System.out.printf("[%d/%d] %s: %s, C=%d, latency %s%n", done.size() + 1, runs.size(), spec.label(),
                        spec.system().title, spec.concurrency(), spec.latencySpec());
                Measurement m = runner.run(spec);
                done.add(m);
                System.out.printf(Locale.ROOT, "      => %.0f results/s, processor CPU %.2f cores, machine %.2f cores%n",
                        m.resultsPerSec(), m.cpuCores(), m.machineCores());
            }
        }
        // The bounds, once the ceiling is known: min(C/L, CPU ceiling).
        double ceiling = done.stream().filter(m -> m.spec().kind() == RunSpec.Kind.CEILING).mapToDouble(Measurement::resultsPerSec)
                .findFirst().orElse(Double.NaN);
        done.replaceAll(m -> m.withBound(Runner.bound(m.spec(), ceiling)));
        Report report = new Report(done, machine);
        String md = report.markdown();
        System.out.println();
        System.out.println(md);
        Files.writeString(out.resolve("results.md"), md);
        Files.writeString(out.resolve("results.csv"), report.csv());
        Charts.write(done, out.resolve("bench.png"));
        System.out.println("Wrote " + out.resolve("results.md") + ", results.csv and bench.png");
        return done;
    }
}
