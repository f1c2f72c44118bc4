package io.promptline.ops.bench;

import io.promptline.ops.bench.RunSpec.Kind;
import io.promptline.ops.bench.RunSpec.SystemUnderTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark's arithmetic and plan: bounds, the steadiness rule, the command line. */
class BenchPlanTest {

    @Test
    void boundIsCOverLUntilTheCpuCeiling() {
        Runner.Bound slow = Runner.bound(RunSpec.throughput(SystemUnderTest.PROMPTLINE, 256, 1000), 6000);
        assertEquals(256.0, slow.perSecond(), 1e-9);
        assertEquals("C/L", slow.reason());

        Runner.Bound fast = Runner.bound(RunSpec.throughput(SystemUnderTest.PROMPTLINE, 1024, 200), 4000);
        assertEquals(4000.0, fast.perSecond(), 1e-9);
        assertEquals("CPU ceiling", fast.reason());

        Runner.Bound noCeiling = Runner.bound(RunSpec.throughput(SystemUnderTest.PROMPTLINE, 1024, 200), Double.NaN);
        assertEquals(5120.0, noCeiling.perSecond(), 1e-9);
    }

    @Test
    void syncBaselineIsBoundByItsThreadsAndPriorityByTheBatchShare() {
        Runner.Bound sync = Runner.bound(RunSpec.throughput(SystemUnderTest.SYNC_STREAMS, Runner.PARTITIONS, 200), 100);
        assertEquals(Runner.PARTITIONS / 0.2, sync.perSecond(), 1e-9, "the sync baseline never gets the CPU ceiling");
        assertEquals("threads/L", sync.reason());

        Runner.Bound priority = Runner.bound(RunSpec.priority(1024, 1000, 20), 6000);
        assertEquals(Math.floor(1024 * Runner.BATCH_SHARE), priority.perSecond(), 1e-9);
        assertEquals("batch share x C/L", priority.reason());

        assertTrue(Double.isNaN(Runner.bound(RunSpec.ceiling(1024), 6000).perSecond()));
    }

    @Test
    void steadyNeedsThreeNonZeroSlicesWithinFivePercent() {
        assertFalse(Runner.steady(List.of(1000.0, 1000.0)), "two slices are not enough");
        assertTrue(Runner.steady(List.of(1000.0, 1030.0, 1049.0)));
        assertFalse(Runner.steady(List.of(1000.0, 1030.0, 1051.0)), "5.1% apart");
        assertFalse(Runner.steady(List.of(0.0, 0.0, 0.0)), "nothing flowing is not steady");
        assertFalse(Runner.steady(List.of(1714.0, 2900.0, 3613.0)), "a JVM still compiling");
    }

    @Test
    void defaultPlanRunsTheCeilingFirstThenMatrixBaselinesAndPriority() {
        BenchOptions o = BenchOptions.parse(new String[0]);
        assertEquals(Duration.ofSeconds(30), o.window());
        assertEquals(Duration.ofSeconds(20), o.warmup());
        assertEquals(Duration.ofSeconds(120), o.warmupMax());
        List<String> labels = o.runs().stream().map(RunSpec::label).toList();
        assertEquals(List.of("ceiling-c1024", "pl-c256-l200", "pl-c256-l1000", "pl-c1024-l200", "pl-c1024-l1000",
                "sync-c6-l200", "sem-c1024-l200", "pc-c1024-l200", "sync-c6-l1000", "sem-c1024-l1000", "pc-c1024-l1000", "priority-c1024-l1000"), labels);
        assertEquals(Kind.CEILING, o.runs().get(0).kind());
    }

    @Test
    void optionsAreParsedAndBadOnesNamed() {
        BenchOptions o = BenchOptions.parse(new String[]{"--only", "matrix", "--concurrency", "64", "--latency", "500",
                "--warmup", "30", "--warmup-max", "10"});
        assertEquals(List.of("pl-c64-l500"), o.runs().stream().map(RunSpec::label).toList());
        assertEquals(Duration.ofSeconds(30), o.warmupMax(), "the longest warm-up is never shorter than the least");

        assertEquals("--window needs positive whole numbers, was '0'",
                assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[]{"--window", "0"})).getMessage());
        assertEquals("option '--latency' needs a value",
                assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[]{"--latency"})).getMessage());
        assertEquals("--only: unknown group 'speed'; use ceiling, matrix, baselines, priority",
                assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[]{"--only", "speed"})).getMessage());
        assertEquals("unknown option '--fast'",
                assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[]{"--fast"})).getMessage());
    }
}
