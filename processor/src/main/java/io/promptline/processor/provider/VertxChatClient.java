package io.promptline.processor.provider;

import io.promptline.avro.ChatMessage;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.TokenUsage;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * An OpenAI-compatible chat-completion client on the Vert.x Web Client: one instance per JVM,
 * thousands of calls in flight on a few event-loop threads. Every call completes with a
 * {@link CallOutcome}; transport errors and error answers are classified, never thrown.
 */
public final class VertxChatClient implements ChatClient {
    private final WebClient client;
    private final String provider;
    private final URI endpoint;
    private final String bearer;
    private final long timeoutMs;
    private final Clock clock;

    /**
     * @param baseUrl e.g. {@code https://api.openai.com/v1}; {@code /chat/completions} is appended
     * @param apiKey  bearer token or null; held only to build the header
     */
    public VertxChatClient(Vertx vertx, String provider, String baseUrl, String apiKey, long timeoutMs,
                           int connectTimeoutMs, int maxConnections, Clock clock) {
        this.provider = provider;
        this.endpoint = URI.create(baseUrl + "/chat/completions");
        this.bearer = apiKey;
        this.timeoutMs = timeoutMs;
        this.clock = clock;
        boolean tls = "https".equalsIgnoreCase(endpoint.getScheme());
        WebClientOptions options = new WebClientOptions()
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setConnectTimeout(connectTimeoutMs)
                .setSsl(tls)
                .setUserAgent("promptline/0.1");
        this.client = WebClient.create(vertx, options, new PoolOptions().setHttp1MaxSize(maxConnections).setHttp2MaxSize(maxConnections)
                .setMaxWaitQueueSize(-1));
    }

    @Override
    public String provider() {
        return provider;
    }

    @Override
    public CompletionStage<CallOutcome> call(ChatCall call) {
        long started = clock.millis();
        CompletableFuture<CallOutcome> result = new CompletableFuture<>();
        int port = endpoint.getPort() > 0 ? endpoint.getPort() : ("https".equalsIgnoreCase(endpoint.getScheme()) ? 443 : 80);
        HttpRequest<Buffer> req = client.post(port, endpoint.getHost(), endpoint.getRawPath())
                .timeout(timeoutMs)
                .putHeader("Content-Type", "application/json")
                .putHeader("Idempotency-Key", call.idempotencyKey())
                .putHeader("X-Request-Id", call.idempotencyKey());
        if (bearer != null && !bearer.isEmpty()) req.bearerTokenAuthentication(bearer);
        req.sendBuffer(body(call).toBuffer()).onComplete(ar -> {
            long latency = clock.millis() - started;
            try {
                result.complete(ar.succeeded() ? fromResponse(ar.result(), call, latency)
                        : new CallOutcome.Failure(ErrorClassifier.fromTransport(ar.cause()), null,
                        describe(ar.cause()) + " calling " + provider, latency));
            } catch (RuntimeException e) {
                result.complete(new CallOutcome.Failure(ErrorCategory.PROVIDER_ERROR, null,
                        "Unreadable answer from " + provider + ": " + e.getMessage(), latency));
            }
        });
        return result;
    }

    /** The JSON body of a chat completion: the synchronous request, and each line of a batch job. */
    public static JsonObject body(ChatCall call) {
        JsonArray messages = new JsonArray();
        for (ChatMessage m : call.messages()) {
            messages.add(new JsonObject().put("role", m.getRole()).put("content", m.getContent()));
        }
        JsonObject body = new JsonObject().put("model", call.model()).put("messages", messages);
        if (call.temperature() != null) body.put("temperature", call.temperature());
        if (call.maxTokens() != null) body.put("max_tokens", call.maxTokens());
        if (call.responseFormatJson() != null) body.put("response_format", new JsonObject(call.responseFormatJson()));
        return body;
    }

    private CallOutcome fromResponse(HttpResponse<Buffer> resp, ChatCall call, long latency) {
        return outcome(resp.statusCode(), parse(resp.body()), resp.headers(), provider, call.model(), latency, clock);
    }

    /**
     * The outcome of one line of a provider batch job: its status and body are those a synchronous
     * call would have answered, without headers.
     */
    public static CallOutcome batchLine(int status, JsonObject body, String provider, String model, Clock clock) {
        return outcome(status, body, MultiMap.caseInsensitiveMultiMap(), provider, model, 0, clock);
    }

    private static CallOutcome outcome(int status, JsonObject json, MultiMap headers, String provider, String model, long latency,
                                       Clock clock) {
        Duration exhausted = ProviderSignals.exhaustedFor(headers);
        if (status / 100 != 2) {
            ErrorCategory category = ErrorClassifier.fromHttp(status, json);
            String msg = ErrorClassifier.errorField(json, "message");
            Duration retryAfter = ProviderSignals.retryAfter(headers, clock);
            // A 429 or 503 with Retry-After speaks for the whole endpoint, not just this request.
            Duration holdOff = status == 429 || status == 503 ? longest(retryAfter, exhausted) : exhausted;
            return new CallOutcome.Failure(category, status, "HTTP " + status + " from " + provider + (msg == null ? "" : ": " + msg),
                    retryAfter, latency, holdOff, ErrorClassifier.fault(status, json));
        }
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
        String badUsage = implausible(tokens);
        if (badUsage != null) {
            return new CallOutcome.Failure(ErrorCategory.PROVIDER_ERROR, status, "Answer from " + provider + " reports "
                    + badUsage + "; not billed", latency);
        }
        return new CallOutcome.Success(json.getString("model", model), message.getString("content"),
                choice.getString("finish_reason"), tokens, latency, exhausted);
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

    private static long longOrZero(JsonObject o, String field) {
        Object v = o.getValue(field);
        return v instanceof Number n ? n.longValue() : 0L;
    }

    private static JsonObject parse(Buffer body) {
        if (body == null || body.length() == 0) return null;
        try {
            return new JsonObject(body);
        } catch (DecodeException | ClassCastException e) {
            return null;
        }
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    @Override
    public void close() {
        client.close();
    }
}
