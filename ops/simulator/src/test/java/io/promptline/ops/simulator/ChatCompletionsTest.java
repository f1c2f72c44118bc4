package io.promptline.ops.simulator;

import static io.promptline.ops.simulator.SimHarness.chat;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ChatCompletionsTest {

    private static SimHarness h;
    private static final SimulatorConfig CFG = SimulatorConfig.builder().latency("fixed:1").build();

    @BeforeAll
    static void start() {
        h = new SimHarness(CFG);
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @BeforeEach
    void reset() {
        h.sim.reset();
    }

    @Test
    void successHasOpenAiShapeAndHeaders() {
        HttpResponse<Buffer> r = h.chatSync(chat("gpt-4.1", "Hello there"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.getHeader("content-type")).isEqualTo("application/json");
        assertThat(r.getHeader("x-request-id")).isNotBlank();
        assertThat(r.getHeader("x-ratelimit-limit-requests")).isEqualTo("10000");
        assertThat(Long.parseLong(r.getHeader("x-ratelimit-remaining-requests"))).isBetween(0L, 9999L);
        assertThat(r.getHeader("x-ratelimit-reset-requests")).isEqualTo("1s");
        assertThat(r.getHeader("x-ratelimit-limit-tokens")).isEqualTo("10000000");
        assertThat(r.getHeader("x-ratelimit-remaining-tokens")).isNotBlank();
        assertThat(r.getHeader("x-ratelimit-reset-tokens")).isEqualTo("1s");
        JsonObject body = r.bodyAsJsonObject();
        assertThat(body.getString("id")).startsWith("chatcmpl-sim-");
        assertThat(body.getString("object")).isEqualTo("chat.completion");
        assertThat(body.getLong("created")).isPositive();
        assertThat(body.getString("model")).isEqualTo("gpt-4.1");
        JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
        assertThat(choice.getInteger("index")).isZero();
        assertThat(choice.getJsonObject("message").getString("role")).isEqualTo("assistant");
        assertThat(choice.getJsonObject("message").getString("content")).isEqualTo("Simulated answer to: Hello there");
        assertThat(choice.getString("finish_reason")).isEqualTo("stop");
    }

    @Test
    void usageFollowsTheDocumentedArithmetic() {
        String content = "x".repeat(10);
        JsonObject req = chat("gpt-4.1-mini", content);
        req.getJsonArray("messages").add(0, new JsonObject().put("role", "system").put("content", "be brief"));
        JsonObject usage = h.chatSync(req).bodyAsJsonObject().getJsonObject("usage");

        int prompt = 3 + (2 + 4) + (2 + 4); // o200k_base: "xxxxxxxxxx" is 2 tokens, "be brief" 2
        assertThat(TokenEstimator.promptTokens(List.of("be brief", content))).isEqualTo(prompt);
        int completion = TokenEstimator.naturalCompletionTokens("gpt-4.1-mini", List.of("be brief", content), 20, 200);
        assertThat(usage.getInteger("prompt_tokens")).isEqualTo(prompt);
        assertThat(usage.getInteger("completion_tokens")).isEqualTo(completion).isBetween(20, 200);
        assertThat(usage.getInteger("total_tokens")).isEqualTo(prompt + completion);
        assertThat(usage.getJsonObject("prompt_tokens_details").getInteger("cached_tokens")).isZero();
        assertThat(usage.getJsonObject("completion_tokens_details").getInteger("reasoning_tokens")).isZero();
    }

    @Test
    void longPromptsReportCachedTokens() {
        String content = "y".repeat(5000); // 1250 + 4 + 3 = 1257 prompt tokens >= 1024
        JsonObject usage = h.chatSync(chat("gpt-4.1", content)).bodyAsJsonObject().getJsonObject("usage");

        assertThat(usage.getInteger("prompt_tokens")).isEqualTo(1257);
        assertThat(usage.getJsonObject("prompt_tokens_details").getInteger("cached_tokens")).isEqualTo(628);
    }

    @Test
    void maxTokensClampsAndFinishesWithLength() {
        JsonObject req = chat("gpt-4.1", "tell me a story").put("max_tokens", 5);
        JsonObject body = h.chatSync(req).bodyAsJsonObject();

        assertThat(body.getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(5);
        assertThat(body.getJsonArray("choices").getJsonObject(0).getString("finish_reason")).isEqualTo("length");

        JsonObject roomy = chat("gpt-4.1", "tell me a story").put("max_completion_tokens", 1000);
        JsonObject body2 = h.chatSync(roomy).bodyAsJsonObject();
        assertThat(body2.getJsonArray("choices").getJsonObject(0).getString("finish_reason")).isEqualTo("stop");
        assertThat(body2.getJsonObject("usage").getInteger("completion_tokens")).isBetween(20, 200);
    }

    @Test
    void sameRequestTwiceGivesSameUsage() {
        JsonObject req = chat("claude-sonnet-4.5", "deterministic?");
        JsonObject first = h.chatSync(req).bodyAsJsonObject();
        JsonObject second = h.chatSync(req).bodyAsJsonObject();

        assertThat(second.getJsonObject("usage")).isEqualTo(first.getJsonObject("usage"));
        assertThat(second.getString("id")).isNotEqualTo(first.getString("id"));
        assertThat(first.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content"))
                .isEqualTo("Simulated answer to: deterministic?");
    }

    @Test
    void contentIsShortEvenForLongPrompts() {
        String content = "z".repeat(10_000);
        String text = h.chatSync(chat("gpt-4.1", content)).bodyAsJsonObject().getJsonArray("choices")
                .getJsonObject(0).getJsonObject("message").getString("content");

        assertThat(text).isEqualTo("Simulated answer to: " + "z".repeat(60));
    }

    @Test
    void missingMessagesIsA400NamingTheField() {
        HttpResponse<Buffer> r = h.chatSync(new JsonObject().put("model", "gpt-4.1"));

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.getHeader("x-request-id")).isNotBlank();
        assertThat(r.getHeader("x-ratelimit-limit-requests")).isNotBlank();
        JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
        assertThat(error.getString("message")).contains("messages");
        assertThat(error.getString("type")).isEqualTo("invalid_request_error");
        assertThat(error.getString("param")).isEqualTo("messages");
        assertThat(error.containsKey("code")).isTrue();
        assertThat(error.getValue("code")).isNull();
    }

    @Test
    void invalidFieldsAre400sNamingTheField() {
        assertParam(new JsonObject().put("messages", new JsonArray()), "model");
        assertParam(new JsonObject().put("model", 7).put("messages", new JsonArray()), "model");
        assertParam(new JsonObject().put("model", "gpt-4.1").put("messages", new JsonArray()), "messages");
        assertParam(new JsonObject().put("model", "gpt-4.1").put("messages", "hi"), "messages");
        assertParam(new JsonObject().put("model", "gpt-4.1").put("messages",
                new JsonArray().add(new JsonObject().put("role", "user"))), "messages[0].content");
        assertParam(new JsonObject().put("model", "gpt-4.1").put("messages",
                new JsonArray().add(new JsonObject().put("role", "user").put("content", 3))), "messages[0].content");
        assertParam(new JsonObject().put("model", "gpt-4.1").put("messages",
                new JsonArray().add(new JsonObject().put("role", "robot").put("content", "x"))), "messages[0].role");
        assertParam(chat("gpt-4.1", "x").put("max_tokens", 0), "max_tokens");
        assertParam(chat("gpt-4.1", "x").put("max_completion_tokens", "10"), "max_completion_tokens");
        assertParam(chat("gpt-4.1", "x").put("temperature", 3.5), "temperature");
        assertParam(chat("gpt-4.1", "x").put("response_format", "json"), "response_format");
        assertThat(h.sim.stats().count("400")).isEqualTo(11);
    }

    private static void assertParam(JsonObject request, String param) {
        HttpResponse<Buffer> r = h.chatSync(request);
        assertThat(r.statusCode()).as(request.encode()).isEqualTo(400);
        JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
        assertThat(error.getString("param")).as(request.encode()).isEqualTo(param);
        assertThat(error.getString("message")).as(request.encode()).contains(param);
        assertThat(error.getString("type")).isEqualTo("invalid_request_error");
    }

    @Test
    void streamsTheAnswerAsChunksEndingWithUsageAndDone() {
        HttpResponse<Buffer> whole = h.chatSync(chat("gpt-4.1", "stream me a few words"));
        HttpResponse<Buffer> r = h.chatSync(chat("gpt-4.1", "stream me a few words").put("stream", true)
                .put("stream_options", new JsonObject().put("include_usage", true)));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.getHeader("content-type")).isEqualTo("text/event-stream");
        List<String> events = java.util.Arrays.stream(r.bodyAsString().split("\n\n")).toList();
        assertThat(events.get(events.size() - 1)).isEqualTo("data: [DONE]");
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonObject usage = null;
        for (String e : events.subList(0, events.size() - 1)) {
            assertThat(e).startsWith("data: ");
            JsonObject chunk = new JsonObject(e.substring("data: ".length()));
            assertThat(chunk.getString("object")).isEqualTo("chat.completion.chunk");
            if (chunk.getValue("usage") instanceof JsonObject u) usage = u;
            if (chunk.getJsonArray("choices").isEmpty()) continue;
            JsonObject choice = chunk.getJsonArray("choices").getJsonObject(0);
            text.append(choice.getJsonObject("delta").getString("content", ""));
            if (choice.getString("finish_reason") != null) finish = choice.getString("finish_reason");
        }
        JsonObject answer = whole.bodyAsJsonObject();
        assertThat(events.size()).isGreaterThan(4);
        assertThat(text.toString()).isEqualTo(answer.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content"));
        assertThat(finish).isEqualTo("stop");
        assertThat(usage).isNotNull();
        assertThat(usage.getLong("prompt_tokens")).isEqualTo(answer.getJsonObject("usage").getLong("prompt_tokens"));
    }

    @Test
    void streamOptionsWithoutStreamIsA400NamingIt() {
        assertParam(chat("gpt-4.1", "x").put("stream_options", new JsonObject().put("include_usage", true)), "stream_options");
        assertParam(chat("gpt-4.1", "x").put("stream", "yes"), "stream");
    }

    @Test
    void malformedJsonIsA400() {
        HttpResponse<Buffer> r = SimHarness.await(h.post("/v1/chat/completions")
                .putHeader("content-type", "application/json").sendBuffer(Buffer.buffer("{\"model\": ")));

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("type")).isEqualTo("invalid_request_error");
        assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("JSON");
    }

    @Test
    void acceptedOptionalFieldsDoNotChangeTheAnswer() {
        JsonObject req = chat("gpt-4.1", "x").put("temperature", 0.2)
                .put("response_format", new JsonObject().put("type", "json_object")).put("stream", false);

        assertThat(h.chatSync(req).statusCode()).isEqualTo(200);
    }

    @Test
    void modelsAreListed() {
        JsonObject body = SimHarness.await(h.get("/v1/models").send()).bodyAsJsonObject();

        assertThat(body.getString("object")).isEqualTo("list");
        assertThat(body.getJsonArray("data").stream().map(o -> ((JsonObject) o).getString("id")))
                .containsExactlyElementsOf(SimulatorConfig.DEFAULT_MODELS);
        JsonObject first = body.getJsonArray("data").getJsonObject(0);
        assertThat(first.getString("object")).isEqualTo("model");
        assertThat(first.getString("owned_by")).isEqualTo("promptline-simulator");
        assertThat(first.getLong("created")).isPositive();
    }

    @Test
    void unknownModelsAreServedAndCounted() {
        HttpResponse<Buffer> r = h.chatSync(chat("my-own-model", "x"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(h.sim.stats().unknownModelRequests()).isEqualTo(1);
        assertThat(h.sim.stats().usageByModel()).containsKey("my-own-model");
    }

    @Test
    void statsTotalsAndLedgerAfterNCalls() {
        int n = 25;
        long expectedPrompt = 0;
        long expectedCompletion = 0;
        for (int i = 0; i < n; i++) {
            String content = "question " + i;
            HttpResponse<Buffer> r = h.chatSync(chat("gpt-4.1", content), Map.of("Idempotency-Key", "k-" + (i % 20)));
            assertThat(r.statusCode()).isEqualTo(200);
            expectedPrompt += TokenEstimator.promptTokens(List.of(content));
            expectedCompletion += TokenEstimator.naturalCompletionTokens("gpt-4.1", List.of(content), 20, 200);
        }
        h.chatSync(chat("gpt-4.1", "no key"));
        h.chatSync(new JsonObject().put("model", "gpt-4.1")); // 400

        SimulatorStats s = h.sim.stats();
        assertThat(s.requestsReceived()).isEqualTo(n + 2);
        assertThat(s.succeeded()).isEqualTo(n + 1);
        assertThat(s.count("ok")).isEqualTo(n + 1);
        assertThat(s.count("400")).isEqualTo(1);
        assertThat(s.inFlight()).isZero();
        assertThat(s.distinctIdempotencyKeys()).isEqualTo(20);
        assertThat(s.duplicateSuccessfulCalls()).isEqualTo(5);
        SimulatorStats.ModelUsage u = s.usageByModel().get("gpt-4.1");
        assertThat(u.calls()).isEqualTo(n + 1);
        assertThat(u.promptTokens()).isEqualTo(expectedPrompt + TokenEstimator.promptTokens(List.of("no key")));
        assertThat(u.completionTokens()).isEqualTo(expectedCompletion
                + TokenEstimator.naturalCompletionTokens("gpt-4.1", List.of("no key"), 20, 200));
        assertThat(h.sim.recordedCalls()).hasSize(n + 1);
        assertThat(h.sim.recordedCalls().get(0)).isEqualTo(new RecordedCall("k-0", "gpt-4.1",
                TokenEstimator.promptTokens(List.of("question 0")),
                TokenEstimator.naturalCompletionTokens("gpt-4.1", List.of("question 0"), 20, 200), 0, 0));
    }

    @Test
    void simEndpointsExposeStatsCallsAndReset() {
        h.chatSync(chat("gpt-4.1", "a"), Map.of("X-Request-Id", "rid-1"));
        h.chatSync(chat("gpt-4.1", "b"), Map.of("Idempotency-Key", "idem-2", "X-Request-Id", "rid-2"));

        JsonObject stats = SimHarness.await(h.get("/sim/stats").send()).bodyAsJsonObject();
        assertThat(SimulatorStats.fromJson(stats)).isEqualTo(h.sim.stats());
        assertThat(stats.getLong("succeeded")).isEqualTo(2);
        assertThat(stats.getJsonObject("countsByOutcome").getLong("ok")).isEqualTo(2);
        assertThat(stats.getJsonObject("usageByModel").getJsonObject("gpt-4.1").getLong("calls")).isEqualTo(2);

        JsonArray calls = SimHarness.await(h.get("/sim/calls").send()).bodyAsJsonArray();
        assertThat(calls).hasSize(2);
        assertThat(calls.getJsonObject(0).getString("idempotencyKey")).isEqualTo("rid-1");
        assertThat(calls.getJsonObject(1).getString("idempotencyKey")).isEqualTo("idem-2");
        assertThat(calls.getJsonObject(1).fieldNames()).containsExactlyInAnyOrder("idempotencyKey", "model",
                "promptTokens", "completionTokens", "cachedTokens", "reasoningTokens");
        JsonArray page = SimHarness.await(h.get("/sim/calls?offset=1&limit=5").send()).bodyAsJsonArray();
        assertThat(page).hasSize(1);

        assertThat(SimHarness.await(h.post("/sim/reset").send()).statusCode()).isEqualTo(200);
        assertThat(h.sim.stats().requestsReceived()).isZero();
        assertThat(h.sim.recordedCalls()).isEmpty();
    }

    @Test
    void unknownPathsGetOpenAiStyle404() {
        HttpResponse<Buffer> r = SimHarness.await(h.get("/v1/nope").send());

        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("type")).isEqualTo("invalid_request_error");
    }
}
