package io.promptline.processor.batch;

import io.promptline.processor.provider.BatchApiClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Submits a job to the provider at most once, whatever crashed before: a batch already created
 * for the job (found by the job key in its metadata) is adopted, and any extra one cancelled; an
 * input file already uploaded (found by its name) is used; else the file is uploaded and the batch
 * created. Runs on Vert.x; holds no state.
 */
final class Submission {
    private static final Logger log = LoggerFactory.getLogger(Submission.class);
    /** Pages of 100 batches searched for an earlier submission of a job. */
    private static final int SEARCH_PAGES = 5;

    private Submission() {
    }

    /**
     * The job's batch: adopted or created.
     *
     * @param onAdopted called when an earlier submission is adopted
     */
    static CompletionStage<BatchApiClient.Batch> once(BatchApiClient api, String jobKey, Path input, Runnable onAdopted) {
        String filename = jobKey + ".jsonl";
        return api.find(jobKey, SEARCH_PAGES).thenCompose(found -> {
            BatchApiClient.Batch adopted = adopt(api, jobKey, found);
            if (adopted != null) {
                onAdopted.run();
                return CompletableFuture.completedFuture(adopted);
            }
            return api.findFile(filename)
                    .thenCompose(file -> file.isPresent() ? CompletableFuture.completedFuture(file.get()) : api.upload(input, filename))
                    .thenCompose(fileId -> api.create(fileId, jobKey));
        });
    }

    /** Of the batches made for a job (several only if a submission was repeated), the one to keep; the others are cancelled. */
    private static BatchApiClient.Batch adopt(BatchApiClient api, String jobKey, List<BatchApiClient.Batch> found) {
        if (found.isEmpty()) return null;
        List<BatchApiClient.Batch> byAge = new ArrayList<>(found);
        byAge.sort(Comparator.comparing((BatchApiClient.Batch b) -> b.status().equals("failed") || b.status().startsWith("cancel"))
                .thenComparingLong(BatchApiClient.Batch::createdAtSeconds).thenComparing(BatchApiClient.Batch::id));
        BatchApiClient.Batch kept = byAge.get(0);
        log.warn("Batch job {} was already submitted as {} ({}): adopted, not submitted again", jobKey, kept.id(), kept.status());
        for (BatchApiClient.Batch extra : byAge.subList(1, byAge.size())) {
            if (extra.ended()) continue;
            log.warn("Batch job {} has a second batch {}: cancelled", jobKey, extra.id());
            api.cancel(extra.id()).whenComplete((b, e) -> {
                if (e != null) log.error("Cannot cancel the extra batch {} of job {}: {}", extra.id(), jobKey, e.getMessage());
            });
        }
        return kept;
    }
}
