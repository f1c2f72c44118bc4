package io.promptline.processor.dispatch;

import io.promptline.avro.BatchJobStatus;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.PromptRequest;
import io.promptline.processor.batch.BatchJob;
import io.promptline.processor.batch.JobEnds;
import io.promptline.processor.intake.TokenEstimate;
import io.promptline.processor.provider.CallOutcome;
import io.promptline.processor.provider.VertxChatClient;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.ratelimit.RateLimiter;
import io.promptline.processor.ratelimit.TenantLines;
import io.vertx.core.json.JsonObject;

import java.util.function.Function;

/**
 * The task's side of its batch jobs ({@link io.promptline.processor.batch.BatchJobs}): a member is an admitted request stored
 * as a {@link PendingCall}; when its line answers it ends like any answered call (at the batch
 * price), when the line is refused it is dead-lettered, and when the line did not answer it
 * becomes a synchronous call in its tenant's line. Stream thread only.
 */
final class BatchSpill implements JobEnds {
    private final Function<byte[], PromptRequest> decoder;
    private final PendingCalls pending;
    private final RateLimiter limiter;
    private final CallScheduler scheduler;
    private final RequestEnds ends;
    private final int completionEstimate;
    private final TenantLines lines;

    BatchSpill(Function<byte[], PromptRequest> decoder, PendingCalls pending, RateLimiter limiter, CallScheduler scheduler,
               RequestEnds ends, TierSettings.RateLimits limits) {
        this.completionEstimate = limits.completionEstimate();
        this.lines = limits.lines();
        this.decoder = decoder;
        this.pending = pending;
        this.limiter = limiter;
        this.scheduler = scheduler;
        this.ends = ends;
    }

    private PendingCall decode(byte[] member) {
        return PendingCall.decode(member, decoder);
    }

    @Override
    public JsonObject body(byte[] member) {
        return VertxChatClient.body(decode(member).chatCall());
    }

    @Override
    public void answered(byte[] member, CallOutcome.Success s, BatchJob job) {
        PendingCall pc = decode(member).withFirstAttemptAt(job.submittedAt());
        CallOutcome.Success answered = s.usage() != null ? s : s.withUsage(TokenEstimate.estimatedUsage(pc.request(), pc.model(), s.completionText()));
        ends.answeredInBatch(pc, answered, job.provider(), job.batchId(), job.submittedAt());
    }

    @Override
    public void deadLetter(byte[] member, ErrorCategory category, Integer httpStatus, String message, BatchJob job) {
        PendingCall pc = decode(member);
        ends.deadLetter(pc.withFirstAttemptAt(job.submittedAt() > 0 ? job.submittedAt() : pc.admittedAt()), category, httpStatus, message,
                pc.attempts(), job.submittedAt() > 0 ? job.submittedAt() : null);
    }

    @Override
    public void toSync(byte[] member, String reason, BatchJob job) {
        PendingCall pc = decode(member);
        String tenant = lines.of(pc.request());
        // The next call, synchronous now: it takes its place in the tenant's line like any new call.
        PendingCall next = pc.rerouted(pc.model(), "batch job " + job.key() + " (" + job.batchId() + ") did not answer: " + reason
                        + "; called synchronously")
                .heldBy(pending.lifetime())
                .withReservation(limiter.reserve(tenant, TokenEstimate.totalTokens(pc.request(), pc.model(), completionEstimate)));
        scheduler.admit(next);
    }

    @Override
    public void status(BatchJobStatus status) {
        ends.batchJob(status);
    }
}
