package io.promptline.ops.simulator;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Test harness: a started simulator plus a Vert.x WebClient pointed at it. */
final class SimHarness implements AutoCloseable {

    final Vertx vertx;
    final LlmSimulator sim;
    final WebClient client;

    SimHarness(SimulatorConfig cfg) {
        this(cfg, 64);
    }

    SimHarness(SimulatorConfig cfg, int poolSize) {
        vertx = Vertx.vertx();
        sim = new LlmSimulator(vertx, cfg);
        sim.start();
        client = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true),
                new PoolOptions().setHttp1MaxSize(poolSize).setMaxWaitQueueSize(-1));
    }

    static JsonObject chat(String model, String... userContents) {
        JsonArray messages = new JsonArray();
        for (String c : userContents) {
            messages.add(new JsonObject().put("role", "user").put("content", c));
        }
        return new JsonObject().put("model", model).put("messages", messages);
    }

    HttpRequest<Buffer> post(String path) {
        return client.postAbs(sim.baseUrl().replace("/v1", "") + path);
    }

    HttpRequest<Buffer> get(String path) {
        return client.getAbs(sim.baseUrl().replace("/v1", "") + path);
    }

    Future<HttpResponse<Buffer>> sendChat(JsonObject body, Map<String, String> headers) {
        HttpRequest<Buffer> req = post("/v1/chat/completions");
        MultiMap h = req.headers();
        headers.forEach(h::add);
        return req.sendJsonObject(body);
    }

    HttpResponse<Buffer> chatSync(JsonObject body) {
        return await(sendChat(body, Map.of()));
    }

    HttpResponse<Buffer> chatSync(JsonObject body, Map<String, String> headers) {
        return await(sendChat(body, headers));
    }

    static <T> T await(Future<T> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("future did not succeed: " + e, e);
        }
    }

    /** The failure of a future expected to fail (within 30 s). */
    static Throwable failureOf(Future<?> f) {
        try {
            f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("future neither succeeded nor failed in time: " + e, e);
        }
        throw new AssertionError("future succeeded but a failure was expected");
    }

    /** Polls until {@code condition} holds or the deadline passes. */
    static void eventually(long timeoutMillis, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeoutMillis + " ms");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    static List<String> contents(String... c) {
        return List.of(c);
    }

    @Override
    public void close() {
        client.close();
        sim.close();
        await(vertx.close());
    }
}
