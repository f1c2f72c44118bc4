package io.promptline.processor.output;

import io.promptline.avro.BatchJobStatus;
import io.promptline.avro.CostEvent;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptResult;
import io.promptline.processor.metrics.ProcessorMetrics;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.time.Instant;

/**
 * The final outputs of a dispatch task, with their metrics: a result with its cost event, or a
 * dead letter with the {@link FailureHeaders}. Stream thread only: they are forwarded inside the
 * task's exactly-once transaction.
 */
public final class TaskOutputs {
    public static final String RESULTS_SINK = "results-sink";
    public static final String COSTS_SINK = "costs-sink";
    public static final String DLQ_SINK = "dlq-sink";
    public static final String BATCH_JOBS_SINK = "batch-jobs-sink";

    private final ProcessorContext<Object, Object> ctx;
    private final Priority tier;
    private final ProcessorMetrics metrics;

    public TaskOutputs(ProcessorContext<Object, Object> ctx, Priority tier, ProcessorMetrics metrics) {
        this.ctx = ctx;
        this.tier = tier;
        this.metrics = metrics;
    }

    /**
     * A request's answer and the bill of its call.
     *
     * @param createdAt epoch ms the request was created (for the end-to-end latency)
     */
    public void result(PromptResult result, CostEvent cost, String model, long createdAt, Instant now) {
        ctx.forward(new Record<>(result.getRequestId(), result, now.toEpochMilli()), RESULTS_SINK);
        metrics.result(tier, model, now.toEpochMilli() - createdAt);
        cost(cost, now);
    }

    /** The bill of a call, alone: a call whose answer was lost but that the provider may have billed. */
    public void cost(CostEvent cost, Instant now) {
        ctx.forward(new Record<>(cost.getTenant(), cost, now.toEpochMilli()), COSTS_SINK);
        metrics.spend(cost.getTenant(), cost.getModel(), cost.getCurrency(), cost.getBillingMode().name(), cost.getUsageEstimated(),
                cost.getCostMicros());
        if (cost.getUnpriced()) metrics.unpriced(tier, cost.getProvider(), cost.getModel());
        if (cost.getUnconfirmed()) metrics.unconfirmed(tier);
    }

    /** The state of a batch job, for operators ({@code llm.batch.jobs}). */
    public void batchJob(BatchJobStatus status) {
        ctx.forward(new Record<>(status.getJobId(), status, status.getUpdatedAt().toEpochMilli()), BATCH_JOBS_SINK);
    }

    public void deadLetter(DeadLetter dl) {
        Long first = dl.getFirstAttemptAt() == null ? null : dl.getFirstAttemptAt().toEpochMilli();
        Long last = dl.getLastAttemptAt() == null ? null : dl.getLastAttemptAt().toEpochMilli();
        var origin = new Origin(dl.getOriginTopic(), dl.getOriginPartition(), dl.getOriginOffset());
        ctx.forward(new Record<>(dl.getTenant(), dl, dl.getFailedAt().toEpochMilli(), FailureHeaders.describe(dl.getAttempts(),
                first, last, dl.getCategory(), dl.getHttpStatus(), dl.getMessage(), origin)), DLQ_SINK);
        metrics.deadLetter(tier, dl.getCategory());
    }
}
