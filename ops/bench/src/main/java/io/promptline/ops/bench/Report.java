package io.promptline.ops.bench;

import io.promptline.avro.Priority;
import io.promptline.ops.bench.RunSpec.Kind;
import io.promptline.ops.bench.RunSpec.SystemUnderTest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The benchmark's tables and the verdicts against the design's targets, as Markdown. */
final class Report {
    static final double THROUGHPUT_TARGET = 0.80;
    static final long URGENT_SLACK_MS = 250;
    static final double HEAP_TARGET_MB = 512;

    private final List<Measurement> runs;
    private final String machine;

    Report(List<Measurement> runs, String machine) {
        this.runs = runs;
        this.machine = machine;
    }

    String markdown() {
        StringBuilder out = new StringBuilder();
        out.append("# Promptline benchmark\n\n").append(machine).append("\n\n");
        out.append(throughputTable()).append('\n');
        String baselines = baselineTable();
        if (!baselines.isEmpty()) out.append(baselines).append('\n');
        String priority = priorityTable();
        if (!priority.isEmpty()) out.append(priority).append('\n');
        out.append(guarantees()).append('\n');
        out.append(verdicts());
        return out.toString();
    }

    private String throughputTable() {
        StringBuilder t = new StringBuilder("## Throughput\n\n");
        t.append("| run | system | C | L ms | bound/s | bound from | results/s | of bound | SUT CPU cores | machine CPU cores | RSS MB | heap max MB | old gen max MB | GC % | warm-up s |\n");
        t.append("|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Measurement m : runs) {
            if (m.spec().kind() == Kind.PRIORITY) continue;
            t.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %s | %s | %.0f | %s | %.2f | %.2f | %.0f | %s | %s | %s | %.0f |%n",
                    m.spec().label(), m.spec().system().title, m.spec().concurrency(), m.spec().latencyMs(), num(m.boundPerSec(), "%.0f"),
                    m.boundReason(), m.resultsPerSec(), pct(m.ratioToBound()), m.cpuCores(), m.machineCores(), m.rssMaxMb(),
                    num(m.heapMaxMb(), "%.0f"), num(m.oldGenMaxMb(), "%.0f"), num(m.gcPercent(), "%.1f"), m.warmupSeconds()));
        }
        return t.toString();
    }

    /** What each system measured here guarantees, beside its figures. */
    private String guarantees() {
        StringBuilder t = new StringBuilder("## What each system guarantees\n\n");
        runs.stream().map(m -> m.spec().system()).distinct()
                .forEach(s -> t.append("- **").append(s.title).append("**: ").append(s.guarantees).append('\n'));
        return t.toString();
    }

    private String baselineTable() {
        StringBuilder t = new StringBuilder();
        for (Measurement b : runs) {
            if (b.spec().system() == SystemUnderTest.PROMPTLINE) continue;
            Optional<Measurement> pl = promptlineAt(b.spec().system() == SystemUnderTest.SYNC_STREAMS ? -1 : b.spec().concurrency(),
                    b.spec().latencyMs());
            if (t.isEmpty()) {
                t.append("## Baselines (same broker, simulator and load, same run)\n\n");
                t.append("| baseline | C or threads | L ms | results/s | Promptline results/s | Promptline / baseline | baseline CPU per 1k results/s |\n");
                t.append("|---|---:|---:|---:|---:|---:|---:|\n");
            }
            t.append(String.format(Locale.ROOT, "| %s | %d | %d | %.1f | %s | %s | %.2f cores |%n", b.spec().system().title,
                    b.spec().concurrency(), b.spec().latencyMs(), b.resultsPerSec(),
                    pl.map(p -> String.format(Locale.ROOT, "%.0f (C=%d)", p.resultsPerSec(), p.spec().concurrency())).orElse("-"),
                    pl.map(p -> String.format(Locale.ROOT, "%.1fx", p.resultsPerSec() / b.resultsPerSec())).orElse("-"),
                    1000 * b.cpuCores() / b.resultsPerSec()));
        }
        return t.toString();
    }

    private String priorityTable() {
        StringBuilder t = new StringBuilder();
        for (Measurement m : runs) {
            if (m.spec().kind() != Kind.PRIORITY) continue;
            t.append("## Priority isolation\n\n");
            t.append(String.format(Locale.ROOT, "A batch backlog saturating C=%d (batch may hold %.0f%% of it) at L=%d ms, "
                            + "urgent requests arriving at %.0f/s during the %.0f s window.%n%n", m.spec().concurrency(),
                    100 * Runner.BATCH_SHARE, m.spec().latencyMs(), m.spec().urgentPerSecond(), m.windowSeconds()));
            t.append("| tier | results in window | e2e p50 ms | e2e p99 ms | e2e max ms | target p99 ms |\n|---|---:|---:|---:|---:|---:|\n");
            for (Priority tier : List.of(Priority.URGENT, Priority.BATCH)) {
                t.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %.0f | %.0f | %s |%n", tier, m.latencySamples(tier),
                        m.latencyMs(tier, 50), m.latencyMs(tier, 99), m.latencyMs(tier, 100),
                        tier == Priority.URGENT ? Long.toString(m.spec().latencyMs() + URGENT_SLACK_MS) : "-"));
            }
            t.append("\nWhere the urgent requests' time went (ms): queued = created to call start (permits, rate limit), "
                    + "call = provider, apply = call end to result written, visible = written to readable (commit, read_committed).\n\n");
            t.append("| stage | p50 | p99 | max |\n|---|---:|---:|---:|\n");
            m.urgentStages().forEach((stage, h) -> t.append(String.format(Locale.ROOT, "| %s | %d | %d | %d |%n", stage.name().toLowerCase(Locale.ROOT),
                    h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getMaxValue())));
            t.append(String.format(Locale.ROOT, "%nBatch drained at %.0f/s against a bound of %.0f/s (%s): %s.%n",
                    m.resultsPerSec(), m.boundPerSec(), m.boundReason(), pct(m.ratioToBound())));
        }
        return t.toString();
    }

    private String verdicts() {
        List<String> lines = new ArrayList<>();
        for (Measurement m : runs) {
            if (m.spec().system() != SystemUnderTest.PROMPTLINE) continue;
            switch (m.spec().kind()) {
                case CEILING -> lines.add(String.format(Locale.ROOT, "CPU ceiling: %.0f results/s at C=%d with %d ms simulator latency "
                        + "(processor %.2f cores, machine %.2f of %d cores)", m.resultsPerSec(), m.spec().concurrency(), m.spec().latencyMs(), m.cpuCores(),
                        m.machineCores(), MachineCpu.cores()));
                case THROUGHPUT -> lines.add(verdict(m.ratioToBound() >= THROUGHPUT_TARGET, String.format(Locale.ROOT,
                        "C=%d L=%d ms: %.0f results/s = %s of the bound %.0f/s (%s); target >= %.0f%%", m.spec().concurrency(),
                        m.spec().latencyMs(), m.resultsPerSec(), pct(m.ratioToBound()), m.boundPerSec(), m.boundReason(),
                        100 * THROUGHPUT_TARGET)));
                case PRIORITY -> {
                    double p99 = m.latencyMs(Priority.URGENT, 99);
                    long target = m.spec().latencyMs() + URGENT_SLACK_MS;
                    lines.add(verdict(p99 <= target, String.format(Locale.ROOT, "urgent p99 %.0f ms while batch saturates; target <= L + %d = %d ms (%.2f of the target)",
                            p99, URGENT_SLACK_MS, target, p99 / target)));
                }
            }
            if (m.spec().concurrency() >= 1024 && !Double.isNaN(m.heapMaxMb())) {
                lines.add(verdict(m.heapMaxMb() <= HEAP_TARGET_MB, String.format(Locale.ROOT,
                        "%s: heap at most %.0f MB (-Xmx512m), old generation at most %s MB, GC %s%% of the time; target <= %.0f MB",
                        m.spec().label(), m.heapMaxMb(), num(m.oldGenMaxMb(), "%.0f"), num(m.gcPercent(), "%.1f"), HEAP_TARGET_MB)));
            }
        }
        StringBuilder out = new StringBuilder("## Against the targets\n\n");
        lines.forEach(l -> out.append("- ").append(l).append('\n'));
        return out.toString();
    }

    private Optional<Measurement> promptlineAt(int concurrency, long latencyMs) {
        return runs.stream().filter(m -> m.spec().system() == SystemUnderTest.PROMPTLINE && m.spec().kind() == Kind.THROUGHPUT
                        && m.spec().latencyMs() == latencyMs && (concurrency < 0 || m.spec().concurrency() == concurrency))
                .reduce((a, b) -> b.spec().concurrency() >= a.spec().concurrency() ? b : a);
    }

    String csv() {
        StringBuilder out = new StringBuilder("run,system,kind,c,l_ms,bound_per_s,bound_from,results_per_s,ratio,sut_cpu_cores,"
                + "machine_cpu_cores,rss_mb,heap_max_mb,old_gen_max_mb,gc_percent,urgent_p50_ms,urgent_p99_ms,batch_p50_ms,batch_p99_ms,warmup_s\n");
        for (Measurement m : runs) {
            out.append(String.join(",", m.spec().label(), m.spec().system().name(), m.spec().kind().name(),
                    Integer.toString(m.spec().concurrency()), Long.toString(m.spec().latencyMs()), f(m.boundPerSec()), m.boundReason(),
                    f(m.resultsPerSec()), f(m.ratioToBound()), f(m.cpuCores()), f(m.machineCores()), f(m.rssMaxMb()), f(m.heapMaxMb()),
                    f(m.oldGenMaxMb()), f(m.gcPercent()), f(m.latencyMs(Priority.URGENT, 50)), f(m.latencyMs(Priority.URGENT, 99)),
                    f(m.latencyMs(Priority.BATCH, 50)), f(m.latencyMs(Priority.BATCH, 99)), f(m.warmupSeconds()))).append('\n');
        }
        return out.toString();
    }

    private static String verdict(boolean met, String text) {
        return (met ? "MET    " : "MISSED ") + text;
    }

    private static String pct(double ratio) {
        return Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * ratio);
    }

    private static String num(double v, String fmt) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, fmt, v);
    }

    private static String f(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.3f", v);
    }
}
