package io.promptline.ops.local;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class PortsTest {

    @Test
    void pairsAreBindableBelowTheEphemeralRangeAndNeverHandedOutTwice() throws IOException {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            int p = Ports.freePair();
            assertThat(p + 1).isLessThan(Ports.ephemeralLow());
            assertThat(seen.add(p) && seen.add(p + 1)).as("port %d handed out twice", p).isTrue();
            try (ServerSocket a = new ServerSocket(p); ServerSocket b = new ServerSocket(p + 1)) {
                assertThat(a.getLocalPort()).isEqualTo(p);
                assertThat(b.getLocalPort()).isEqualTo(p + 1);
            }
        }
        int single = Ports.free();
        assertThat(seen).doesNotContain(single);
    }
}
