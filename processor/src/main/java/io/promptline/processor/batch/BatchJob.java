package io.promptline.processor.batch;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.promptline.avro.BatchJobStatus;
import io.promptline.avro.Priority;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * One Promptline batch job of a task: requests of one model gathered for a provider Batch API,
 * kept (as JSON) in the task's changelogged job store under {@link #key()}, which is also the
 * job's name at the provider (the batch's metadata and the input file's name).
 *
 * <pre>
 *   OPEN ──full or gathered long enough──▶ SEALED ──file uploaded, batch created──▶ SUBMITTED
 *     ──the provider's batch ended (completed, expired, failed, cancelled)──▶ ENDED
 *     ──every member answered, returned to the synchronous path or dead-lettered──▶ (deleted)
 * </pre>
 *
 * @param submittedAt  the provider's creation time of the batch (epoch ms): its lines are priced at it
 * @param answered     members that got their result from this job
 * @param returned     members sent back to the synchronous path (the line did not answer)
 * @param deadLettered members dead-lettered (the line was refused, or the policy says so)
 * @param message      the last problem met (a refused upload, a failed batch), or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BatchJob(String key, String provider, String model, State state, long createdAt, long sealedAt, long submittedAt,
                       long endedAt, int requests, long bytes, String fileId, String batchId, String remoteStatus, int remoteCompleted,
                       int remoteFailed, String outputFileId, String errorFileId, boolean cancelRequested, int answered, int returned,
                       int deadLettered, String message) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public enum State { OPEN, SEALED, SUBMITTED, ENDED }

    static BatchJob open(String key, String provider, String model, long now) {
        return new BatchJob(key, provider, model, State.OPEN, now, 0, 0, 0, 0, 0, null, null, null, 0, 0, null, null, false, 0, 0, 0,
                null);
    }

    BatchJob plus(long lineBytes) {
        return new BatchJob(key, provider, model, state, createdAt, sealedAt, submittedAt, endedAt, requests + 1, bytes + lineBytes, fileId,
                batchId, remoteStatus, remoteCompleted, remoteFailed, outputFileId, errorFileId, cancelRequested, answered, returned,
                deadLettered, message);
    }

    BatchJob sealed(long now) {
        return new BatchJob(key, provider, model, State.SEALED, createdAt, now, submittedAt, endedAt, requests, bytes, fileId, batchId,
                remoteStatus, remoteCompleted, remoteFailed, outputFileId, errorFileId, cancelRequested, answered, returned, deadLettered,
                message);
    }

    BatchJob submitted(String file, String batch, String status, long providerCreatedAt) {
        return new BatchJob(key, provider, model, State.SUBMITTED, createdAt, sealedAt, providerCreatedAt, endedAt, requests, bytes, file,
                batch, status, remoteCompleted, remoteFailed, outputFileId, errorFileId, cancelRequested, answered, returned, deadLettered,
                null);
    }

    BatchJob polled(String status, int completed, int failed) {
        return new BatchJob(key, provider, model, state, createdAt, sealedAt, submittedAt, endedAt, requests, bytes, fileId, batchId, status,
                completed, failed, outputFileId, errorFileId, cancelRequested, answered, returned, deadLettered, message);
    }

    BatchJob ended(String status, String output, String errors, long now, String why) {
        return new BatchJob(key, provider, model, State.ENDED, createdAt, sealedAt, submittedAt, now, requests, bytes, fileId, batchId,
                status, remoteCompleted, remoteFailed, output, errors, cancelRequested, answered, returned, deadLettered,
                why == null ? message : why);
    }

    BatchJob cancelling() {
        return new BatchJob(key, provider, model, state, createdAt, sealedAt, submittedAt, endedAt, requests, bytes, fileId, batchId,
                remoteStatus, remoteCompleted, remoteFailed, outputFileId, errorFileId, true, answered, returned, deadLettered, message);
    }

    BatchJob counted(int answeredMore, int returnedMore, int deadMore) {
        return new BatchJob(key, provider, model, state, createdAt, sealedAt, submittedAt, endedAt, requests, bytes, fileId, batchId,
                remoteStatus, remoteCompleted, remoteFailed, outputFileId, errorFileId, cancelRequested, answered + answeredMore,
                returned + returnedMore, deadLettered + deadMore, message);
    }

    BatchJob withMessage(String why) {
        return new BatchJob(key, provider, model, state, createdAt, sealedAt, submittedAt, endedAt, requests, bytes, fileId, batchId,
                remoteStatus, remoteCompleted, remoteFailed, outputFileId, errorFileId, cancelRequested, answered, returned, deadLettered,
                why);
    }

    /** The job as {@code llm.batch.jobs} shows it; {@code done}: every member has ended and the job is gone. */
    BatchJobStatus status(Priority tier, int partition, boolean done, Instant now) {
        return BatchJobStatus.newBuilder()
                .setJobId(key).setTier(tier).setTaskPartition(partition).setProvider(provider).setModel(model)
                .setState(done ? "DONE" : state.name())
                .setRequests(requests).setBytes(bytes)
                .setCreatedAt(Instant.ofEpochMilli(createdAt))
                .setSubmittedAt(submittedAt > 0 ? Instant.ofEpochMilli(submittedAt) : null)
                .setEndedAt(endedAt > 0 ? Instant.ofEpochMilli(endedAt) : null)
                .setProviderBatchId(batchId).setProviderStatus(remoteStatus)
                .setProviderCompleted(remoteCompleted).setProviderFailed(remoteFailed)
                .setAnswered(answered).setReturned(returned).setDeadLettered(deadLettered)
                .setCancelRequested(cancelRequested).setMessage(message).setUpdatedAt(now)
                .build();
    }

    byte[] encode() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static BatchJob decode(byte[] bytes) {
        try {
            return JSON.readValue(bytes, BatchJob.class);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable batch job entry", e);
        }
    }
}
