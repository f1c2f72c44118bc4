package io.promptline.ops.simulator;

import static io.promptline.ops.simulator.SimHarness.chat;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FaultRatesTest {

    private static List<Integer> statuses(SimulatorConfig cfg, int n) {
        try (SimHarness h = new SimHarness(cfg)) {
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(h.chatSync(chat("gpt-4.1", "q" + i)).statusCode());
            }
            SimulatorStats s = h.sim.stats();
            assertThat(s.requestsReceived()).isEqualTo(n);
            assertThat(s.countsByOutcome().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(n);
            return out;
        }
    }

    @Test
    void rateOfOneAlwaysFails() {
        List<Integer> got = statuses(SimulatorConfig.builder().latency("fixed:0").rate500(1.0).build(), 10);

        assertThat(got).containsOnly(500);
    }

    @Test
    void mixedRatesAreDeterministicForASeed() {
        SimulatorConfig cfg = SimulatorConfig.builder().latency("uniform:0-2").seed(7).rate429(0.2).rate503(0.2)
                .rateContextLength(0.1).build();
        List<Integer> first = statuses(cfg, 60);
        List<Integer> second = statuses(cfg, 60);

        assertThat(first).isEqualTo(second);
        assertThat(first).contains(200, 429, 503, 400);
        assertThat(first).containsOnly(200, 429, 503, 400);
    }

    @Test
    void markersWinOverRates() {
        SimulatorConfig cfg = SimulatorConfig.builder().latency("fixed:0").rate500(1.0).build();
        try (SimHarness h = new SimHarness(cfg)) {
            assertThat(h.chatSync(chat("gpt-4.1", "[[sim:429]]")).statusCode()).isEqualTo(429);
            Map<String, String> key = Map.of("Idempotency-Key", "t");
            assertThat(h.chatSync(chat("gpt-4.1", "[[sim:503x1]]"), key).statusCode()).isEqualTo(503);
            // an exhausted transient marker means plain success, rates notwithstanding
            assertThat(h.chatSync(chat("gpt-4.1", "[[sim:503x1]]"), key).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void randomResetAndHangRates() {
        SimulatorConfig cfg = SimulatorConfig.builder().latency("fixed:0").rateReset(1.0).build();
        try (SimHarness h = new SimHarness(cfg)) {
            assertThat(SimHarness.failureOf(h.sendChat(chat("gpt-4.1", "x"), Map.of()))).isNotNull();
            assertThat(h.sim.stats().count("reset")).isEqualTo(1);
        }
        SimulatorConfig hang = SimulatorConfig.builder().latency("fixed:0").rateHang(1.0).hangMillis(100).build();
        try (SimHarness h = new SimHarness(hang)) {
            assertThat(SimHarness.failureOf(h.sendChat(chat("gpt-4.1", "x"), Map.of()))).isNotNull();
            assertThat(h.sim.stats().count("hang")).isEqualTo(1);
            SimHarness.eventually(5_000, () -> h.sim.stats().inFlight() == 0);
        }
    }
}
