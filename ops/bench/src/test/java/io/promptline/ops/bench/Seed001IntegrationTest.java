package io.promptline.ops.bench;

import io.promptline.ops.local.Ports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seeds' scenario at a small size, end to end through the real parts: a PostgreSQL table, the JDBC import, a
 * broker process, the processor and the sink in their own JVMs. Its checks (one result row per row, none dead-lettered,
 * the billed tokens are the provider's and cost their literal price) hold, and its report says so.
 */
class Seed001IntegrationTest {
    @TempDir
    Path dir;

    @Test
    void shouldAnswerEveryRowExactlyOnceAndBillItExactly() throws Exception {
        Seed001.Options o = Seed001.Options.parse(new String[]{"--rows", "400", "--warmup-rows", "0", "--concurrency", "64",
                "--latency", "fixed:100", "--out", dir.toString(), "--kafka-port", Integer.toString(Ports.freePair())});

        List<Seed001.Run> runs = Seed001.run(o);

        assertEquals(1, runs.size());
        Seed001.Run r = runs.get(0);
        assertEquals(List.of(), r.failures(), "the scenario's exactness checks");
        assertEquals(400, r.rows());
        assertTrue(r.seconds() > 0 && r.meanCallMs() >= 100, "wall time and the mean call: " + Seed001.line(r));
        assertTrue(r.rssMaxMb() > 0 && r.heapMaxMb() > 0, "the processor's memory was sampled: " + Seed001.line(r));
        String md = Files.readString(dir.resolve("seed001.md"));
        assertTrue(md.contains("| 64 | 400 |") && md.contains("yes: "), md);
    }
}
