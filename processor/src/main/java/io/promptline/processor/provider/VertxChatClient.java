package io.promptline.processor.provider;

import io.promptline.avro.ErrorCategory;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.codec.BodyCodec;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.net.URI;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A chat-completion client on the Vert.x Web Client, speaking one {@link ProviderApi} (OpenAI's,
 * Azure's, Anthropic's): one instance per endpoint, thousands of calls in flight on a few
 * event-loop threads. Every call completes with a {@link CallOutcome}; transport errors, error
 * answers and requests the API cannot express are classified, never thrown.
 */
public final class VertxChatClient implements ChatClient {
    private final WebClient client;
    private final String provider;
    private final ProviderApi api;
    private final URI endpoint;
    private final String apiKey;
    private final long timeoutMs;
    private final Clock clock;

    /** An OpenAI-compatible endpoint. */
    public VertxChatClient(Vertx vertx, String provider, String baseUrl, String apiKey, long timeoutMs,
                           int connectTimeoutMs, int maxConnections, Clock clock) {
        this(vertx, OpenAiApi.INSTANCE, provider, baseUrl, apiKey, timeoutMs, connectTimeoutMs, maxConnections, clock);
    }

    /**
     * @param baseUrl e.g. {@code https://api.openai.com/v1}; the API adds its path (its query string is kept)
     * @param apiKey  the key or null; held only to build the header
     */
    public VertxChatClient(Vertx vertx, ProviderApi api, String provider, String baseUrl, String apiKey, long timeoutMs,
                           int connectTimeoutMs, int maxConnections, Clock clock) {
        this.provider = provider;
        this.api = api;
        URI base = URI.create(baseUrl);
        api.check(base);
        this.endpoint = api.target(base);
        this.apiKey = apiKey;
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
        JsonObject body;
        try {
            body = api.body(call);
        } catch (IllegalArgumentException cannot) {
            return cannotExpress(cannot);
        }
        CompletableFuture<CallOutcome> result = new CompletableFuture<>();
        request(call).sendBuffer(body.toBuffer()).onComplete(ar -> {
            long latency = clock.millis() - started;
            try {
                result.complete(ar.succeeded()
                        ? api.outcome(ar.result().statusCode(), parse(ar.result().body()), ar.result().headers(), provider, call.model(), latency, clock)
                        : new CallOutcome.Failure(ErrorClassifier.fromTransport(ar.cause()), null,
                        describe(ar.cause()) + " calling " + provider, latency));
            } catch (RuntimeException e) {
                result.complete(new CallOutcome.Failure(ErrorCategory.PROVIDER_ERROR, null,
                        "Unreadable answer from " + provider + ": " + e.getMessage(), latency));
            }
        });
        return result;
    }

    /**
     * Streams the answer (server-sent events), its pieces to {@code listener} on the event loop as
     * they arrive. {@code timeoutMs} bounds the wait for each piece, not the whole answer. The
     * stream, rebuilt into the API's whole answer, completes the call as an unstreamed one would; a
     * stream cut short or unreadable fails it (retried under a new attempt, whose pieces start again).
     */
    @Override
    public CompletionStage<CallOutcome> call(ChatCall call, StreamListener listener) {
        long started = clock.millis();
        JsonObject body;
        try {
            body = api.streamed(api.body(call));
        } catch (IllegalArgumentException cannot) {
            return cannotExpress(cannot);
        }
        CompletableFuture<CallOutcome> result = new CompletableFuture<>();
        StreamAssembler assembler = api.streamAssembler();
        SseSink sink = new SseSink(assembler, listener);
        request(call).putHeader("Accept", "text/event-stream").as(BodyCodec.pipe(sink)).sendBuffer(body.toBuffer()).onComplete(ar -> {
            long latency = clock.millis() - started;
            try {
                if (ar.failed()) {
                    result.complete(new CallOutcome.Failure(ErrorClassifier.fromTransport(ar.cause()), null,
                            describe(ar.cause()) + " streaming from " + provider, latency));
                    return;
                }
                int status = ar.result().statusCode();
                String type = ar.result().getHeader("Content-Type");
                if (status != 200 || type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("text/event-stream")) {
                    // an error, or a server that answered whole: read the body as such
                    result.complete(api.outcome(status, parse(sink.raw()), ar.result().headers(), provider, call.model(), latency, clock));
                    return;
                }
                if (sink.failure() != null) {
                    result.complete(new CallOutcome.Failure(ErrorCategory.PROVIDER_ERROR, null,
                            "Unreadable stream from " + provider + ": " + sink.failure().getMessage(), latency));
                    return;
                }
                JsonObject whole = assembler.assembled();
                if (whole == null || (assembler.status() == 200 && assembler.finishReason() == null)) {
                    result.complete(new CallOutcome.Failure(ErrorCategory.NETWORK, null,
                            "the stream from " + provider + " ended before the answer did", latency));
                    return;
                }
                CallOutcome outcome = api.outcome(assembler.status(), whole, ar.result().headers(), provider, call.model(), latency, clock);
                if (outcome instanceof CallOutcome.Success s) listener.end(s.finishReason());
                result.complete(outcome);
            } catch (RuntimeException e) {
                result.complete(new CallOutcome.Failure(ErrorCategory.PROVIDER_ERROR, null,
                        "Unreadable answer from " + provider + ": " + e.getMessage(), latency));
            }
        });
        return result;
    }

    private CompletionStage<CallOutcome> cannotExpress(IllegalArgumentException cannot) {
        return CompletableFuture.completedFuture(new CallOutcome.Failure(ErrorCategory.INVALID_REQUEST, null,
                cannot.getMessage() + " (" + provider + ", " + api.name() + " API)", 0));
    }

    private HttpRequest<Buffer> request(ChatCall call) {
        int port = endpoint.getPort() > 0 ? endpoint.getPort() : ("https".equalsIgnoreCase(endpoint.getScheme()) ? 443 : 80);
        String uri = endpoint.getRawPath() + (endpoint.getRawQuery() == null ? "" : "?" + endpoint.getRawQuery());
        HttpRequest<Buffer> req = client.post(port, endpoint.getHost(), uri)
                .timeout(timeoutMs)
                .putHeader("Content-Type", "application/json")
                .putHeader("Idempotency-Key", call.idempotencyKey())
                .putHeader("X-Request-Id", call.idempotencyKey());
        api.authenticate(req, apiKey);
        return req;
    }

    /** The JSON body of an OpenAI chat completion: each line of a Batch API job. */
    public static JsonObject body(ChatCall call) {
        return OpenAiApi.INSTANCE.body(call);
    }

    /**
     * The outcome of one line of a provider batch job: its status and body are those a synchronous
     * call would have answered, without headers.
     */
    public static CallOutcome batchLine(int status, JsonObject body, String provider, String model, Clock clock) {
        return OpenAiApi.INSTANCE.outcome(status, body, MultiMap.caseInsensitiveMultiMap(), provider, model, 0, clock);
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
