package io.promptline.processor.provider;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.codec.BodyCodec;
import io.vertx.ext.web.multipart.MultipartForm;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * OpenAI's Batch API on the Vert.x Web Client: JSONL input files ({@code /files}), batches of chat
 * completions ({@code /batches}) and their output files. Every request completes its stage with the
 * answer or a {@link BatchApiException} that says whether trying again may help; nothing blocks.
 * Each batch carries the Promptline job key in its metadata, so a job whose submission was cut off
 * (a crash between the provider's answer and the commit that records it) is found again instead of
 * submitted twice.
 */
public final class BatchApiClient implements AutoCloseable {
    /** The metadata key naming the Promptline job of a batch. */
    public static final String JOB_METADATA = "promptline_job";
    private static final int PAGE = 100;

    /** A batch as the provider reports it. */
    public record Batch(String id, String status, String inputFileId, String outputFileId, String errorFileId, int total,
                        int completed, int failed, long createdAtSeconds, String jobKey, String errors) {
        /** The batch will change no more: completed, expired, failed or cancelled. */
        public boolean ended() {
            return switch (status) {
                case "completed", "expired", "failed", "cancelled" -> true;
                default -> false;
            };
        }

        static Batch of(JsonObject o) {
            JsonObject counts = o.getJsonObject("request_counts", new JsonObject());
            JsonObject metadata = o.getJsonObject("metadata");
            JsonObject errors = o.getJsonObject("errors");
            return new Batch(o.getString("id"), o.getString("status", "unknown"), o.getString("input_file_id"),
                    o.getString("output_file_id"), o.getString("error_file_id"), counts.getInteger("total", 0),
                    counts.getInteger("completed", 0), counts.getInteger("failed", 0), o.getLong("created_at", 0L),
                    metadata == null ? null : metadata.getString(JOB_METADATA), errors == null ? null : errors.encode());
        }
    }

    /** A Batch API request that failed; {@code retryable} when the same request may succeed later (5xx, 429, network). */
    public static final class BatchApiException extends RuntimeException {
        private final Integer status;
        private final boolean retryable;

        public BatchApiException(String message, Integer status, boolean retryable) {
            super(message);
            this.status = status;
            this.retryable = retryable;
        }

        public Integer status() {
            return status;
        }

        public boolean retryable() {
            return retryable;
        }
    }

    private final WebClient client;
    private final String provider;
    private final URI base;
    private final String bearer;
    private final long timeoutMs;
    private final Vertx vertx;

    /**
     * @param baseUrl e.g. {@code https://api.openai.com/v1}
     * @param apiKey  bearer token or null; held only to build the header
     */
    public BatchApiClient(Vertx vertx, String provider, String baseUrl, String apiKey, long timeoutMs) {
        this.vertx = vertx;
        this.provider = provider;
        this.base = URI.create(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl);
        this.bearer = apiKey;
        this.timeoutMs = timeoutMs;
        this.client = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true)
                .setSsl("https".equalsIgnoreCase(base.getScheme())).setUserAgent("promptline/0.2"));
    }

    public String provider() {
        return provider;
    }

    /** Uploads a JSONL file of requests (purpose batch); the file's id. */
    public CompletionStage<String> upload(Path jsonl, String filename) {
        MultipartForm form = MultipartForm.create().attribute("purpose", "batch")
                .binaryFileUpload("file", filename, jsonl.toString(), "application/jsonl");
        return json(request(io.vertx.core.http.HttpMethod.POST, "/files").sendMultipartForm(form), "upload " + filename)
                .map(o -> o.getString("id")).toCompletionStage();
    }

    /** The newest input file named {@code filename}, if one was uploaded. */
    public CompletionStage<Optional<String>> findFile(String filename) {
        return json(request(io.vertx.core.http.HttpMethod.GET, "/files").addQueryParam("purpose", "batch").send(), "list files")
                .map(o -> {
                    for (Object f : o.getJsonArray("data", new JsonArray())) {
                        if (f instanceof JsonObject file && filename.equals(file.getString("filename"))) {
                            return Optional.of(file.getString("id"));
                        }
                    }
                    return Optional.<String>empty();
                }).toCompletionStage();
    }

    /** Creates a batch of chat completions from an uploaded file, with a 24 h window. */
    public CompletionStage<Batch> create(String inputFileId, String jobKey) {
        JsonObject body = new JsonObject().put("input_file_id", inputFileId).put("endpoint", "/v1/chat/completions")
                .put("completion_window", "24h").put("metadata", new JsonObject().put(JOB_METADATA, jobKey));
        return json(request(io.vertx.core.http.HttpMethod.POST, "/batches").sendJsonObject(body), "create batch for " + jobKey)
                .map(Batch::of).toCompletionStage();
    }

    /** The batches whose metadata names {@code jobKey}, among the {@code pages} × 100 newest. */
    public CompletionStage<List<Batch>> find(String jobKey, int pages) {
        List<Batch> found = new ArrayList<>();
        return findFrom(null, jobKey, pages, found).map(v -> found).toCompletionStage();
    }

    private Future<Void> findFrom(String after, String jobKey, int pagesLeft, List<Batch> found) {
        HttpRequest<Buffer> req = request(io.vertx.core.http.HttpMethod.GET, "/batches").addQueryParam("limit", Integer.toString(PAGE));
        if (after != null) req.addQueryParam("after", after);
        return json(req.send(), "list batches").compose(o -> {
            String last = null;
            for (Object b : o.getJsonArray("data", new JsonArray())) {
                if (!(b instanceof JsonObject batch)) continue;
                Batch parsed = Batch.of(batch);
                last = parsed.id();
                if (jobKey.equals(parsed.jobKey())) found.add(parsed);
            }
            boolean more = o.getBoolean("has_more", false) && last != null && pagesLeft > 1;
            return more ? findFrom(last, jobKey, pagesLeft - 1, found) : Future.succeededFuture();
        });
    }

    public CompletionStage<Batch> get(String batchId) {
        return json(request(io.vertx.core.http.HttpMethod.GET, "/batches/" + batchId).send(), "get batch " + batchId)
                .map(Batch::of).toCompletionStage();
    }

    public CompletionStage<Batch> cancel(String batchId) {
        return json(request(io.vertx.core.http.HttpMethod.POST, "/batches/" + batchId + "/cancel").send(), "cancel batch " + batchId)
                .map(Batch::of).toCompletionStage();
    }

    /** Streams a file's content to {@code target} (replaced). */
    public CompletionStage<Void> download(String fileId, Path target) {
        return vertx.fileSystem().open(target.toString(), new OpenOptions().setWrite(true).setCreate(true).setTruncateExisting(true))
                .compose(file -> request(io.vertx.core.http.HttpMethod.GET, "/files/" + fileId + "/content")
                        .as(BodyCodec.pipe(file)).send()
                        .transform(ar -> {
                            if (ar.failed()) return Future.failedFuture(failure("download " + fileId, ar.cause()));
                            int status = ar.result().statusCode();
                            if (status / 100 != 2) {
                                return Future.failedFuture(new BatchApiException("HTTP " + status + " from " + provider + " downloading "
                                        + fileId, status, retryable(status)));
                            }
                            return Future.<Void>succeededFuture();
                        }))
                .toCompletionStage();
    }

    private HttpRequest<Buffer> request(io.vertx.core.http.HttpMethod method, String path) {
        int port = base.getPort() > 0 ? base.getPort() : ("https".equalsIgnoreCase(base.getScheme()) ? 443 : 80);
        HttpRequest<Buffer> req = client.request(method, port, base.getHost(), base.getRawPath() + path).timeout(timeoutMs);
        if (bearer != null && !bearer.isEmpty()) req.bearerTokenAuthentication(bearer);
        return req;
    }

    private Future<JsonObject> json(Future<HttpResponse<Buffer>> response, String what) {
        return response.transform(ar -> {
            if (ar.failed()) return Future.failedFuture(failure(what, ar.cause()));
            HttpResponse<Buffer> r = ar.result();
            JsonObject body;
            try {
                body = r.body() == null || r.body().length() == 0 ? null : new JsonObject(r.body());
            } catch (DecodeException | ClassCastException e) {
                body = null;
            }
            if (r.statusCode() / 100 != 2 || body == null) {
                String msg = ErrorClassifier.errorField(body, "message");
                return Future.failedFuture(new BatchApiException("HTTP " + r.statusCode() + " from " + provider + " to " + what
                        + (msg == null ? (body == null ? " (body is not a JSON object)" : "") : ": " + msg), r.statusCode(),
                        retryable(r.statusCode())));
            }
            return Future.succeededFuture(body);
        });
    }

    private BatchApiException failure(String what, Throwable cause) {
        return new BatchApiException(cause.getClass().getSimpleName() + " from " + provider + " to " + what
                + (cause.getMessage() == null ? "" : ": " + cause.getMessage()), null, true);
    }

    private static boolean retryable(int status) {
        return status == 408 || status == 409 || status == 429 || status >= 500;
    }

    @Override
    public void close() {
        client.close();
    }
}
