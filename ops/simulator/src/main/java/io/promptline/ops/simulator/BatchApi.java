package io.promptline.ops.simulator;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * OpenAI's Files and Batches endpoints, enough for batch jobs of chat completions:
 * <ul>
 *   <li>{@code POST /v1/files} (multipart: {@code purpose=batch}, {@code file}), {@code GET /v1/files[?purpose=]},
 *       {@code GET /v1/files/{id}}, {@code GET /v1/files/{id}/content}, {@code DELETE /v1/files/{id}};</li>
 *   <li>{@code POST /v1/batches} ({@code input_file_id}, {@code endpoint} /v1/chat/completions, {@code completion_window}
 *       24h, {@code metadata}), {@code GET /v1/batches[?limit=&after=]} (newest first), {@code GET /v1/batches/{id}},
 *       {@code POST /v1/batches/{id}/cancel}.</li>
 * </ul>
 * A batch is validated when created (a malformed input file fails it), then completes
 * {@link SimulatorConfig#batchCompletionMillis()} later: each line is answered as a synchronous call
 * would be ({@link ChatCompletionHandler#batchLine}), 200 answers into the output file, errors into the
 * error file. A line containing {@value #EXPIRE_MARKER} is not run within the window: the batch ends
 * {@code expired} and the line gets the error {@code batch_expired}. A batch with a line containing
 * {@value #HOLD_MARKER} stays in progress until cancelled. A batch cancelled before it completes
 * ends {@code cancelled} without output. Every answered line is recorded ({@link #lines()}).
 */
final class BatchApi {
    /** In a message: the line is not run before the completion window ends (the batch expires). */
    static final String EXPIRE_MARKER = "[[sim:batch_expire]]";
    /** In a message: the batch stays in progress until it is cancelled (for tests of cancellation). */
    static final String HOLD_MARKER = "[[sim:batch_hold]]";
    private static final long CANCEL_MILLIS = 50;

    private record SimFile(String id, String filename, String purpose, byte[] bytes, long createdAt) {
        JsonObject toJson() {
            return new JsonObject().put("id", id).put("object", "file").put("bytes", bytes.length).put("created_at", createdAt)
                    .put("filename", filename).put("purpose", purpose);
        }
    }

    private static final class SimBatch {
        final String id;
        final long seq;
        final String inputFileId;
        final JsonObject metadata;
        final long createdAt;
        String status;
        String outputFileId;
        String errorFileId;
        JsonObject errors;
        int total;
        int completed;
        int failed;
        final Map<String, Long> times = new ConcurrentHashMap<>();

        SimBatch(String id, long seq, String inputFileId, JsonObject metadata, long createdAt) {
            this.id = id;
            this.seq = seq;
            this.inputFileId = inputFileId;
            this.metadata = metadata;
            this.createdAt = createdAt;
        }

        synchronized JsonObject toJson() {
            JsonObject o = new JsonObject().put("id", id).put("object", "batch").put("endpoint", "/v1/chat/completions")
                    .put("errors", errors).put("input_file_id", inputFileId).put("completion_window", "24h").put("status", status)
                    .put("output_file_id", outputFileId).put("error_file_id", errorFileId).put("created_at", createdAt)
                    .put("expires_at", createdAt + 86_400)
                    .put("request_counts", new JsonObject().put("total", total).put("completed", completed).put("failed", failed))
                    .put("metadata", metadata);
            for (String t : List.of("in_progress_at", "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at",
                    "cancelled_at")) {
                o.put(t, times.get(t));
            }
            return o;
        }
    }

    private final Vertx vertx;
    private final SimulatorConfig cfg;
    private final ChatCompletionHandler chat;
    private final Map<String, SimFile> files = new ConcurrentHashMap<>();
    private final Map<String, SimBatch> batches = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<BatchLine> lines = new ConcurrentLinkedQueue<>();
    private final AtomicLong ids = new AtomicLong();
    private final Path uploads;

    BatchApi(Vertx vertx, SimulatorConfig cfg, ChatCompletionHandler chat) {
        this.vertx = vertx;
        this.cfg = cfg;
        this.chat = chat;
        try {
            this.uploads = Files.createTempDirectory("promptline-sim-uploads");
            uploads.toFile().deleteOnExit();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot make a directory for uploads: " + e.getMessage(), e);
        }
    }

    void routes(Router router, long bodyLimit) {
        router.route("/v1/files*").handler(this::authorized);
        router.route("/v1/batches*").handler(this::authorized);
        router.post("/v1/files").handler(BodyHandler.create(uploads.toString()).setBodyLimit(bodyLimit).setDeleteUploadedFilesOnEnd(true))
                .handler(this::upload);
        router.get("/v1/files").handler(this::listFiles);
        router.get("/v1/files/:id").handler(ctx -> withFile(ctx, f -> json(ctx, 200, f.toJson())));
        router.get("/v1/files/:id/content").handler(ctx -> withFile(ctx, f -> ctx.response().putHeader("content-type",
                "application/octet-stream").end(Buffer.buffer(f.bytes()))));
        router.delete("/v1/files/:id").handler(ctx -> withFile(ctx, f -> {
            files.remove(f.id());
            json(ctx, 200, new JsonObject().put("id", f.id()).put("object", "file").put("deleted", true));
        }));
        router.post("/v1/batches").handler(BodyHandler.create(false).setBodyLimit(bodyLimit)).handler(this::create);
        router.get("/v1/batches").handler(this::listBatches);
        router.get("/v1/batches/:id").handler(ctx -> withBatch(ctx, b -> json(ctx, 200, b.toJson())));
        router.post("/v1/batches/:id/cancel").handler(ctx -> withBatch(ctx, b -> cancel(ctx, b)));
    }

    /** Every line answered so far, in order. */
    List<BatchLine> lines() {
        return List.copyOf(lines);
    }

    /** Batches created so far. */
    int batchCount() {
        return batches.size();
    }

    void reset() {
        files.clear();
        batches.clear();
        lines.clear();
    }

    private void authorized(RoutingContext ctx) {
        if (cfg.apiKey() != null && !("Bearer " + cfg.apiKey()).equals(ctx.request().getHeader("Authorization"))) {
            Reply r = Reply.unauthorized();
            json(ctx, r.status(), r.body());
            return;
        }
        ctx.next();
    }

    private void upload(RoutingContext ctx) {
        String purpose = ctx.request().getFormAttribute("purpose");
        List<FileUpload> uploaded = ctx.fileUploads();
        if (uploaded.size() != 1) {
            invalid(ctx, "expected one file in the multipart field 'file', got " + uploaded.size(), "file");
            return;
        }
        if (!"batch".equals(purpose)) {
            invalid(ctx, "purpose must be 'batch', was '" + purpose + "'", "purpose");
            return;
        }
        FileUpload u = uploaded.get(0);
        vertx.fileSystem().readFile(u.uploadedFileName()).onComplete(ar -> {
            if (ar.failed()) {
                json(ctx, 500, Reply.errorBody("cannot read the upload: " + ar.cause().getMessage(), "server_error", null, null));
                return;
            }
            SimFile f = new SimFile("file-sim-" + ids.incrementAndGet(), u.fileName(), purpose, ar.result().getBytes(), nowSeconds());
            files.put(f.id(), f);
            json(ctx, 200, f.toJson());
        });
    }

    private void listFiles(RoutingContext ctx) {
        String purpose = ctx.queryParams().get("purpose");
        JsonArray data = new JsonArray();
        files.values().stream().filter(f -> purpose == null || purpose.equals(f.purpose()))
                .sorted(Comparator.comparing(SimFile::createdAt).thenComparing(SimFile::id).reversed())
                .forEach(f -> data.add(f.toJson()));
        json(ctx, 200, new JsonObject().put("object", "list").put("data", data).put("has_more", false));
    }

    private void create(RoutingContext ctx) {
        JsonObject body;
        try {
            body = ctx.body().asJsonObject();
        } catch (DecodeException e) {
            invalid(ctx, "the body is not JSON", null);
            return;
        }
        if (body == null) {
            invalid(ctx, "the body must be a JSON object", null);
            return;
        }
        String inputId = body.getString("input_file_id");
        SimFile input = inputId == null ? null : files.get(inputId);
        if (input == null) {
            invalid(ctx, "input_file_id '" + inputId + "' names no file", "input_file_id");
            return;
        }
        if (!"/v1/chat/completions".equals(body.getString("endpoint"))) {
            invalid(ctx, "endpoint must be /v1/chat/completions, was " + body.getString("endpoint"), "endpoint");
            return;
        }
        if (!"24h".equals(body.getString("completion_window"))) {
            invalid(ctx, "completion_window must be 24h, was " + body.getString("completion_window"), "completion_window");
            return;
        }
        long seq = ids.incrementAndGet();
        SimBatch b = new SimBatch("batch_sim_" + seq, seq, inputId, body.getJsonObject("metadata"), nowSeconds());
        List<JsonObject> requests = new ArrayList<>();
        String problem = parse(input.bytes(), requests);
        synchronized (b) {
            if (problem != null) {
                b.status = "failed";
                b.errors = new JsonObject().put("object", "list").put("data", new JsonArray().add(new JsonObject()
                        .put("code", "invalid_request").put("message", problem)));
                b.times.put("failed_at", nowSeconds());
            } else {
                b.status = "in_progress";
                b.total = requests.size();
                b.times.put("in_progress_at", nowSeconds());
            }
        }
        batches.put(b.id, b);
        boolean held = requests.stream().anyMatch(r -> r.encode().contains(HOLD_MARKER));
        if (problem == null && !held) vertx.setTimer(Math.max(1, cfg.batchCompletionMillis()), t -> complete(b, requests));
        json(ctx, 200, b.toJson());
    }

    /** Reads the JSONL input into {@code out}; the problem with the first bad line, or null. */
    private static String parse(byte[] bytes, List<JsonObject> out) {
        String[] text = new String(bytes, StandardCharsets.UTF_8).split("\n");
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < text.length; i++) {
            if (text[i].isBlank()) continue;
            JsonObject line;
            try {
                line = new JsonObject(text[i]);
            } catch (DecodeException e) {
                return "line " + (i + 1) + " is not JSON";
            }
            String id = line.getString("custom_id");
            if (id == null || !ids.add(id)) return "line " + (i + 1) + ": custom_id missing or not unique";
            if (!"POST".equals(line.getString("method")) || !"/v1/chat/completions".equals(line.getString("url"))
                    || line.getJsonObject("body") == null) {
                return "line " + (i + 1) + ": needs method POST, url /v1/chat/completions and a body";
            }
            out.add(line);
        }
        return out.isEmpty() ? "the input file has no requests" : null;
    }

    private void complete(SimBatch b, List<JsonObject> requests) {
        synchronized (b) {
            if (!"in_progress".equals(b.status)) return; // cancelled meanwhile
            StringBuilder output = new StringBuilder();
            StringBuilder errors = new StringBuilder();
            boolean expired = false;
            for (JsonObject req : requests) {
                String customId = req.getString("custom_id");
                JsonObject body = req.getJsonObject("body");
                String lineId = "batch_req_sim_" + ids.incrementAndGet();
                if (body.encode().contains(EXPIRE_MARKER)) {
                    expired = true;
                    b.failed++;
                    errors.append(new JsonObject().put("id", lineId).put("custom_id", customId).putNull("response")
                            .put("error", new JsonObject().put("code", "batch_expired")
                                    .put("message", "This request could not be executed before the completion window expired."))
                            .encode()).append('\n');
                    lines.add(new BatchLine(b.id, customId, 0, null));
                    continue;
                }
                Reply r = chat.batchLine(customId, body);
                JsonObject line = new JsonObject().put("id", lineId).put("custom_id", customId)
                        .put("response", new JsonObject().put("status_code", r.status()).put("request_id", "req-sim-" + lineId)
                                .put("body", r.body()))
                        .putNull("error");
                lines.add(new BatchLine(b.id, customId, r.status(), r.call()));
                if (r.status() == 200) {
                    b.completed++;
                    output.append(line.encode()).append('\n');
                } else {
                    b.failed++;
                    errors.append(line.encode()).append('\n');
                }
            }
            if (output.length() > 0) b.outputFileId = store(b.id + "_output.jsonl", output).id();
            if (errors.length() > 0) b.errorFileId = store(b.id + "_error.jsonl", errors).id();
            long now = nowSeconds();
            b.times.put("finalizing_at", now);
            b.status = expired ? "expired" : "completed";
            b.times.put(expired ? "expired_at" : "completed_at", now);
        }
    }

    private SimFile store(String name, CharSequence content) {
        SimFile f = new SimFile("file-sim-" + ids.incrementAndGet(), name, "batch_output",
                content.toString().getBytes(StandardCharsets.UTF_8), nowSeconds());
        files.put(f.id(), f);
        return f;
    }

    private void cancel(RoutingContext ctx, SimBatch b) {
        synchronized (b) {
            if (!"in_progress".equals(b.status) && !"validating".equals(b.status)) {
                invalid(ctx, "Cannot cancel a batch with status " + b.status + ".", null);
                return;
            }
            b.status = "cancelling";
            b.times.put("cancelling_at", nowSeconds());
        }
        vertx.setTimer(CANCEL_MILLIS, t -> {
            synchronized (b) {
                b.status = "cancelled";
                b.times.put("cancelled_at", nowSeconds());
            }
        });
        json(ctx, 200, b.toJson());
    }

    private void listBatches(RoutingContext ctx) {
        int limit = 20;
        try {
            String l = ctx.queryParams().get("limit");
            if (l != null) limit = Math.max(1, Math.min(100, Integer.parseInt(l)));
        } catch (NumberFormatException e) {
            invalid(ctx, "limit must be an integer", "limit");
            return;
        }
        String after = ctx.queryParams().get("after");
        SimBatch cursor = after == null ? null : batches.get(after);
        List<SimBatch> all = batches.values().stream().sorted(Comparator.comparingLong((SimBatch x) -> x.seq).reversed())
                .filter(x -> cursor == null || x.seq < cursor.seq).toList();
        JsonArray data = new JsonArray();
        all.stream().limit(limit).forEach(x -> data.add(x.toJson()));
        json(ctx, 200, new JsonObject().put("object", "list").put("data", data).put("has_more", all.size() > limit)
                .put("first_id", data.isEmpty() ? null : data.getJsonObject(0).getString("id"))
                .put("last_id", data.isEmpty() ? null : data.getJsonObject(data.size() - 1).getString("id")));
    }

    private void withFile(RoutingContext ctx, java.util.function.Consumer<SimFile> then) {
        SimFile f = files.get(ctx.pathParam("id"));
        if (f == null) {
            json(ctx, 404, Reply.errorBody("No such File object: " + ctx.pathParam("id"), "invalid_request_error", "id", null));
            return;
        }
        then.accept(f);
    }

    private void withBatch(RoutingContext ctx, java.util.function.Consumer<SimBatch> then) {
        SimBatch b = batches.get(ctx.pathParam("id"));
        if (b == null) {
            json(ctx, 404, Reply.errorBody("No batch found with id '" + ctx.pathParam("id") + "'.", "invalid_request_error", "id", null));
            return;
        }
        then.accept(b);
    }

    private static void invalid(RoutingContext ctx, String message, String param) {
        json(ctx, 400, Reply.errorBody(message, "invalid_request_error", param, null));
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.toBuffer());
    }

    private static long nowSeconds() {
        return System.currentTimeMillis() / 1000;
    }
}
