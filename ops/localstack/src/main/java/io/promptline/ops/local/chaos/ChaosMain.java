package io.promptline.ops.local.chaos;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code ops/chaos.sh [--seed N | --seeds N,M,..] [--minutes M] [--rate R] [--processors P] [--brokers B]}: runs
 * the local stack's real parts under a random fault schedule (one per seed, printed first, so a
 * failure replays by its seed) against a mixed load, and checks the invariants at the end. Exits 0
 * when every run held them, 1 when one did not, 2 on bad options.
 */
public final class ChaosMain {
    static final String USAGE = """
            Usage: ops/chaos.sh [--seed N | --seeds N,M,...] [--minutes M] [--rate R] [--processors P] [--brokers B] [--dir D]
              --seed N        the run's seed (default: a random one, printed); the same seed replays the same schedule and load
              --seeds N,M     several runs, one after the other
              --minutes M     how long the load and the faults last (default 5); every request must end after it
              --rate R        requests published per second (default 12)
              --processors P  processor JVMs (default 2)
              --brokers B     Kafka nodes: 3 (default; topics replicated 3 times, one node killed) or 1 (the whole cluster
                              killed; Kafka 4.3 and 4.4 can then leave a transaction hanging, see OPERATIONS.md)
              --dir D         where the run keeps its data and logs (default .chaos/seed-N)
            Faults: processor kill -9 and graceful restarts, broker kill -9 and restart, registry and PostgreSQL
            outages, provider 429/5xx/timeouts/hangs/401 windows, a 90 s Retry-After, quota changes and a
            partition added to a tier; publishers keyed by tenant (murmur2 and librdkafka's CRC32), by request id
            and without a key, and injected duplicates. Checked at the end: every request exactly once in results
            or the DLQ, costs at the literal prices of the provider's tokens, PostgreSQL rows equal to the topics,
            duplicates skipped equal to those injected, processor heap bounded.""";

    private ChaosMain() {
    }

    /** One run of one seed; returns the invariants it found broken (empty: they held). */
    public static List<String> run(long seed, double minutes, double rate, int processors, int brokers, Path dir, PrintStream out)
            throws Exception {
        Files.createDirectories(dir);
        return new ChaosRun(seed, Duration.ofMillis((long) (minutes * 60_000)), rate, dir, out).run(processors, brokers);
    }

    public static void main(String[] args) throws Exception {
        List<Long> seeds = new ArrayList<>();
        double minutes = 5;
        double rate = 12;
        int processors = 2;
        int brokers = 3;
        Path dir = null;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--seed" -> seeds.add(Long.parseLong(args[++i]));
                    case "--seeds" -> {
                        for (String s : args[++i].split(",")) seeds.add(Long.parseLong(s.trim()));
                    }
                    case "--minutes" -> minutes = Double.parseDouble(args[++i]);
                    case "--rate" -> rate = Double.parseDouble(args[++i]);
                    case "--processors" -> processors = Integer.parseInt(args[++i]);
                    case "--brokers" -> brokers = Integer.parseInt(args[++i]);
                    case "--dir" -> dir = Path.of(args[++i]);
                    case "--help", "-h" -> {
                        System.out.println(USAGE);
                        return;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (minutes < 1 || rate <= 0 || processors < 1 || (brokers != 1 && brokers != 3)) {
                throw new IllegalArgumentException("--minutes >= 1, --rate > 0, --processors >= 1, --brokers 1 or 3");
            }
        } catch (RuntimeException e) {
            System.err.println("chaos: " + e.getMessage() + "\n" + USAGE);
            System.exit(2);
            return;
        }
        if (seeds.isEmpty()) seeds.add(ThreadLocalRandom.current().nextLong(1, 1_000_000));
        boolean allHeld = true;
        for (long seed : seeds) {
            Path runDir = dir != null ? dir.resolve("seed-" + seed) : Path.of(".chaos", "seed-" + seed + "-" + System.currentTimeMillis());
            Files.createDirectories(runDir);
            System.out.printf("chaos run: seed %d, %.1f minutes, %.1f requests/s, %d processors, %d Kafka node(s), data and logs in %s%n", seed,
                    minutes, rate, processors, brokers, runDir);
            List<String> failures = run(seed, minutes, rate, processors, brokers, runDir, System.out);
            if (failures.isEmpty()) {
                System.out.printf("seed %d: the invariants held%n", seed);
            } else {
                allHeld = false;
                System.out.printf("seed %d: FAILED (replay with ops/chaos.sh --seed %d --minutes %.1f --rate %s --brokers %d)%n", seed, seed,
                        minutes, rate, brokers);
                failures.forEach(f -> System.out.println("  - " + f));
            }
        }
        System.exit(allHeld ? 0 : 1);
    }
}
