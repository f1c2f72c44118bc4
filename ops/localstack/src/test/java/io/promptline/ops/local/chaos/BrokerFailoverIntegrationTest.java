package io.promptline.ops.local.chaos;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A three-node KRaft cluster (broker processes, topics at replication factor 3 and
 * min.insync.replicas 2) loses node 2 to kill -9 for good and, while it runs without it, node 3
 * for 20 s; two processors and the publishers run throughout. Nothing is lost or doubled, the bill is
 * exact, and the stall each kill causes is printed.
 */
class BrokerFailoverIntegrationTest {
    @TempDir
    Path dir;

    @Test
    void shouldLoseAndDoubleNothingWhenTwoOfThreeBrokersAreKilled() throws Exception {
        BrokerFailover run = new BrokerFailover(Duration.ofSeconds(15), Duration.ofSeconds(40), Duration.ofSeconds(20),
                Duration.ofSeconds(20), 20, System.out);
        List<String> failures = run.run(dir);
        run.figures.forEach((k, v) -> System.out.printf("  %-60s %s%n", k, v));
        assertThat(failures).isEmpty();
        assertThat((int) run.figures.get("published")).as("requests published through the kills").isGreaterThan(1_000);
        assertThat(run.figures.get("lost")).isEqualTo(0L);
        assertThat(run.figures.get("doubled")).isEqualTo(0L);
    }
}
