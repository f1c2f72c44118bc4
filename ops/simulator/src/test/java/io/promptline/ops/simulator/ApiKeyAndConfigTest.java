package io.promptline.ops.simulator;

import static io.promptline.ops.simulator.SimHarness.chat;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApiKeyAndConfigTest {

    @Test
    void apiKeyMismatchIs401AndMatchIsServed() {
        SimulatorConfig cfg = SimulatorConfig.builder().latency("fixed:0").apiKey("sk-sim").reasoningFraction(0.5)
                .completionTokensMin(40).completionTokensMax(40).build();
        try (SimHarness h = new SimHarness(cfg)) {
            HttpResponse<Buffer> missing = h.chatSync(chat("gpt-4.1", "x"));
            HttpResponse<Buffer> wrong = h.chatSync(chat("gpt-4.1", "x"), Map.of("Authorization", "Bearer nope"));
            HttpResponse<Buffer> right = h.chatSync(chat("gpt-4.1", "x"), Map.of("Authorization", "Bearer sk-sim"));

            assertThat(missing.statusCode()).isEqualTo(401);
            assertThat(wrong.statusCode()).isEqualTo(401);
            JsonObject error = wrong.bodyAsJsonObject().getJsonObject("error");
            assertThat(error.getString("message")).isEqualTo("Incorrect API key provided.");
            assertThat(error.getString("code")).isEqualTo("invalid_api_key");
            assertThat(error.getString("type")).isEqualTo("invalid_request_error");
            assertThat(right.statusCode()).isEqualTo(200);
            JsonObject usage = right.bodyAsJsonObject().getJsonObject("usage");
            assertThat(usage.getInteger("completion_tokens")).isEqualTo(40);
            assertThat(usage.getJsonObject("completion_tokens_details").getInteger("reasoning_tokens")).isEqualTo(20);
            assertThat(h.sim.stats().count("401")).isEqualTo(2);
            assertThat(h.sim.stats().usageByModel().get("gpt-4.1").reasoningTokens()).isEqualTo(20);
        }
    }

    @Test
    void contextWindowOverflowIs400() {
        SimulatorConfig cfg = SimulatorConfig.builder().latency("fixed:0").contextWindow("tiny", 100).build();
        try (SimHarness h = new SimHarness(cfg)) {
            String content = "w".repeat(200); // o200k: 100 tokens, + 4 + 3 = 107 > 100
            HttpResponse<Buffer> overPrompt = h.chatSync(chat("tiny", content));
            HttpResponse<Buffer> overWithMax = h.chatSync(chat("tiny", "w".repeat(150)).put("max_tokens", 50)); // 75 + 7 = 82
            HttpResponse<Buffer> otherModel = h.chatSync(chat("gpt-4.1", content));

            assertThat(overPrompt.statusCode()).isEqualTo(400);
            JsonObject error = overPrompt.bodyAsJsonObject().getJsonObject("error");
            assertThat(error.getString("code")).isEqualTo("context_length_exceeded");
            assertThat(error.getString("param")).isEqualTo("messages");
            assertThat(error.getString("message")).isEqualTo("This model's maximum context length is 100 tokens."
                    + " However, your messages resulted in 107 tokens. Please reduce the length of the messages.");
            assertThat(overWithMax.statusCode()).isEqualTo(400);
            assertThat(overWithMax.bodyAsJsonObject().getJsonObject("error").getString("message"))
                    .contains("82 in the messages, 50 in the completion");
            assertThat(otherModel.statusCode()).isEqualTo(200);
            assertThat(h.sim.stats().count(Outcome.CONTEXT_LENGTH)).isEqualTo(2);
        }
    }

    @Test
    void severalInstancesShareThePort() {
        SimulatorConfig cfg = SimulatorConfig.builder().latency("fixed:0").instances(2).build();
        try (SimHarness h = new SimHarness(cfg)) {
            for (int i = 0; i < 10; i++) {
                assertThat(h.chatSync(chat("gpt-4.1", "i" + i)).statusCode()).isEqualTo(200);
            }
            assertThat(h.sim.stats().succeeded()).isEqualTo(10);
            assertThat(h.sim.baseUrl()).isEqualTo("http://127.0.0.1:" + h.sim.port() + "/v1");
        }
    }

    @Test
    void closingTheSimulatorReleasesHeldRequests() {
        SimulatorConfig cfg = SimulatorConfig.builder().latency("fixed:0").hangMillis(60_000).build();
        SimHarness h = new SimHarness(cfg);
        try {
            io.vertx.core.Future<HttpResponse<Buffer>> held = h.sendChat(chat("gpt-4.1", "[[sim:hang]]"), Map.of());
            SimHarness.eventually(5_000, () -> h.sim.stats().inFlight() == 1);

            h.sim.close();

            assertThat(SimHarness.failureOf(held)).isNotNull();
            assertThat(h.sim.stats().inFlight()).isZero();
        } finally {
            h.close();
        }
    }

    @Test
    void ownVertxConstructorStartsAndCloses() {
        try (LlmSimulator sim = new LlmSimulator(SimulatorConfig.defaults())) {
            int port = sim.start();
            assertThat(port).isPositive();
            assertThat(sim.baseUrl()).isEqualTo("http://127.0.0.1:" + port + "/v1");
        }
    }
}
