package io.promptline.ops.simulator;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A chat call, in the OpenAI, Azure OpenAI or Anthropic API ({@link ApiDialect}). Per request, at arrival: one latency draw and one fault draw from the
 * seeded {@link Random}, then the decision (in this order): API key (401), validation (400), fault
 * marker (markers win over rates; an exhausted transient marker means plain success), prompt +
 * max_tokens over the context window (400), random fault by rate, success. The answer (or the
 * reset) is delivered after the sampled latency; a hang holds the request for hangMillis at once,
 * then closes the connection.
 */
final class ChatCompletionHandler implements Handler<RoutingContext> {

    private static final int ANSWER_PREFIX_CHARS = 60;

    private final Vertx vertx;
    private final SimulatorConfig cfg;
    private final StatsCollector stats;
    private final Random random;
    private final Set<String> models;
    private final RateLimitWindow window;
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    private final AtomicLong completionIds = new AtomicLong();
    private final Set<Exchange> open = ConcurrentHashMap.newKeySet();
    private volatile FaultRates rates;

    ChatCompletionHandler(Vertx vertx, SimulatorConfig cfg, StatsCollector stats) {
        this.vertx = vertx;
        this.cfg = cfg;
        this.stats = stats;
        this.random = new Random(cfg.seed());
        this.models = Set.copyOf(cfg.models());
        this.window = new RateLimitWindow(cfg.rateLimitRequests(), cfg.rateLimitTokens());
        this.rates = FaultRates.of(cfg);
    }

    FaultRates faultRates() {
        return rates;
    }

    void faultRates(FaultRates rates) {
        this.rates = rates;
    }

    /**
     * Ends the in-flight accounting of every exchange still open. Called once the servers are gone:
     * their connections are closed, but a close handler may not run after its verticle is undeployed.
     */
    void releaseOpen() {
        for (Exchange exchange : open) {
            exchange.finish();
        }
    }

    /** Forgets the attempts of transient markers (part of the simulator's reset). */
    void reset() {
        attempts.clear();
    }

    /** In a message, asks for an answer without {@code usage}, as many local OpenAI-compatible servers give. */
    static final String NO_USAGE_MARKER = "[[sim:no_usage]]";

    @Override
    public void handle(RoutingContext ctx) {
        handle(ctx, ApiDialect.OPENAI);
    }

    /** A chat call in one of the APIs the simulator speaks. */
    void handle(RoutingContext ctx, ApiDialect dialect) {
        stats.received();
        Exchange exchange = new Exchange(vertx, ctx, stats, open);
        long latency = cfg.latency().sampleMillis(random);
        double faultDraw = random.nextDouble();
        String[] model = new String[1];
        Reply reply = decide(ctx.request(), dialect, dialect.toOpenAi(ctx.request(), ctx.body().buffer()), faultDraw, model);
        stats.arrived(() -> new Arrival(logicalKey(ctx.request()), model[0], System.currentTimeMillis(), reply.outcome().key()));
        if (reply.outcome() == Outcome.HANG) {
            exchange.counted();
            stats.outcome(Outcome.HANG);
            exchange.after(cfg.hangMillis(), exchange::abort);
            return;
        }
        exchange.after(latency, () -> deliver(exchange, reply, dialect));
    }

    /** The answer to give; {@code model} receives the requested model once the body parsed. */
    private Reply decide(HttpServerRequest request, ApiDialect dialect, io.vertx.core.buffer.Buffer body, double faultDraw, String[] model) {
        String refusal = dialect.refusal(request, cfg.apiKey());
        if ("key".equals(refusal)) return Reply.unauthorized();
        if (refusal != null) return Reply.badRequest("the " + refusal + " header or parameter is required", refusal);
        ChatRequest chat;
        try {
            chat = ChatRequest.parse(body);
        } catch (InvalidRequestException e) {
            return Reply.badRequest(e.getMessage(), e.param());
        }
        model[0] = chat.model();
        if (!models.contains(chat.model())) {
            stats.unknownModel();
        }
        int promptTokens = TokenEstimator.promptTokens(chat.contents());
        int contextWindow = cfg.contextWindow(chat.model());
        FaultMarker marker = FaultMarker.find(chat.contents());
        if (marker != null) {
            if (!marker.transientFault() || attempt(request, chat, marker) <= marker.times()) {
                return fault(marker.fault(), marker.retryAfterSeconds(), contextWindow, promptTokens);
            }
            return success(logicalKey(request), chat, promptTokens);
        }
        int maxTokens = chat.maxTokens() == null ? 0 : chat.maxTokens();
        if ((long) promptTokens + maxTokens > contextWindow) {
            return promptTokens > contextWindow || maxTokens == 0
                    ? Reply.contextLength(contextWindow, promptTokens)
                    : Reply.contextLength(contextWindow, promptTokens, maxTokens);
        }
        Outcome randomFault = rates.draw(faultDraw);
        if (randomFault != null) {
            return fault(randomFault, null, contextWindow, promptTokens);
        }
        return success(logicalKey(request), chat, promptTokens);
    }

    /**
     * The answer one line of a batch job gets: the decisions of a synchronous call (validation,
     * fault markers, context window) without latency, random faults, rate-limit window or
     * connection faults (a hang or reset marker answers 500). Transient markers count the line's
     * custom_id together with the synchronous calls of the same Idempotency-Key. The answer is not counted in the synchronous stats.
     */
    Reply batchLine(String customId, JsonObject body) {
        ChatRequest chat;
        try {
            chat = ChatRequest.parse(body.toBuffer());
        } catch (InvalidRequestException e) {
            return Reply.badRequest(e.getMessage(), e.param());
        }
        int promptTokens = TokenEstimator.promptTokens(chat.contents());
        int contextWindow = cfg.contextWindow(chat.model());
        FaultMarker marker = FaultMarker.find(chat.contents());
        if (marker != null) {
            // The same count as the request's synchronous calls (their Idempotency-Key is the custom_id): one logical request.
            int attempt = attempts.computeIfAbsent(customId + "|" + marker.text(), k -> new AtomicInteger()).incrementAndGet();
            if (!marker.transientFault() || attempt <= marker.times()) {
                Outcome fault = marker.fault() == Outcome.HANG || marker.fault() == Outcome.RESET ? Outcome.SERVER_ERROR : marker.fault();
                return fault(fault, marker.retryAfterSeconds(), contextWindow, promptTokens);
            }
            return success(customId, chat, promptTokens);
        }
        int maxTokens = chat.maxTokens() == null ? 0 : chat.maxTokens();
        if ((long) promptTokens + maxTokens > contextWindow) return Reply.contextLength(contextWindow, promptTokens);
        return success(customId, chat, promptTokens);
    }

    /** Counts this call of a transient marker's logical request; returns the attempt number (1-based). */
    private int attempt(HttpServerRequest request, ChatRequest chat, FaultMarker marker) {
        String key = request.getHeader("Idempotency-Key");
        if (key == null) {
            key = "hash:" + Long.toHexString(TokenEstimator.contentHash(chat.model(), chat.contents()));
        }
        return attempts.computeIfAbsent(key + "|" + marker.text(), k -> new AtomicInteger()).incrementAndGet();
    }

    private Reply fault(Outcome fault, Integer retryAfter, int contextWindow, int promptTokens) {
        switch (fault) {
            case RATE_LIMITED: return Reply.rateLimited(retryAfter != null ? retryAfter : cfg.retryAfterSeconds());
            case SERVER_ERROR: return Reply.serverError();
            case OVERLOADED: return Reply.overloaded(retryAfter);
            case UNAUTHORIZED: return Reply.unauthorized();
            case CONTEXT_LENGTH: return Reply.contextLength(contextWindow, promptTokens);
            case CONTENT_POLICY: return Reply.contentPolicy();
            default: return Reply.noAnswer(fault); // HANG, RESET
        }
    }

    private Reply success(String key, ChatRequest chat, int promptTokens) {
        Reply whole = wholeSuccess(key, chat, promptTokens);
        return chat.stream() ? whole.streamed(chat.includeUsage()) : whole;
    }

    private Reply wholeSuccess(String key, ChatRequest chat, int promptTokens) {
        int min = cfg.completionTokensMin();
        int max = cfg.completionTokensMax();
        int completion = TokenEstimator.completionTokens(chat.model(), chat.contents(), min, max, chat.maxTokens());
        boolean truncated = TokenEstimator.truncated(chat.model(), chat.contents(), min, max, chat.maxTokens());
        int cached = TokenEstimator.cachedTokens(promptTokens, cfg.cachedFraction(), cfg.cachedMinPromptTokens());
        int reasoning = TokenEstimator.reasoningTokens(completion, cfg.reasoningFraction());
        RecordedCall call = new RecordedCall(key, chat.model(), promptTokens, completion, cached, reasoning);
        return Reply.success(completionBody(chat, call, truncated), call);
    }

    private static String logicalKey(HttpServerRequest request) {
        String key = request.getHeader("Idempotency-Key");
        return key != null ? key : request.getHeader("X-Request-Id");
    }

    private JsonObject completionBody(ChatRequest chat, RecordedCall call, boolean truncated) {
        String last = chat.lastUserContent();
        String text = "Simulated answer to: "
                + (last.length() > ANSWER_PREFIX_CHARS ? last.substring(0, ANSWER_PREFIX_CHARS) : last);
        long id = completionIds.incrementAndGet();
        if (chat.responseFormat() != null) text = StructuredAnswer.of(chat.responseFormat(), text).encode();
        JsonObject message = new JsonObject().put("role", "assistant").put("content", text);
        String finish = truncated ? "length" : "stop";
        if (chat.toolCall() != null) {
            // A call of the chosen tool, its arguments an instance of its parameters' schema, the question in the first string
            String query = last.replace(ChatRequest.TOOL_CALL_MARKER, "").trim();
            query = query.length() > ANSWER_PREFIX_CHARS ? query.substring(0, ANSWER_PREFIX_CHARS) : query;
            JsonObject parameters = chat.toolCall().getJsonObject("parameters", new JsonObject().put("type", "object"));
            JsonObject arguments = StructuredAnswer.of(new JsonObject().put("type", "json_schema")
                    .put("json_schema", new JsonObject().put("schema", parameters)), query);
            message.putNull("content").put("tool_calls", new JsonArray().add(new JsonObject().put("id", "call_sim_" + id)
                    .put("type", "function").put("function", new JsonObject().put("name", chat.toolCall().getString("name"))
                            .put("arguments", arguments.encode()))));
            finish = "tool_calls";
        }
        JsonObject choice = new JsonObject()
                .put("index", 0)
                .put("message", message)
                .put("finish_reason", finish);
        JsonObject usage = new JsonObject()
                .put("prompt_tokens", call.promptTokens())
                .put("completion_tokens", call.completionTokens())
                .put("total_tokens", call.promptTokens() + call.completionTokens())
                .put("prompt_tokens_details", new JsonObject().put("cached_tokens", call.cachedTokens()))
                .put("completion_tokens_details", new JsonObject().put("reasoning_tokens", call.reasoningTokens()));
        JsonObject body = new JsonObject()
                .put("id", "chatcmpl-sim-" + id)
                .put("object", "chat.completion")
                .put("created", System.currentTimeMillis() / 1000)
                .put("model", chat.model())
                .put("choices", new JsonArray().add(choice));
        // Many local OpenAI-compatible servers answer without usage; [[sim:no_usage]] does the same.
        boolean omitUsage = chat.contents().stream().anyMatch(c -> c.contains(NO_USAGE_MARKER));
        return omitUsage ? body : body.put("usage", usage);
    }

    private void deliver(Exchange exchange, Reply reply, ApiDialect dialect) {
        exchange.counted();
        if (reply.outcome() == Outcome.RESET) {
            stats.outcome(Outcome.RESET);
            exchange.abort();
            return;
        }
        HttpServerResponse response = exchange.ctx().response();
        RecordedCall call = reply.call();
        long tokens = call == null ? 0 : (long) call.promptTokens() + call.completionTokens();
        window.apply(response, tokens, reply.outcome() == Outcome.RATE_LIMITED);
        dialect.windows(response);
        if (reply.retryAfterSeconds() != null) {
            response.putHeader("retry-after", Integer.toString(reply.retryAfterSeconds()))
                    .putHeader("retry-after-ms", Long.toString(reply.retryAfterSeconds() * 1000L));
        }
        if (call != null) {
            stats.success(call);
        } else {
            stats.outcome(reply.outcome());
        }
        exchange.finish();
        if (reply.stream() && reply.status() == 200) {
            stream(response, StreamedAnswer.events(dialect, dialect.body(reply), reply.includeUsage()), 0);
            return;
        }
        response.setStatusCode(dialect.status(reply))
                .putHeader("content-type", "application/json")
                .end(dialect.body(reply).toBuffer());
    }

    /** Sends the events from {@code next} on, one every {@code streamPieceMillis}, as a provider streams its tokens. */
    private void stream(HttpServerResponse response, List<String> events, int next) {
        if (response.closed()) return;
        if (next == 0) response.setStatusCode(200).setChunked(true).putHeader("content-type", "text/event-stream").putHeader("cache-control", "no-cache");
        if (next == events.size()) {
            response.end();
            return;
        }
        response.write(events.get(next));
        vertx.setTimer(cfg.streamPieceMillis(), t -> stream(response, events, next + 1));
    }
}
