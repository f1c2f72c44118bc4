package io.promptline.processor.dispatch;

import io.promptline.avro.CostEvent;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.processor.cost.Price;
import io.promptline.processor.provider.CallOutcome;
import io.promptline.processor.provider.Completion;

import java.time.Instant;

/** Builds the result and the cost event of an answered call. */
final class Answers {
    private Answers() {
    }

    static PromptResult result(PendingCall pc, CallOutcome.Success s, Completion c, Instant now) {
        PromptRequest r = pc.request();
        long created = createdAt(pc);
        return PromptResult.newBuilder()
                .setRequestId(r.getRequestId())
                .setTenant(r.getTenant())
                .setPriority(r.getPriority())
                .setRequestedModel(r.getModel())
                .setModel(s.model() == null ? pc.model() : s.model())
                .setProvider(c.provider())
                .setContent(s.content())
                .setFinishReason(s.finishReason())
                .setUsage(s.usage())
                .setAttempts(c.attempt())
                .setQueueTimeMs(Math.max(0, c.startedAt() - created))
                .setCallLatencyMs(s.latencyMs())
                .setCompletedAt(now)
                .setFallbackReason(fallbackReason(pc, c))
                .setMetadata(r.getMetadata())
                .build();
    }

    /** The routing fallback (context too small) and the provider fallback (primary down), whichever happened. */
    private static String fallbackReason(PendingCall pc, Completion c) {
        if (pc.fallbackReason() == null) return c.fallbackReason();
        return c.fallbackReason() == null ? pc.fallbackReason() : pc.fallbackReason() + "; " + c.fallbackReason();
    }

    /** When the publisher created the request (admission time if it did not say). */
    static long createdAt(PendingCall pc) {
        return pc.request().getCreatedAt() == null ? pc.admittedAt() : pc.request().getCreatedAt().toEpochMilli();
    }

    /**
     * One cost event per billable call. The id names the call (request, attempt, start time): a
     * committed event keeps it forever, and a request called again after the dedupe retention
     * gets a new id instead of colliding with the first bill.
     */
    static CostEvent cost(PendingCall pc, CallOutcome.Success s, Completion c, Price price, String priceVersion,
                          Instant now) {
        PromptRequest r = pc.request();
        return CostEvent.newBuilder()
                .setEventId(r.getRequestId() + "/" + c.attempt() + "/" + c.startedAt())
                .setRequestId(r.getRequestId())
                .setTenant(r.getTenant())
                .setPriority(r.getPriority())
                .setProvider(c.provider())
                .setModel(pc.model())
                .setPromptTokens(s.usage().getPromptTokens())
                .setCachedTokens(s.usage().getCachedTokens())
                .setCompletionTokens(s.usage().getCompletionTokens())
                .setReasoningTokens(s.usage().getReasoningTokens())
                .setCostMicros(price.costMicros(s.usage(), false)) // a synchronous call is billed at the full price, whatever the tier
                .setCurrency(price.currency())
                .setPriceVersion(priceVersion)
                .setTimestamp(now)
                .setUsageEstimated(s.usage().getEstimated())
                .build();
    }
}
