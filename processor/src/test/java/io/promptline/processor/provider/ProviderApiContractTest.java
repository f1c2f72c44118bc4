package io.promptline.processor.provider;

import io.promptline.requests.Messages;
import io.promptline.avro.ChatMessage;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.ToolCall;
import io.promptline.avro.ToolDefinition;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The same contract for every provider API: a real HTTP server answers with the provider's
 * documented responses ({@code provider-recordings/*.json}) and the client must send what the API
 * expects (path, query, credentials, body) and map every answer to the same outcome: the text, the
 * finish reason, the usage in OpenAI's terms (literal counts from the recordings), the error
 * category, the endpoint fault and how long the endpoint should rest.
 */
class ProviderApiContractTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC);
    private static Vertx vertx;
    private static HttpServer server;
    private static final AtomicReference<JsonObject> ANSWER = new AtomicReference<>();
    private static final AtomicReference<Seen> SEEN = new AtomicReference<>();

    private record Seen(String path, String query, MultiMap headers, JsonObject body) {
    }

    @BeforeAll
    static void startServer() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
            SEEN.set(new Seen(req.path(), req.query(), MultiMap.caseInsensitiveMultiMap().addAll(req.headers()), body.toJsonObject()));
            JsonObject answer = ANSWER.get();
            var resp = req.response().setStatusCode(answer.getInteger("status")).putHeader("content-type", "application/json");
            answer.getJsonObject("headers").forEach(h -> resp.putHeader(h.getKey(), h.getValue().toString()));
            resp.end(answer.getJsonObject("body").encode());
        })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stopServer() {
        vertx.close();
    }

    private static JsonObject recordings(String api) throws IOException {
        try (InputStream in = ProviderApiContractTest.class.getResourceAsStream("/provider-recordings/" + api + ".json")) {
            return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private static String baseUrl(String api) {
        String root = "http://127.0.0.1:" + server.actualPort();
        return switch (api) {
            case "azure" -> root + "/openai/deployments/gpt-4o-prod?api-version=2024-10-21";
            case "anthropic" -> root + "/v1";
            default -> root + "/v1";
        };
    }

    private static CallOutcome call(String api, String scenario, ChatCall call) throws Exception {
        ANSWER.set(recordings(api).getJsonObject(scenario));
        try (VertxChatClient client = new VertxChatClient(vertx, ProviderApi.of(api), api, baseUrl(api), "test-key-123", 10_000, 2_000, 4,
                CLOCK)) {
            return client.call(call).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static ChatCall chat(String model, Integer maxTokens) {
        return new ChatCall("req-1", model, List.of(Messages.text("system", "Be brief."), Messages.text("user", "Hello")), 0.2, maxTokens,
                null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "azure", "anthropic"})
    void shouldSendWhatTheApiExpects(String api) throws Exception {
        call(api, "success", chat("gpt-4.1", 64));
        Seen seen = SEEN.get();
        assertThat(seen.headers().get("Idempotency-Key")).isEqualTo("req-1");
        switch (api) {
            case "openai" -> {
                assertThat(seen.path()).isEqualTo("/v1/chat/completions");
                assertThat(seen.headers().get("Authorization")).isEqualTo("Bearer test-key-123");
                assertThat(seen.body().getJsonArray("messages")).hasSize(2);
                assertThat(seen.body().getInteger("max_tokens")).isEqualTo(64);
            }
            case "azure" -> {
                assertThat(seen.path()).isEqualTo("/openai/deployments/gpt-4o-prod/chat/completions");
                assertThat(seen.query()).isEqualTo("api-version=2024-10-21");
                assertThat(seen.headers().get("api-key")).isEqualTo("test-key-123");
                assertThat(seen.headers().get("Authorization")).isNull();
                assertThat(seen.body().getJsonArray("messages")).hasSize(2);
            }
            default -> {
                assertThat(seen.path()).isEqualTo("/v1/messages");
                assertThat(seen.headers().get("x-api-key")).isEqualTo("test-key-123");
                assertThat(seen.headers().get("anthropic-version")).isEqualTo("2023-06-01");
                assertThat(seen.headers().get("Authorization")).isNull();
                assertThat(seen.body().getString("system")).isEqualTo("Be brief.");
                assertThat(seen.body().getJsonArray("messages")).hasSize(1);
                assertThat(seen.body().getJsonArray("messages").getJsonObject(0).getString("role")).isEqualTo("user");
                assertThat(seen.body().getInteger("max_tokens")).isEqualTo(64);
            }
        }
        assertThat(seen.body().getDouble("temperature")).isEqualTo(0.2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "azure", "anthropic"})
    void shouldMapAnAnswerAndItsUsage(String api) throws Exception {
        CallOutcome.Success s = (CallOutcome.Success) call(api, "success", chat("gpt-4.1", null));
        assertThat(s.content()).isEqualTo("Hello! How can I assist you today?");
        assertThat(s.finishReason()).isEqualTo("stop");
        assertThat(s.usage().getPromptTokens()).isEqualTo(19);
        assertThat(s.usage().getCompletionTokens()).isEqualTo(10);
        assertThat(s.usage().getCachedTokens()).isZero();
        assertThat(s.holdOff()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "azure", "anthropic"})
    void shouldCountCachedCacheWriteAndReasoningTokensInOpenAisTerms(String api) throws Exception {
        CallOutcome.Success s = (CallOutcome.Success) call(api, "success_cached", chat("o3", 300));
        assertThat(s.finishReason()).isEqualTo("length");
        assertThat(s.usage().getCompletionTokens()).isEqualTo(300);
        assertThat(s.usage().getCachedTokens()).isEqualTo(1920);
        if (api.equals("anthropic")) {
            // 6 uncached + 80 written to the cache + 1,920 read from it; thinking is in the output, not counted apart; text blocks joined
            assertThat(s.content()).isEqualTo("42");
            assertThat(s.usage().getPromptTokens()).isEqualTo(2006);
            assertThat(s.usage().getCacheWriteTokens()).isEqualTo(80);
            assertThat(s.usage().getReasoningTokens()).isZero();
        } else {
            assertThat(s.content()).isEqualTo("42");
            assertThat(s.usage().getPromptTokens()).isEqualTo(2006);
            assertThat(s.usage().getReasoningTokens()).isEqualTo(256);
            assertThat(SEEN.get().body().getInteger("max_completion_tokens")).as("o-series models take max_completion_tokens").isEqualTo(300);
            assertThat(SEEN.get().body().containsKey("max_tokens")).isFalse();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "azure", "anthropic"})
    void shouldRestTheEndpointWhenAnAnswerSaysAWindowIsExhausted(String api) throws Exception {
        CallOutcome.Success s = (CallOutcome.Success) call(api, "exhausted", chat("gpt-4.1", null));
        assertThat(s.content()).isEqualTo("ok");
        assertThat(s.holdOff()).isEqualTo(Duration.ofSeconds(2));
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "azure", "anthropic"})
    void shouldMapEveryErrorToTheSameCategoryAndFault(String api) throws Exception {
        CallOutcome.Failure limited = (CallOutcome.Failure) call(api, "rate_limited", chat("gpt-4.1", null));
        assertThat(limited.category()).isEqualTo(ErrorCategory.RATE_LIMIT);
        assertThat(limited.retryable()).isTrue();
        assertThat(limited.retryAfter()).isEqualTo(Duration.ofSeconds(5));
        assertThat(limited.holdOff()).isEqualTo(Duration.ofSeconds(5));
        assertThat(limited.fault()).isEqualTo(CallOutcome.EndpointFault.NONE);

        CallOutcome.Failure key = (CallOutcome.Failure) call(api, "unauthorized", chat("gpt-4.1", null));
        assertThat(key.category()).isEqualTo(ErrorCategory.AUTHENTICATION);
        assertThat(key.fault()).isEqualTo(CallOutcome.EndpointFault.CREDENTIALS);
        assertThat(key.message()).doesNotContain("test-key-123");

        CallOutcome.Failure account = (CallOutcome.Failure) call(api, "account_refused", chat("gpt-4.1", null));
        assertThat(account.category()).isEqualTo(ErrorCategory.AUTHENTICATION);
        assertThat(account.fault()).isEqualTo(CallOutcome.EndpointFault.CREDENTIALS);

        CallOutcome.Failure tooLong = (CallOutcome.Failure) call(api, "context_length", chat("gpt-4.1", null));
        assertThat(tooLong.category()).isEqualTo(ErrorCategory.CONTEXT_LENGTH);
        assertThat(tooLong.retryable()).isFalse();

        CallOutcome.Failure unknown = (CallOutcome.Failure) call(api, "unknown_model", chat("gpt-9", null));
        assertThat(unknown.category()).isEqualTo(ErrorCategory.INVALID_REQUEST);
        // Azure names the deployment in the URL: a missing one is the endpoint's fault, not one model's
        assertThat(unknown.fault()).isEqualTo(api.equals("azure") ? CallOutcome.EndpointFault.NOT_FOUND : CallOutcome.EndpointFault.MODEL_NOT_FOUND);

        CallOutcome.Failure busy = (CallOutcome.Failure) call(api, "overloaded", chat("gpt-4.1", null));
        assertThat(busy.category()).isEqualTo(ErrorCategory.PROVIDER_ERROR);
        assertThat(busy.retryable()).isTrue();
        assertThat(busy.holdOff()).isEqualTo(Duration.ofSeconds(2));
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "azure", "anthropic"})
    void shouldKeepTheToolCallsAndRefusalsOfAnAnswer(String api) throws Exception {
        CallOutcome.Success call = (CallOutcome.Success) call(api, "tool_call", chat("gpt-4.1", null));
        assertThat(call.finishReason()).isEqualTo("tool_calls");
        assertThat(call.toolCalls()).singleElement().satisfies(t -> {
            assertThat(t.getName()).isEqualTo("get_current_weather");
            assertThat(new JsonObject(t.getArguments())).isEqualTo(new JsonObject().put("location", "Boston, MA"));
            assertThat(t.getId()).isNotBlank();
        });
        assertThat(call.usage().getPromptTokens()).isEqualTo(82);
        assertThat(call.usage().getCompletionTokens()).isEqualTo(17);

        CallOutcome.Success refused = (CallOutcome.Success) call(api, "refusal", chat("gpt-4.1", null));
        assertThat(refused.refusal()).isEqualTo("I'm sorry, I cannot assist with that request.");
        assertThat(refused.toolCalls()).isEmpty();
    }

    @org.junit.jupiter.api.Test
    void shouldReadAnAnswerWhoseContentIsAnArrayOfParts() throws Exception {
        CallOutcome.Success s = (CallOutcome.Success) call("openai", "array_content", chat("local-model", null));
        assertThat(s.content()).isEqualTo("Hello world");
    }

    /** A request with everything: tools, a forced tool, an image, a replayed tool call and its result, stop, seed, top_p, user. */
    private static ChatCall everything() {
        ToolDefinition weather = ToolDefinition.newBuilder().setName("get_current_weather").setDescription("Weather of a city")
                .setParameters("{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\"}},\"required\":[\"location\"]}").build();
        List<ChatMessage> history = List.of(
                Messages.text("system", "Be brief."),
                Messages.parts(List.of(Messages.textPart("What is in this image, and the weather there?"),
                        Messages.imagePart("data:image/png;base64,iVBORw0KGgo="))),
                Messages.toolCalls("", List.of(new ToolCall("call_1", "get_current_weather", "{\"location\":\"Boston, MA\"}"))),
                Messages.toolResult("call_1", "{\"temperature\":22}"));
        return new ChatCall("req-9", "gpt-4.1", history, null, 100, null, List.of(weather), "get_current_weather", List.of("END"), 42L, 0.9,
                "user-7");
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "azure", "anthropic"})
    void shouldSendToolsImagesAndAToolRoundTripInTheApisOwnTerms(String api) throws Exception {
        ANSWER.set(recordings(api).getJsonObject("success"));
        try (VertxChatClient client = new VertxChatClient(vertx, ProviderApi.of(api), api, baseUrl(api), "k", 10_000, 2_000, 4, CLOCK)) {
            assertThat(client.call(everything()).toCompletableFuture().get(10, TimeUnit.SECONDS)).isInstanceOf(CallOutcome.Success.class);
        }
        JsonObject body = SEEN.get().body();
        if (api.equals("anthropic")) {
            assertThat(body.getString("system")).isEqualTo("Be brief.");
            var messages = body.getJsonArray("messages");
            assertThat(messages).hasSize(3);
            var image = messages.getJsonObject(0).getJsonArray("content").getJsonObject(1);
            assertThat(image.getString("type")).isEqualTo("image");
            assertThat(image.getJsonObject("source")).isEqualTo(new JsonObject().put("type", "base64").put("media_type", "image/png")
                    .put("data", "iVBORw0KGgo="));
            var use = messages.getJsonObject(1).getJsonArray("content").getJsonObject(0);
            assertThat(use.getString("type")).isEqualTo("tool_use");
            assertThat(use.getJsonObject("input")).isEqualTo(new JsonObject().put("location", "Boston, MA"));
            var result = messages.getJsonObject(2);
            assertThat(result.getString("role")).isEqualTo("user");
            assertThat(result.getJsonArray("content").getJsonObject(0).getString("tool_use_id")).isEqualTo("call_1");
            assertThat(body.getJsonArray("tools").getJsonObject(0).getJsonObject("input_schema").getString("type")).isEqualTo("object");
            assertThat(body.getJsonObject("tool_choice")).isEqualTo(new JsonObject().put("type", "tool").put("name", "get_current_weather"));
            assertThat(body.getJsonArray("stop_sequences")).containsExactly("END");
            assertThat(body.getJsonObject("metadata").getString("user_id")).isEqualTo("user-7");
            assertThat(body.containsKey("seed")).as("the Messages API has no seed").isFalse();
        } else {
            var messages = body.getJsonArray("messages");
            assertThat(messages).hasSize(4);
            var image = messages.getJsonObject(1).getJsonArray("content").getJsonObject(1);
            assertThat(image.getJsonObject("image_url").getString("url")).isEqualTo("data:image/png;base64,iVBORw0KGgo=");
            var assistant = messages.getJsonObject(2);
            assertThat(assistant.getValue("content")).isNull();
            assertThat(assistant.getJsonArray("tool_calls").getJsonObject(0).getJsonObject("function").getString("arguments"))
                    .isEqualTo("{\"location\":\"Boston, MA\"}");
            assertThat(messages.getJsonObject(3).getString("tool_call_id")).isEqualTo("call_1");
            assertThat(body.getJsonArray("tools").getJsonObject(0).getJsonObject("function").getJsonObject("parameters").getString("type"))
                    .isEqualTo("object");
            assertThat(body.getJsonObject("tool_choice").getJsonObject("function").getString("name")).isEqualTo("get_current_weather");
            assertThat(body.getJsonArray("stop")).containsExactly("END");
            assertThat(body.getLong("seed")).isEqualTo(42L);
            assertThat(body.getDouble("top_p")).isEqualTo(0.9);
            assertThat(body.getString("user")).isEqualTo("user-7");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "azure", "anthropic"})
    void shouldFailARequestItCannotSendNamingTheField(String api) throws Exception {
        ChatCall e = everything();
        ChatCall badChoice = new ChatCall(e.idempotencyKey(), e.model(), e.messages(), null, null, null, e.tools(), "get_stock_price", List.of(),
                null, null, null);
        ChatCall badSchema = new ChatCall(e.idempotencyKey(), e.model(), e.messages(), null, null, null,
                List.of(ToolDefinition.newBuilder().setName("broken").setParameters("{not json").build()), null, List.of(), null, null, null);
        try (VertxChatClient client = new VertxChatClient(vertx, ProviderApi.of(api), api, baseUrl(api), "k", 10_000, 2_000, 4, CLOCK)) {
            CallOutcome.Failure choice = (CallOutcome.Failure) client.call(badChoice).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(choice.category()).isEqualTo(ErrorCategory.INVALID_REQUEST);
            assertThat(choice.message()).contains("tool_choice 'get_stock_price'");
            CallOutcome.Failure schema = (CallOutcome.Failure) client.call(badSchema).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(schema.message()).contains("tools.broken.parameters is not a JSON object");
        }
    }

    @org.junit.jupiter.api.Test
    void shouldMapAzuresContentFilterToContentPolicy() throws Exception {
        CallOutcome.Failure filtered = (CallOutcome.Failure) call("azure", "content_filter", chat("gpt-4.1", null));
        assertThat(filtered.category()).isEqualTo(ErrorCategory.CONTENT_POLICY);
        assertThat(filtered.retryable()).isFalse();
    }

    @org.junit.jupiter.api.Test
    void shouldRefuseAnAzureBaseUrlWithoutApiVersionAndARequestAnApiCannotExpress() throws Exception {
        assertThatThrownBy(() -> new VertxChatClient(vertx, ProviderApi.of("azure"), "azure",
                "https://res.openai.azure.com/openai/deployments/gpt-4o", "k", 1_000, 1_000, 1, CLOCK))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("api-version");
        assertThatThrownBy(() -> ProviderApi.of("bedrock")).hasMessageContaining("known: openai, azure, anthropic");

        ANSWER.set(recordings("anthropic").getJsonObject("success"));
        SEEN.set(null);
        // Structured output is a tool on Anthropic's API: a request that also offers its own tools cannot be expressed there
        ChatCall both = new ChatCall("req-2", "claude-sonnet-4-5", List.of(Messages.text("user", "x")), null, null,
                "{\"type\":\"json_object\"}", everything().tools(), null, List.of(), null, null, null);
        try (VertxChatClient client = new VertxChatClient(vertx, ProviderApi.of("anthropic"), "anthropic", baseUrl("anthropic"), "k", 10_000,
                2_000, 4, CLOCK)) {
            CallOutcome.Failure f = (CallOutcome.Failure) client.call(both).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(f.category()).isEqualTo(ErrorCategory.INVALID_REQUEST);
            assertThat(f.message()).contains("response_format together with tools");
        }
        assertThat(SEEN.get()).as("nothing was sent").isNull();
    }

    @org.junit.jupiter.api.Test
    void shouldAskAnthropicForStructuredOutputThroughAForcedToolAndReturnItsInputAsTheAnswer() throws Exception {
        String schema = "{\"type\":\"object\",\"properties\":{\"severity\":{\"type\":\"string\",\"enum\":[\"low\",\"high\"]}}}";
        ChatCall call = new ChatCall("req-3", "claude-sonnet-4-5", List.of(Messages.text("user", "Triage this")), null, null,
                "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"triage\",\"schema\":" + schema + "}}");
        CallOutcome.Success s = (CallOutcome.Success) call("anthropic", "structured", call);
        JsonObject body = SEEN.get().body();
        assertThat(body.getJsonArray("tools").getJsonObject(0).getString("name")).isEqualTo("promptline_structured_output");
        assertThat(body.getJsonArray("tools").getJsonObject(0).getJsonObject("input_schema")).isEqualTo(new JsonObject(schema));
        assertThat(body.getJsonObject("tool_choice")).isEqualTo(new JsonObject().put("type", "tool").put("name", "promptline_structured_output"));
        assertThat(new JsonObject(s.content())).isEqualTo(new JsonObject().put("severity", "high"));
        assertThat(s.finishReason()).isEqualTo("stop");
        assertThat(s.toolCalls()).isEmpty();
    }
}
