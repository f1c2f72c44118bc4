package io.promptline.ops.local.chaos;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three processor JVMs, one deployment limited to 600 requests per minute: the provider sees its
 * limit, not three times it; and a 429 storm caused by batch traffic on another deployment
 * neither pauses nor starves urgent requests (their latency is printed: performance is measured,
 * not asserted, in tests).
 */
class SharedCapacityIntegrationTest {
    @TempDir
    Path dir;

    @Test
    void shouldKeepADeploymentsLimitAcrossThreeInstancesTogether() throws Exception {
        SharedCapacity run = new SharedCapacity(2, System.out);
        List<String> failures = run.run(dir);
        run.figures.forEach((k, v) -> System.out.printf("  %-80s %s%n", k, v));
        assertThat(failures).isEmpty();
        assertThat(run.perMinute).hasSize(2).allSatisfy(n -> assertThat(n).as("calls in a minute, limit 600 for all three together")
                .isBetween(582L, 603L));
    }
}
