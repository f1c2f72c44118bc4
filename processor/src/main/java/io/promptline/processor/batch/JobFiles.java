package io.promptline.processor.batch;

import io.promptline.avro.ErrorCategory;
import io.promptline.processor.provider.BatchApiClient;
import io.promptline.processor.provider.CallOutcome;
import io.promptline.processor.provider.VertxChatClient;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The local files of batch jobs, in the processor's state directory: a job's JSONL input (written
 * from its members, deleted once submitted) and its downloaded output and error files (named by
 * the provider's file ids, complete once renamed from {@code .part}; deleted when the job is done).
 * Nothing here is the record of a job: a lost file is written or downloaded again.
 */
final class JobFiles {
    private static final Logger log = LoggerFactory.getLogger(JobFiles.class);
    private final Path dir;

    JobFiles(Path dir) {
        this.dir = dir;
    }

    /** An input file written: where, and how many lines. */
    record Written(Path path, int lines) {
    }

    /** One line of a job's output or error file. */
    record Line(String customId, JsonObject json) {
        /** What the line says about its request: the answer, or why there is none. */
        CallOutcome outcome(String provider, String model, Clock clock) {
            JsonObject response = json.getJsonObject("response");
            if (response != null) {
                return VertxChatClient.batchLine(response.getInteger("status_code", 0), response.getJsonObject("body"), provider, model, clock);
            }
            JsonObject error = json.getJsonObject("error");
            String code = error == null ? null : error.getString("code");
            String message = error == null ? "a line without response or error" : error.getString("message", "");
            if ("batch_expired".equals(code)) {
                return new CallOutcome.Failure(ErrorCategory.TIMEOUT, null, "the batch's completion window ended before this line ran"
                        + " (batch_expired)", 0);
            }
            return new CallOutcome.Failure(ErrorCategory.PROVIDER_ERROR, null, "batch line error " + code + ": " + message, 0);
        }
    }

    Written writeInput(String jobKey, Map<String, Members.Member> members, Function<byte[], JsonObject> body) {
        try {
            Files.createDirectories(dir);
            Path path = dir.resolve(jobKey + ".jsonl");
            int n = 0;
            try (BufferedWriter w = Files.newBufferedWriter(path, StandardCharsets.UTF_8)) {
                for (Map.Entry<String, Members.Member> m : members.entrySet()) {
                    JsonObject line = new JsonObject().put("custom_id", m.getKey()).put("method", "POST").put("url", "/v1/chat/completions")
                            .put("body", body.apply(m.getValue().member()));
                    w.write(line.encode());
                    w.write('\n');
                    n++;
                }
            }
            return new Written(path, n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void deleteInput(String jobKey) {
        quietDelete(dir.resolve(jobKey + ".jsonl"));
    }

    private Path output(String jobKey, String fileId) {
        return dir.resolve(jobKey + "." + fileId + ".jsonl");
    }

    /** Whether the job's output and error files (those it has) are here complete. */
    boolean downloaded(String jobKey, String outputFileId, String errorFileId) {
        return (outputFileId == null || Files.exists(output(jobKey, outputFileId)))
                && (errorFileId == null || Files.exists(output(jobKey, errorFileId)));
    }

    /** Downloads the job's output and error files (on Vert.x). */
    CompletionStage<Void> download(BatchApiClient api, String jobKey, String outputFileId, String errorFileId) {
        CompletionStage<Void> s = CompletableFuture.completedFuture(null);
        for (String id : new String[] {outputFileId, errorFileId}) {
            if (id == null || Files.exists(output(jobKey, id))) continue;
            Path part = dir.resolve(jobKey + "." + id + ".jsonl.part");
            s = s.thenCompose(v -> {
                try {
                    Files.createDirectories(dir);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return api.download(id, part);
            }).thenRun(() -> {
                try {
                    Files.move(part, output(jobKey, id), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return s;
    }

    /** Reads the job's output, then its error file, line by line. */
    Reading open(String jobKey, String outputFileId, String errorFileId) {
        List<Path> paths = new ArrayList<>();
        if (outputFileId != null) paths.add(output(jobKey, outputFileId));
        if (errorFileId != null) paths.add(output(jobKey, errorFileId));
        return new Reading(jobKey, paths);
    }

    void deleteOutput(String jobKey) {
        try (var listing = Files.list(dir)) {
            listing.filter(p -> p.getFileName().toString().startsWith(jobKey + ".")).forEach(JobFiles::quietDelete);
        } catch (java.nio.file.NoSuchFileException e) {
            log.debug("No batch job files under {}", dir);
        } catch (IOException e) {
            log.warn("Cannot list the batch job files under {}: {}", dir, e.getMessage());
        }
    }

    private static void quietDelete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log.warn("Cannot delete the batch job file {} (harmless: replaced or ignored next time): {}", p, e.getMessage());
        }
    }

    /** A cursor over a job's output files. */
    static final class Reading implements AutoCloseable {
        private final String jobKey;
        private final List<Path> paths;
        private int index;
        private BufferedReader reader;
        private boolean exhausted;

        Reading(String jobKey, List<Path> paths) {
            this.jobKey = jobKey;
            this.paths = paths;
            this.exhausted = paths.isEmpty();
        }

        String jobKey() {
            return jobKey;
        }

        boolean exhausted() {
            return exhausted;
        }

        /** The next line, or null at the end of the last file. An unreadable line has no custom_id (its member ends as lineless). */
        Line next() {
            try {
                while (!exhausted) {
                    if (reader == null) reader = Files.newBufferedReader(paths.get(index), StandardCharsets.UTF_8);
                    String text = reader.readLine();
                    if (text == null) {
                        reader.close();
                        reader = null;
                        if (++index >= paths.size()) exhausted = true;
                        continue;
                    }
                    if (text.isBlank()) continue;
                    try {
                        JsonObject json = new JsonObject(text);
                        return new Line(json.getString("custom_id"), json);
                    } catch (DecodeException | ClassCastException e) {
                        return new Line(null, new JsonObject());
                    }
                }
                return null;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the output of batch job " + jobKey, e);
            }
        }

        @Override
        public void close() {
            if (reader == null) return;
            try {
                reader.close();
            } catch (IOException e) {
                log.warn("Cannot close the output of batch job {}: {}", jobKey, e.getMessage());
            }
            reader = null;
        }
    }
}
