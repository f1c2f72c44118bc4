package io.promptline.ops.simulator;

import static io.promptline.ops.simulator.SimHarness.chat;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConcurrencyTest {

    private static final int REQUESTS = 2_000;

    @Test
    void twoThousandConcurrentRequestsAreHeldAtOnceAndAllAnswered() {
        // 1 s latency leaves ample room for 2,000 connections to open on a busy 2-core machine
        SimulatorConfig cfg = SimulatorConfig.builder().latency("fixed:1000").build();
        try (SimHarness h = new SimHarness(cfg, REQUESTS)) {
            List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>(REQUESTS);
            for (int i = 0; i < REQUESTS; i++) {
                calls.add(h.sendChat(chat("gpt-4.1-mini", "concurrent " + i), Map.of("Idempotency-Key", "c-" + i)));
            }
            List<HttpResponse<Buffer>> responses = SimHarness.await(Future.all(calls)).list();

            assertThat(responses).hasSize(REQUESTS).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(200));
            SimulatorStats s = h.sim.stats();
            assertThat(s.requestsReceived()).isEqualTo(REQUESTS);
            assertThat(s.succeeded()).isEqualTo(REQUESTS);
            assertThat(s.maxInFlight()).isGreaterThanOrEqualTo(1_000);
            assertThat(s.inFlight()).isZero();
            assertThat(s.distinctIdempotencyKeys()).isEqualTo(REQUESTS);
            assertThat(s.duplicateSuccessfulCalls()).isZero();
            assertThat(s.usageByModel().get("gpt-4.1-mini").calls()).isEqualTo(REQUESTS);
            assertThat(h.sim.recordedCalls()).hasSize(REQUESTS);
        }
    }
}
