package io.promptline.processor.provider;

import io.promptline.avro.ChatMessage;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.TokenUsage;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * OpenAI's chat completions, which most servers speak (OpenAI, resellers, vLLM, Ollama, LiteLLM):
 * {@code POST {base}/chat/completions}, a bearer token, OpenAI's error body and
 * {@code x-ratelimit-*} headers. Reasoning models (o1, o3, o4, gpt-5) take
 * {@code max_completion_tokens} instead of {@code max_tokens}.
 */
class OpenAiApi implements ProviderApi {
    static final OpenAiApi INSTANCE = new OpenAiApi();
    private static final Pattern REASONING_MODEL = Pattern.compile("^(o\\d|gpt-5)([-.].*)?$");

    @Override
    public String name() {
        return "openai";
    }

    @Override
    public URI target(URI baseUrl) {
        return ProviderApi.append(baseUrl, "/chat/completions");
    }

    @Override
    public void authenticate(HttpRequest<Buffer> request, String apiKey) {
        if (apiKey != null && !apiKey.isEmpty()) request.bearerTokenAuthentication(apiKey);
    }

    @Override
    public JsonObject body(ChatCall call) {
        JsonArray messages = new JsonArray();
        for (ChatMessage m : call.messages()) {
            messages.add(new JsonObject().put("role", m.getRole()).put("content", m.getContent()));
        }
        JsonObject body = new JsonObject().put("model", call.model()).put("messages", messages);
        if (call.temperature() != null) body.put("temperature", call.temperature());
        if (call.maxTokens() != null) body.put(REASONING_MODEL.matcher(call.model()).matches() ? "max_completion_tokens" : "max_tokens", call.maxTokens());
        if (call.responseFormatJson() != null) body.put("response_format", new JsonObject(call.responseFormatJson()));
        return body;
    }

    @Override
    public CallOutcome outcome(int status, JsonObject json, MultiMap headers, String provider, String model, long latency, Clock clock) {
        Duration exhausted = ProviderSignals.exhaustedFor(headers);
        if (status / 100 != 2) return failure(status, json, headers, provider, latency, clock, exhausted);
        if (json == null) {
            return new CallOutcome.Failure(ErrorCategory.PROVIDER_ERROR, status, "HTTP " + status + " from " + provider
                    + " with a body that is not JSON", latency);
        }
        JsonArray choices = json.getJsonArray("choices");
        if (choices == null || choices.isEmpty()) {
            return new CallOutcome.Failure(ErrorCategory.PROVIDER_ERROR, status, "Answer from " + provider + " has no choices", latency);
        }
        JsonObject choice = choices.getJsonObject(0);
        JsonObject message = choice.getJsonObject("message", new JsonObject());
        JsonObject usage = json.getJsonObject("usage");
        if (usage == null) {
            // Many local OpenAI-compatible servers answer without usage: the answer stands, its tokens are estimated by the caller.
            return new CallOutcome.Success(json.getString("model", model), message.getString("content"),
                    choice.getString("finish_reason"), null, latency, exhausted);
        }
        JsonObject promptDetails = usage.getJsonObject("prompt_tokens_details", new JsonObject());
        JsonObject completionDetails = usage.getJsonObject("completion_tokens_details", new JsonObject());
        TokenUsage tokens = TokenUsage.newBuilder()
                .setPromptTokens(usage.getLong("prompt_tokens", 0L))
                .setCompletionTokens(usage.getLong("completion_tokens", 0L))
                .setCachedTokens(longOrZero(promptDetails, "cached_tokens"))
                // OpenRouter reports prompt-cache writes in the details, LiteLLM and Anthropic-compatible servers at the top
                .setCacheWriteTokens(Math.max(longOrZero(promptDetails, "cache_write_tokens"), longOrZero(usage, "cache_creation_input_tokens")))
                .setReasoningTokens(longOrZero(completionDetails, "reasoning_tokens"))
                .build();
        return answered(status, provider, json.getString("model", model), message.getString("content"), choice.getString("finish_reason"),
                tokens, latency, exhausted);
    }

    /** An error answer: its category, the endpoint fault it reveals, and how long the endpoint should rest. */
    static CallOutcome.Failure failure(int status, JsonObject json, MultiMap headers, String provider, long latency, Clock clock,
                                       Duration exhausted) {
        ErrorCategory category = ErrorClassifier.fromHttp(status, json);
        String msg = ErrorClassifier.errorField(json, "message");
        Duration retryAfter = ProviderSignals.retryAfter(headers, clock);
        // A 429, 503 or 529 (overloaded) with Retry-After speaks for the whole endpoint, not just this request.
        Duration holdOff = status == 429 || status == 503 || status == 529 ? longest(retryAfter, exhausted) : exhausted;
        return new CallOutcome.Failure(category, status, "HTTP " + status + " from " + provider + (msg == null ? "" : ": " + msg),
                retryAfter, latency, holdOff, ErrorClassifier.fault(status, json));
    }

    /** An answer, unless its usage is one no real answer has (then it is not billed). */
    static CallOutcome answered(int status, String provider, String model, String content, String finishReason, TokenUsage tokens,
                                long latency, Duration exhausted) {
        String badUsage = implausible(tokens);
        if (badUsage != null) {
            return new CallOutcome.Failure(ErrorCategory.PROVIDER_ERROR, status, "Answer from " + provider + " reports "
                    + badUsage + "; not billed", latency);
        }
        return new CallOutcome.Success(model, content, finishReason, tokens, latency, exhausted);
    }

    private static Duration longest(Duration a, Duration b) {
        if (a == null) return b;
        if (b == null) return a;
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** Token counts no real answer has: negative, parts larger than wholes, or beyond any context window. */
    static String implausible(TokenUsage u) {
        long limit = 100_000_000L;
        if (u.getPromptTokens() < 0 || u.getCompletionTokens() < 0 || u.getCachedTokens() < 0 || u.getReasoningTokens() < 0
                || u.getCacheWriteTokens() < 0) {
            return "negative token counts " + u;
        }
        if (u.getPromptTokens() > limit || u.getCompletionTokens() > limit) return "absurd token counts " + u;
        if (u.getCachedTokens() + u.getCacheWriteTokens() > u.getPromptTokens()) return "more cached than prompt tokens " + u;
        return null;
    }

    static long longOrZero(JsonObject o, String field) {
        Object v = o.getValue(field);
        return v instanceof Number n ? n.longValue() : 0L;
    }
}
