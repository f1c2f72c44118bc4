package io.promptline.processor.provider;

import io.promptline.avro.ChatMessage;
import io.promptline.avro.TokenUsage;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * Anthropic's Messages API: {@code POST {base}/messages} (base {@code https://api.anthropic.com/v1}),
 * the key in {@code x-api-key} with {@code anthropic-version: 2023-06-01}; system messages go to
 * the top-level {@code system}, {@code max_tokens} is required (4,096 when the request sets none).
 * The answer's text blocks are its content; {@code stop_reason} maps to OpenAI's finish reasons;
 * usage counts cache reads and writes apart from {@code input_tokens}, so the prompt is their sum
 * (cached = cache reads, cache writes kept for pricing). Errors come as
 * {@code {"type":"error","error":{"type":…,"message":…}}} (529 {@code overloaded_error} rests the
 * endpoint like a 503) and the windows as {@code anthropic-ratelimit-*-remaining|reset}.
 */
final class AnthropicApi implements ProviderApi {
    static final AnthropicApi INSTANCE = new AnthropicApi();
    static final String VERSION = "2023-06-01";
    static final int DEFAULT_MAX_TOKENS = 4096;
    private static final Map<String, String> FINISH = Map.of("end_turn", "stop", "stop_sequence", "stop", "max_tokens", "length",
            "tool_use", "tool_calls", "refusal", "content_filter", "pause_turn", "stop");

    @Override
    public String name() {
        return "anthropic";
    }

    @Override
    public URI target(URI baseUrl) {
        return ProviderApi.append(baseUrl, "/messages");
    }

    @Override
    public void authenticate(HttpRequest<Buffer> request, String apiKey) {
        if (apiKey != null && !apiKey.isEmpty()) request.putHeader("x-api-key", apiKey);
        request.putHeader("anthropic-version", VERSION);
    }

    @Override
    public JsonObject body(ChatCall call) {
        if (call.responseFormatJson() != null) {
            throw new IllegalArgumentException("response_format is not supported by the Anthropic Messages API; route this request to an "
                    + "OpenAI-compatible endpoint");
        }
        StringBuilder system = new StringBuilder();
        JsonArray messages = new JsonArray();
        for (ChatMessage m : call.messages()) {
            if ("system".equals(m.getRole()) || "developer".equals(m.getRole())) {
                if (!system.isEmpty()) system.append("\n\n");
                system.append(m.getContent());
            } else {
                messages.add(new JsonObject().put("role", m.getRole()).put("content", m.getContent()));
            }
        }
        JsonObject body = new JsonObject().put("model", call.model())
                .put("max_tokens", call.maxTokens() != null ? call.maxTokens() : DEFAULT_MAX_TOKENS)
                .put("messages", messages);
        if (!system.isEmpty()) body.put("system", system.toString());
        if (call.temperature() != null) body.put("temperature", call.temperature());
        return body;
    }

    @Override
    public CallOutcome outcome(int status, JsonObject json, MultiMap headers, String provider, String model, long latency, Clock clock) {
        Duration exhausted = ProviderSignals.anthropicExhaustedFor(headers, clock);
        if (status / 100 != 2) return OpenAiApi.failure(status, json, headers, provider, latency, clock, exhausted);
        if (json == null || !(json.getValue("content") instanceof JsonArray blocks)) {
            return new CallOutcome.Failure(io.promptline.avro.ErrorCategory.PROVIDER_ERROR, status, "Answer from " + provider
                    + " is not a Messages API message", latency);
        }
        StringBuilder text = new StringBuilder();
        boolean anyText = false;
        for (Object b : blocks) {
            if (b instanceof JsonObject block && "text".equals(block.getString("type"))) {
                text.append(block.getString("text", ""));
                anyText = true;
            }
        }
        String stop = json.getString("stop_reason");
        String finish = stop == null ? null : FINISH.getOrDefault(stop, stop);
        String answeredBy = json.getString("model", model);
        JsonObject usage = json.getJsonObject("usage");
        if (usage == null) return new CallOutcome.Success(answeredBy, anyText ? text.toString() : null, finish, null, latency, exhausted);
        long cacheRead = OpenAiApi.longOrZero(usage, "cache_read_input_tokens");
        long cacheWrite = OpenAiApi.longOrZero(usage, "cache_creation_input_tokens");
        TokenUsage tokens = TokenUsage.newBuilder()
                .setPromptTokens(OpenAiApi.longOrZero(usage, "input_tokens") + cacheRead + cacheWrite)
                .setCompletionTokens(OpenAiApi.longOrZero(usage, "output_tokens"))
                .setCachedTokens(cacheRead)
                .setCacheWriteTokens(cacheWrite)
                .setReasoningTokens(0L)
                .build();
        return OpenAiApi.answered(status, provider, answeredBy, anyText ? text.toString() : null, finish, tokens, latency, exhausted);
    }
}
