package io.promptline.processor.dispatch;

import io.promptline.avro.CostEvent;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.PromptResult;
import io.promptline.processor.intake.DeadLetters;
import io.promptline.processor.metrics.ProcessorMetrics;
import io.promptline.processor.retry.RetryHeaders;
import io.promptline.topics.DurationFormat;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.time.Duration;
import java.time.Instant;

/**
 * Everything a dispatch task emits, with its metrics: results and cost events, dead letters (with
 * the retry headers), and records for the delay ladder. Stream thread only.
 */
final class TaskOutputs {
    static final String RESULTS_SINK = "results-sink";
    static final String COSTS_SINK = "costs-sink";
    static final String DLQ_SINK = "dlq-sink";

    private final ProcessorContext<Object, Object> ctx;
    private final TierSettings settings;
    private final ProcessorMetrics metrics;

    TaskOutputs(ProcessorContext<Object, Object> ctx, TierSettings settings, ProcessorMetrics metrics) {
        this.ctx = ctx;
        this.settings = settings;
        this.metrics = metrics;
    }

    static String retrySink(Duration rung) {
        return "retry-" + DurationFormat.compact(rung) + "-sink";
    }

    void result(PendingCall pc, PromptResult result, CostEvent cost, Instant now) {
        ctx.forward(new Record<>(result.getRequestId(), result, now.toEpochMilli()), RESULTS_SINK);
        ctx.forward(new Record<>(cost.getTenant(), cost, now.toEpochMilli()), COSTS_SINK);
        metrics.result(settings.tier(), pc.model(), now.toEpochMilli() - Outputs.createdAt(pc));
        metrics.spend(cost.getTenant(), cost.getModel(), cost.getCurrency(), cost.getCostMicros());
    }

    void deadLetter(DeadLetter dl) {
        Long first = dl.getFirstAttemptAt() == null ? null : dl.getFirstAttemptAt().toEpochMilli();
        Long last = dl.getLastAttemptAt() == null ? null : dl.getLastAttemptAt().toEpochMilli();
        var origin = new DeadLetters.Origin(dl.getOriginTopic(), dl.getOriginPartition(), dl.getOriginOffset());
        ctx.forward(new Record<>(dl.getTenant(), dl, dl.getFailedAt().toEpochMilli(), RetryHeaders.forDeadLetter(dl.getAttempts(),
                first, last, dl.getCategory(), dl.getHttpStatus(), dl.getMessage(), origin)), DLQ_SINK);
        metrics.deadLetter(settings.tier(), dl.getCategory());
    }

    /**
     * Sends the request (its original bytes) to the ladder's rung for {@code delay}, to come back
     * at {@code dueAt}. {@code category} null means it waits for its tenant's rate limit.
     */
    void toLadder(PendingCall pc, int attemptsMade, Long lastAttemptAt, ErrorCategory category, Integer httpStatus, String message,
                  Duration rung, long dueAt, long now, io.promptline.processor.ratelimit.Reservation reservation) {
        Long first = pc.firstAttemptAt() > 0 ? pc.firstAttemptAt() : null;
        var headers = RetryHeaders.forRetry(settings.tier(), attemptsMade, first, lastAttemptAt, category, httpStatus, message,
                pc.origin(), dueAt, reservation);
        ctx.forward(new Record<>(pc.request().getTenant(), pc.requestWire(), now, headers), retrySink(rung));
        metrics.delayed(settings.tier(), category == null ? "TENANT_RATE_LIMIT" : category.name());
    }
}
