package io.promptline.ops.local.chaos;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code ops/batch-run.sh [--requests N] [--no-kills] [--compare] [--completion-seconds S] [--dir D]}:
 * the batch tier through the provider Batch API on the local stack's real processes, with a
 * processor {@code kill -9} during submission and again during ingestion; or ({@code --compare}) the
 * same requests answered synchronously and through batch jobs, their costs and wall times side by
 * side. Exits 0 when the checks held, 1 when one did not, 2 on bad options.
 */
public final class BatchRunMain {
    static final String USAGE = """
            Usage: ops/batch-run.sh [--requests N] [--no-kills] [--compare] [--completion-seconds S] [--dir D]
              --requests N            batch-tier requests (default 20000)
              --no-kills              no processor kill -9 (by default one during submission, one during ingestion)
              --compare               run the requests twice, synchronously and through batch jobs (no kills), and compare
              --completion-seconds S  how long the simulator takes to complete a batch (default 20; real providers: minutes to 24 h)
              --dir D                 where the runs keep their data and logs (default .batch-run/<time>)
            Checked: every request answered exactly once, no job submitted twice (the provider ran each line once), every
            cost event at the literal price (gpt-4.1 $2/$0.50/$8 per MTok, half through the Batch API) of the tokens the
            provider reported for its line or call.
            """;

    private BatchRunMain() {
    }

    public static void main(String[] args) throws Exception {
        int requests = 20_000;
        boolean kills = true;
        boolean compare = false;
        int completion = 20;
        Path dir = Path.of(".batch-run", Long.toString(System.currentTimeMillis()));
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--requests" -> requests = Integer.parseInt(args[++i]);
                    case "--no-kills" -> kills = false;
                    case "--compare" -> compare = true;
                    case "--completion-seconds" -> completion = Integer.parseInt(args[++i]);
                    case "--dir" -> dir = Path.of(args[++i]);
                    case "--help", "-h" -> {
                        System.out.print(USAGE);
                        return;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (requests < 1 || completion < 0) throw new IllegalArgumentException("--requests >= 1, --completion-seconds >= 0");
        } catch (RuntimeException e) {
            System.err.print("batch-run: " + e.getMessage() + "\n" + USAGE);
            System.exit(2);
            return;
        }
        Files.createDirectories(dir);
        boolean held = true;
        if (compare) {
            System.out.printf("batch run: %,d requests synchronously, then through batch jobs (completion %d s); data in %s%n", requests,
                    completion, dir);
            BatchRun sync = new BatchRun(requests, false, false, Duration.ofSeconds(completion), dir.resolve("sync"), System.out);
            held &= report("synchronous", sync.run(), sync.figures);
            BatchRun batch = new BatchRun(requests, true, false, Duration.ofSeconds(completion), dir.resolve("batch"), System.out);
            held &= report("batch API", batch.run(), batch.figures);
            System.out.printf("%n%-12s %12s %16s%n", "", "wall time s", "cost micro-USD");
            System.out.printf("%-12s %12s %16s%n", "synchronous", sync.figures.get("wall time s (publish to last result)"),
                    sync.figures.get("cost micro-USD"));
            System.out.printf("%-12s %12s %16s%n", "batch API", batch.figures.get("wall time s (publish to last result)"),
                    batch.figures.get("cost micro-USD"));
        } else {
            System.out.printf("batch run: %,d requests through batch jobs (completion %d s)%s; data in %s%n", requests, completion,
                    kills ? ", kill -9 during submission and during ingestion" : "", dir);
            BatchRun run = new BatchRun(requests, true, kills, Duration.ofSeconds(completion), dir, System.out);
            held = report("batch API", run.run(), run.figures);
        }
        System.exit(held ? 0 : 1);
    }

    private static boolean report(String name, List<String> failures, Map<String, Object> figures) {
        System.out.printf("%s:%n", name);
        figures.forEach((k, v) -> System.out.printf("  %-46s %s%n", k, v));
        failures.forEach(f -> System.out.println("  FAILED: " + f));
        System.out.println(failures.isEmpty() ? "  the checks held" : "  " + failures.size() + " checks failed");
        return failures.isEmpty();
    }
}
