package io.promptline.ops.local.chaos;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The short form of {@code ops/scale.sh --scenario failover}: two processor JVMs with a standby
 * replica each and 100,000 request_ids in the dedupe window; one is killed -9. Every request is
 * answered once, answered requests published again after the kill are skipped by the survivor
 * (the window moved with the tasks), every probe tenant is answered again, and the survivor
 * holds 1,024 calls in flight. Times and memory are printed, not asserted.
 */
class StateFailoverIntegrationTest {
    @TempDir
    Path dir;

    @Test
    void shouldMoveALargeDedupeWindowWithItsTasksWhenAnInstanceIsKilled() throws Exception {
        StateFailover run = new StateFailover(100_000, List.of(1), System.out);
        List<String> failures = run.run(dir);
        run.figures.forEach((k, v) -> System.out.printf("  %-100s %s%n", k, v));
        assertThat(failures).isEmpty();
        assertThat(run.figures).containsEntry("standby 1: answered requests published again after the kill / skipped by the survivor as answered",
                "1000 / 1000");
    }
}
