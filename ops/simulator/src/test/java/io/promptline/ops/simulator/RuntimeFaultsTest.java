package io.promptline.ops.simulator;

import static io.promptline.ops.simulator.SimHarness.chat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RuntimeFaultsTest {

    @Test
    void shouldChangeFaultRatesAtRuntimeOverHttpAndRecordEveryArrival() {
        SimulatorConfig cfg = SimulatorConfig.builder().latency("fixed:0").build();
        try (SimHarness h = new SimHarness(cfg)) {
            assertThat(h.chatSync(chat("gpt-4.1", "a"), Map.of("Idempotency-Key", "k1")).statusCode()).isEqualTo(200);

            // An outage: every call answers 503
            HttpResponse<Buffer> put = SimHarness.await(h.client.put(h.sim.port(), "127.0.0.1", "/sim/faults")
                    .sendJsonObject(new JsonObject().put("503", 1.0)));
            assertThat(put.statusCode()).isEqualTo(200);
            assertThat(put.bodyAsJsonObject().getDouble("503")).isEqualTo(1.0);
            assertThat(h.chatSync(chat("gpt-4.1", "b"), Map.of("Idempotency-Key", "k2")).statusCode()).isEqualTo(503);

            // Recovery: an empty body clears them
            SimHarness.await(h.client.put(h.sim.port(), "127.0.0.1", "/sim/faults").sendBuffer(Buffer.buffer()));
            assertThat(h.sim.faults()).isEqualTo(FaultRates.NONE);
            assertThat(h.chatSync(chat("gpt-4.1", "c"), Map.of("Idempotency-Key", "k3")).statusCode()).isEqualTo(200);

            // Every arrival is recorded with its key, model and outcome, in order
            assertThat(h.sim.arrivals()).extracting(Arrival::idempotencyKey, Arrival::model, Arrival::outcome)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("k1", "gpt-4.1", "ok"),
                            org.assertj.core.groups.Tuple.tuple("k2", "gpt-4.1", "503"), org.assertj.core.groups.Tuple.tuple("k3", "gpt-4.1", "ok"));
            JsonArray overHttp = SimHarness.await(h.client.get(h.sim.port(), "127.0.0.1", "/sim/arrivals").send()).bodyAsJsonArray();
            assertThat(overHttp).hasSize(3);
            assertThat(overHttp.getJsonObject(1).getString("outcome")).isEqualTo("503");
        }
    }

    @Test
    void shouldRefuseUnknownOrImpossibleFaultRatesNamingThem() {
        SimulatorConfig cfg = SimulatorConfig.builder().latency("fixed:0").build();
        try (SimHarness h = new SimHarness(cfg)) {
            HttpResponse<Buffer> unknown = SimHarness.await(h.client.put(h.sim.port(), "127.0.0.1", "/sim/faults")
                    .sendJsonObject(new JsonObject().put("418", 0.5)));
            assertThat(unknown.statusCode()).isEqualTo(400);
            assertThat(unknown.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("unknown fault '418'");
            assertThatThrownBy(() -> new FaultRates(0.6, 0.6, 0, 0, 0, 0, 0)).hasMessageContaining("must sum to at most 1");
            assertThat(h.sim.faults()).isEqualTo(FaultRates.NONE);
        }
    }
}
