package io.promptline.processor.dispatch;

import io.promptline.avro.CostEvent;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.avro.BillingMode;
import io.promptline.avro.TokenUsage;
import io.promptline.processor.cost.Billing;
import io.promptline.processor.intake.TokenEstimate;
import io.promptline.processor.provider.CallOutcome;
import io.promptline.processor.provider.Completion;

import java.time.Instant;

/** Builds the result and the cost event of an answered call. */
final class Answers {
    private Answers() {
    }

    static PromptResult result(PendingCall pc, CallOutcome.Success s, Completion c, Instant now) {
        return result(pc, s, c.provider(), c.attempt(), c.startedAt(), s.latencyMs(), fallbackReason(pc, c), BillingMode.SYNC, null, now);
    }

    /** The result of a request answered by a line of a provider batch job, submitted at {@code submittedAt}. */
    static PromptResult batchResult(PendingCall pc, CallOutcome.Success s, String provider, String batchId, long submittedAt, Instant now) {
        return result(pc, s, provider, pc.attempts(), submittedAt, Math.max(0, now.toEpochMilli() - submittedAt), pc.fallbackReason(),
                BillingMode.BATCH_API, batchId, now);
    }

    private static PromptResult result(PendingCall pc, CallOutcome.Success s, String provider, int attempt, long startedAt, long latencyMs,
                                       String fallbackReason, BillingMode mode, String batchId, Instant now) {
        PromptRequest r = pc.request();
        long created = createdAt(pc);
        return PromptResult.newBuilder()
                .setRequestId(r.getRequestId())
                .setTenant(r.getTenant())
                .setPriority(r.getPriority())
                .setRequestedModel(r.getModel())
                .setModel(s.model() == null ? pc.model() : s.model())
                .setProvider(provider)
                .setContent(s.content())
                .setFinishReason(s.finishReason())
                .setUsage(s.usage())
                .setAttempts(attempt)
                .setQueueTimeMs(Math.max(0, startedAt - created))
                .setCallLatencyMs(latencyMs)
                .setCompletedAt(now)
                .setFallbackReason(fallbackReason)
                .setMetadata(r.getMetadata())
                .setCallsUnconfirmed(pc.unconfirmed())
                .setBillingMode(mode)
                .setBatchId(batchId)
                .setToolCalls(s.toolCalls())
                .setRefusal(s.refusal())
                .setRoute(pc.route())
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
     * One cost event per billable call, priced at the full price (a synchronous call is billed so on
     * every tier) by the price in effect when the call started. The id names the call (request,
     * attempt, start time): a committed event keeps it forever, and a request called again after
     * the dedupe retention gets a new id instead of colliding with the first bill.
     */
    static CostEvent cost(PendingCall pc, CallOutcome.Success s, Completion c, Billing billing) {
        PromptRequest r = pc.request();
        return billing.bill(new Billing.Call(r.getRequestId() + "/" + c.attempt() + "/" + c.startedAt(), r, c.provider(), pc.model(),
                s.usage(), Instant.ofEpochMilli(c.startedAt()), BillingMode.SYNC, null, false));
    }

    /**
     * The bill of a call whose answer was lost (another lifetime of the task made it, then crashed or
     * let the task go before it came back): the provider may have billed it, so it is recorded at
     * the full price of the request's estimate (prompt from its text, completion from max_tokens or
     * the default allowance), marked estimated and unconfirmed. Its id names the lost call.
     */
    static CostEvent unconfirmedCost(PendingCall pc, String provider, int completionEstimate, Billing billing, Instant now) {
        PromptRequest r = pc.request();
        long prompt = TokenEstimate.promptTokens(r, pc.model());
        long completion = r.getMaxTokens() != null ? r.getMaxTokens() : completionEstimate;
        TokenUsage usage = TokenUsage.newBuilder().setPromptTokens(prompt).setCompletionTokens(completion).setEstimated(true).build();
        return billing.bill(new Billing.Call(r.getRequestId() + "/" + (pc.attempts() - 1) + "/unconfirmed", r, provider, pc.model(), usage,
                now, BillingMode.SYNC, null, true));
    }

    /**
     * The cost event of a batch line: the batch price in effect when the job was submitted. The id
     * names the request's call and the batch, so the line read again after a crash bills nothing twice.
     */
    static CostEvent batchCost(PendingCall pc, CallOutcome.Success s, String provider, String batchId, long submittedAt, Billing billing) {
        PromptRequest r = pc.request();
        return billing.bill(new Billing.Call(r.getRequestId() + "/" + pc.attempts() + "/" + batchId, r, provider, pc.model(), s.usage(),
                Instant.ofEpochMilli(submittedAt), BillingMode.BATCH_API, batchId, false));
    }
}
