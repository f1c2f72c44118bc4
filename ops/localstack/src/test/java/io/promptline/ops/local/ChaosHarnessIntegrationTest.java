package io.promptline.ops.local;

import io.promptline.ops.local.chaos.ChaosMain;
import io.promptline.runtime.Dirs;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The short form of {@code ops/chaos.sh}: one seed for two and a half minutes on three Kafka nodes,
 * with every kind of fault at least once (processor kill -9 and graceful restart, a node's kill -9, registry and
 * PostgreSQL outages, provider 429/5xx/timeout/401 windows, a 90 s Retry-After, a quota change and
 * a partition added to a tier) and publishers of every kind. The invariants must hold.
 *
 * <p>Three nodes, because one node restarted after kill -9 can leave a transaction hanging on
 * {@code __consumer_offsets} (Kafka 4.3 skips the markers of partitions without a leader; it did so
 * twice in CI on this seed, stopping the normal and urgent groups for good): a broker defect with
 * an operator's remedy (OPERATIONS.md), not something Promptline can ride out.
 */
class ChaosHarnessIntegrationTest {
    /** Under target/, not a temporary directory: a failed run's logs and metrics stay for whoever looks into it. */
    private static final Path DIR = Path.of("target", "chaos", "seed-11");

    @Test
    void shouldHoldTheInvariantsThroughARandomFaultSchedule() throws Exception {
        Dirs.deleteRecursively(DIR);
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(new TeeStream(System.out, captured), true, StandardCharsets.UTF_8);
        List<String> failures = ChaosMain.run(11, 2.5, 8, 2, 3, DIR, both);
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(failures).as("%s%nlogs and metrics kept in %s", log, DIR.toAbsolutePath()).isEmpty();
        Dirs.deleteRecursively(DIR);
        assertThat(log).contains("BROKER_KILL").contains("PROCESSOR_KILL").contains("POSTGRES_OUTAGE").contains("lost").contains("doubled");
    }

    /** Writes to two streams: the test's output and a copy for the assertion message. */
    private static final class TeeStream extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        TeeStream(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
