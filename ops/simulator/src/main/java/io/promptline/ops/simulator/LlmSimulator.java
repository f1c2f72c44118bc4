package io.promptline.ops.simulator;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenAI-compatible LLM simulator: a real Vert.x HTTP server.
 *
 * <ul>
 *   <li>{@code POST /v1/chat/completions} (see {@link ChatCompletionHandler} and {@link FaultMarker}), and the same calls
 *       in Azure OpenAI's ({@code POST /openai/deployments/{deployment}/chat/completions?api-version=…}) and Anthropic's
 *       ({@code POST /v1/messages}) APIs ({@link ApiDialect})</li>
 *   <li>{@code GET /v1/models} lists {@link SimulatorConfig#models()}</li>
 *   <li>the Files and Batches endpoints of OpenAI's Batch API ({@link BatchApi})</li>
 *   <li>{@code GET /sim/stats} ({@link SimulatorStats#toJson()}), {@code POST /sim/reset},
 *       {@code GET /sim/calls[?offset=N&limit=M]} (JSON array of {@link RecordedCall#toJson()}),
 *       {@code GET /sim/arrivals} (JSON array of {@link Arrival#toJson()}),
 *       {@code GET /sim/batch-lines} (JSON array of {@link BatchLine#toJson()}),
 *       {@code GET|PUT /sim/faults} ({@link FaultRates#toJson()}: change the random fault rates at runtime)</li>
 * </ul>
 *
 * <p>Every response carries {@code x-request-id}; chat-completion answers also carry the six
 * {@code x-ratelimit-*} headers. The server runs {@link SimulatorConfig#instances()} verticle
 * instances (one event loop each) sharing the port.
 */
public final class LlmSimulator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LlmSimulator.class);
    private static final long START_STOP_TIMEOUT_SECONDS = 30;
    private static final long BODY_LIMIT_BYTES = 64L * 1024 * 1024;
    /** "created" of the listed models (2025-01-01T00:00:00Z). */
    private static final long MODELS_CREATED = 1_735_689_600L;

    private final Vertx vertx;
    private final boolean ownsVertx;
    private final SimulatorConfig cfg;
    private final StatsCollector stats;
    private final ChatCompletionHandler chat;
    private final BatchApi batches;
    private final AtomicLong requestIds = new AtomicLong();
    private final List<String> deployments = new CopyOnWriteArrayList<>();
    private final Set<Integer> boundPorts = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile int port = -1;

    /** A simulator on a Vert.x instance owned by the caller (not closed by {@link #close()}). */
    public LlmSimulator(Vertx vertx, SimulatorConfig cfg) {
        this(vertx, cfg, false);
    }

    /** A simulator on its own Vert.x instance, closed by {@link #close()}. */
    public LlmSimulator(SimulatorConfig cfg) {
        this(Vertx.vertx(), cfg, true);
    }

    private LlmSimulator(Vertx vertx, SimulatorConfig cfg, boolean ownsVertx) {
        this.vertx = vertx;
        this.cfg = cfg;
        this.ownsVertx = ownsVertx;
        this.stats = new StatsCollector(cfg.recordCalls(), cfg.maxRecordedCalls());
        this.chat = new ChatCompletionHandler(vertx, cfg, stats);
        this.batches = new BatchApi(vertx, cfg, chat);
    }

    /** Starts the server(s); completes with the bound port. */
    public Future<Integer> startAsync() {
        if (port >= 0) {
            return Future.failedFuture(new IllegalStateException("simulator already started on port " + port));
        }
        Router router = router();
        // A negative port makes Vert.x bind one random port and share it among the instances.
        int listenPort = cfg.port() == 0 && cfg.instances() > 1 ? -1 : cfg.port();
        return vertx.deployVerticle(() -> new ServerVerticle(router, listenPort),
                        new DeploymentOptions().setInstances(cfg.instances()))
                .onSuccess(deployments::add)
                .compose(id -> boundPorts.size() == 1 ? Future.succeededFuture(id)
                        : Future.failedFuture(new IllegalStateException("instances bound different ports " + boundPorts)))
                .map(id -> {
                    LOG.info("LLM simulator listening on {} (latency {}, instances {})", baseUrl(), cfg.latency().spec(),
                            cfg.instances());
                    return port;
                });
    }

    /**
     * Starts the server(s) and waits (at most 30 s) for the bound port. Must not be called on a Vert.x
     * thread; use {@link #startAsync()} there.
     */
    public int start() {
        return await(startAsync(), "start");
    }

    /** The bound port, or -1 before {@link #start()}. */
    public int port() {
        return port;
    }

    /** Base URL of the OpenAI API, e.g. {@code http://127.0.0.1:PORT/v1}. */
    public String baseUrl() {
        if (port < 0) {
            throw new IllegalStateException("simulator not started");
        }
        String host = cfg.host().contains(":") ? "[" + cfg.host() + "]" : cfg.host();
        if ("0.0.0.0".equals(host)) {
            host = "127.0.0.1";
        }
        return "http://" + host + ":" + port + "/v1";
    }

    /** The configuration. */
    public SimulatorConfig config() {
        return cfg;
    }

    /** Snapshot of the counters. */
    public SimulatorStats stats() {
        return stats.snapshot();
    }

    /** The recorded successful calls, in completion order (bounded by maxRecordedCalls). */
    public List<RecordedCall> recordedCalls() {
        return stats.calls();
    }

    /** Every chat-completion request received (any outcome), in arrival order; bounded like the call ledger. */
    public List<Arrival> arrivals() {
        return stats.arrivals();
    }

    /** Every line the Batch API ran, in order. */
    public List<BatchLine> batchLines() {
        return batches.lines();
    }

    /** The random fault rates now in force. */
    public FaultRates faults() {
        return chat.faultRates();
    }

    /** Replaces the random fault rates from now on, e.g. an outage with {@code 503} at 1.0. */
    public void faults(FaultRates rates) {
        chat.faultRates(rates);
        LOG.info("LLM simulator fault rates now {}", rates.toJson().encode());
    }

    /** Clears counters, the call ledger and the attempts of transient markers. */
    public void reset() {
        stats.reset();
        chat.reset();
        batches.reset();
    }

    /** Stops the server(s) (closing open connections) and, if owned, the Vert.x instance. Idempotent. */
    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        Future<Void> stopped = Future.succeededFuture();
        for (String id : deployments) {
            stopped = stopped.compose(v -> vertx.undeploy(id).otherwise(e -> null));
        }
        deployments.clear();
        stopped = stopped.eventually(() -> {
            chat.releaseOpen();
            return Future.succeededFuture();
        });
        if (ownsVertx) {
            stopped = stopped.eventually(vertx::close);
        }
        await(stopped, "close");
    }

    private <T> T await(Future<T> future, String what) {
        if (Context.isOnVertxThread()) {
            throw new IllegalStateException("blocking " + what + "() called on a Vert.x thread");
        }
        try {
            return future.toCompletionStage().toCompletableFuture().get(START_STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during simulator " + what, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("simulator " + what + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("simulator " + what + " did not complete within "
                    + START_STOP_TIMEOUT_SECONDS + " s", e);
        }
    }

    private Router router() {
        Router router = Router.router(vertx);
        router.route().handler(ctx -> {
            ctx.response().putHeader("x-request-id", "req-sim-" + requestIds.incrementAndGet());
            ctx.next();
        });
        router.post("/v1/chat/completions")
                .handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT_BYTES))
                .handler(chat);
        router.post("/openai/deployments/:deployment/chat/completions")
                .handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT_BYTES))
                .handler(ctx -> chat.handle(ctx, ApiDialect.AZURE));
        router.post("/v1/messages")
                .handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT_BYTES))
                .handler(ctx -> chat.handle(ctx, ApiDialect.ANTHROPIC));
        router.get("/v1/models").handler(this::models);
        batches.routes(router, BODY_LIMIT_BYTES);
        router.get("/sim/stats").handler(ctx -> json(ctx, stats().toJson().toBuffer()));
        router.post("/sim/reset").handler(ctx -> {
            reset();
            json(ctx, new JsonObject().put("reset", true).toBuffer());
        });
        router.get("/sim/calls").handler(this::calls);
        router.get("/sim/arrivals").handler(ctx -> {
            io.vertx.core.json.JsonArray out = new io.vertx.core.json.JsonArray();
            arrivals().forEach(a -> out.add(a.toJson()));
            json(ctx, out.toBuffer());
        });
        router.get("/sim/batch-lines").handler(ctx -> {
            JsonArray out = new JsonArray();
            batchLines().forEach(l -> out.add(l.toJson()));
            json(ctx, out.toBuffer());
        });
        router.get("/sim/faults").handler(ctx -> json(ctx, faults().toJson().toBuffer()));
        router.put("/sim/faults").handler(BodyHandler.create(false)).handler(this::putFaults);
        errorHandlers(router);
        return router;
    }

    private void putFaults(RoutingContext ctx) {
        try {
            FaultRates rates = FaultRates.fromJson(ctx.body().isEmpty() ? new JsonObject() : ctx.body().asJsonObject());
            faults(rates);
            json(ctx, rates.toJson().toBuffer());
        } catch (RuntimeException e) {
            ctx.response().setStatusCode(400);
            json(ctx, Reply.errorBody(String.valueOf(e.getMessage()), "invalid_request_error", null, null).toBuffer());
        }
    }

    private void models(RoutingContext ctx) {
        JsonArray data = new JsonArray();
        for (String model : cfg.models()) {
            data.add(new JsonObject().put("id", model).put("object", "model").put("created", MODELS_CREATED)
                    .put("owned_by", "promptline-simulator"));
        }
        json(ctx, new JsonObject().put("object", "list").put("data", data).toBuffer());
    }

    private void calls(RoutingContext ctx) {
        long offset = longParam(ctx, "offset", 0);
        long limit = longParam(ctx, "limit", Long.MAX_VALUE);
        Buffer out = Buffer.buffer().appendString("[");
        long index = 0;
        long written = 0;
        for (RecordedCall call : stats.calls()) {
            if (index++ < offset) {
                continue;
            }
            if (written == limit) {
                break;
            }
            if (written++ > 0) {
                out.appendString(",");
            }
            out.appendBuffer(call.toJson().toBuffer());
        }
        json(ctx, out.appendString("]"));
    }

    private static long longParam(RoutingContext ctx, String name, long fallback) {
        List<String> values = ctx.queryParam(name);
        try {
            return values.isEmpty() ? fallback : Math.max(0, Long.parseLong(values.get(0)));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static void errorHandlers(Router router) {
        router.errorHandler(404, ctx -> error(ctx, 404, "Invalid URL (" + ctx.request().method() + " "
                + ctx.request().path() + ")", null));
        router.errorHandler(405, ctx -> error(ctx, 405, "Method not allowed (" + ctx.request().method() + " "
                + ctx.request().path() + ")", null));
        router.errorHandler(413, ctx -> error(ctx, 413, "Request body too large", null));
        router.errorHandler(500, ctx -> {
            LOG.warn("simulator handler failed on {}", ctx.request().path(), ctx.failure());
            error(ctx, 500, "The server had an error while processing your request.", "server_error");
        });
    }

    private static void error(RoutingContext ctx, int status, String message, String type) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        ctx.response().setStatusCode(status);
        json(ctx, Reply.errorBody(message, type == null ? "invalid_request_error" : type, null, null).toBuffer());
    }

    private static void json(RoutingContext ctx, Buffer body) {
        ctx.response().putHeader("content-type", "application/json").end(body);
    }

    private HttpServerOptions serverOptions() {
        return new HttpServerOptions().setHost(cfg.host()).setAcceptBacklog(8192).setTcpNoDelay(true);
    }

    /** One HTTP server instance on its own event loop. */
    private final class ServerVerticle extends VerticleBase {
        private final Router router;
        private final int listenPort;

        ServerVerticle(Router router, int listenPort) {
            this.router = router;
            this.listenPort = listenPort;
        }

        @Override
        public Future<?> start() {
            return vertx.createHttpServer(serverOptions()).requestHandler(router).listen(listenPort, cfg.host())
                    .onSuccess(server -> {
                        boundPorts.add(server.actualPort());
                        port = server.actualPort();
                    });
        }
    }
}
