package io.promptline.processor.dispatch;

import io.promptline.avro.ErrorCategory;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.intake.TokenEstimate;
import io.promptline.processor.provider.CallGateway;
import io.promptline.processor.provider.CallOutcome;
import io.promptline.processor.provider.Completion;
import io.promptline.processor.ratelimit.RateLimiter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Applies a finished call to its request, on the stream thread: an answer becomes a result and its
 * cost (an answer without usage is billed on an estimate, marked so); a context-length refusal
 * with a larger model in the chain becomes a new call to it; a refusal that says the endpoint is
 * misconfigured (credentials, base URL, model) puts the request back in its line, to wait for
 * the fix (the endpoint pauses and alerts) — unless the endpoint answered other calls since it last
 * refused this request, which makes the refusal the request's own (dead-lettered); a retryable failure with attempts left goes to the
 * delay ladder (never before the provider's Retry-After); anything else is dead-lettered. The
 * tenant's token line is corrected with the real usage. A completion of a call that was superseded
 * (the request was called again after a recovery) is ignored: its entry already moved on. A
 * completion that cannot be applied ends its request in the DLQ with the reason, never in a loop.
 */
final class CompletionHandler {
    private static final Logger log = LoggerFactory.getLogger(CompletionHandler.class);

    private final TierSettings settings;
    private final CallGateway gateway;
    private final RateLimiter limiter;
    private final PendingCalls pending;
    private final CallScheduler scheduler;
    private final RequestEnds ends;
    private final Random jitter = new Random();
    /**
     * Requests an endpoint refused as misconfigured, with how many calls it had answered then; kept
     * for the loaded requests only (a recovery starts them afresh), so bounded by the task's capacity.
     */
    private final Map<String, Long> refused = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > 100_000;
        }
    };

    CompletionHandler(TierSettings settings, CallGateway gateway, RateLimiter limiter, PendingCalls pending, CallScheduler scheduler,
                      RequestEnds ends) {
        this.settings = settings;
        this.gateway = gateway;
        this.limiter = limiter;
        this.pending = pending;
        this.scheduler = scheduler;
        this.ends = ends;
    }

    void apply(Completion c) {
        gateway.completionHandled();
        applyHandedOver(c);
    }

    /** Applies a completion that is not one of this lifetime's calls in flight (another lifetime handed it over). */
    void applyHandedOver(Completion c) {
        PendingCall found = pending.get(c.requestId());
        if (found == null || found.attempts() != c.attempt()) return; // superseded call (re-dispatched); already applied
        PendingCall pc = found.withFirstAttemptAt(c.startedAt());
        try {
            apply(pc, c);
        } catch (RuntimeException e) {
            log.error("Tier {}: cannot apply the outcome of the call for {} from {}: {}", settings.tier(), c.requestId(), pc.origin(), e.toString(), e);
            ends.deadLetter(pc, ErrorCategory.PROVIDER_ERROR, null, "the call's outcome could not be applied: " + e, pc.attempts(), c.startedAt());
        }
    }

    private void apply(PendingCall pc, Completion c) {
        String tenant = settings.rateLimits().lines().of(pc.request());
        if (c.outcome() instanceof CallOutcome.Success s) {
            CallOutcome.Success answered = s.usage() != null ? s : s.withUsage(TokenEstimate.estimatedUsage(pc.request(), pc.model(), s.completionText()));
            limiter.correct(tenant, pc.reservation().tokens(), answered.usage().getPromptTokens() + answered.usage().getCompletionTokens());
            ends.answered(pc, answered, c);
            return;
        }
        CallOutcome.Failure f = (CallOutcome.Failure) c.outcome();
        limiter.correct(tenant, pc.reservation().tokens(), 0); // an unanswered call uses no tokens
        if (f.fault() != CallOutcome.EndpointFault.NONE) {
            Long answersAtLastRefusal = refused.put(c.requestId(), c.endpointAnswers());
            if (answersAtLastRefusal == null || c.endpointAnswers() == answersAtLastRefusal) {
                // The endpoint's fault, not the request's: it waits for the fix (its deadline still applies), at the back of its
                // tenant's line, so the next probe may be another request.
                // Its next call has the next number (a call was made), but the refusal costs it nothing of its retry budget.
                PendingCall waits = pc.refusedByEndpoint().withReservation(limiter.reserve(tenant, pc.reservation().tokens()));
                pending.admit(waits, true);
                scheduler.enqueue(waits);
                return;
            }
            // Refused again although the endpoint answered other calls in between: this request is refused, not the endpoint.
            refused.remove(c.requestId());
            gateway.forgive(c.provider(), pc.model());
            ends.deadLetter(pc, f.category(), f.httpStatus(), f.message() + " (refused again after the endpoint answered other calls)",
                    pc.attempts(), c.startedAt());
            return;
        }
        refused.remove(c.requestId());
        Optional<String> larger = settings.context().fallback(pc.model());
        if (f.category() == ErrorCategory.CONTEXT_LENGTH && larger.isPresent()
                && settings.billing().callable(gateway.provider(), larger.get(), gateway.clock().instant())) {
            // Another call: it takes a new place in the tenant's line like any other.
            PendingCall next = pc.rerouted(larger.get(), "context_length_exceeded from " + c.provider() + " on " + pc.model()
                    + "; routed to " + larger.get()).withReservation(limiter.reserve(tenant, pc.reservation().tokens()));
            pending.admit(next, true);
            scheduler.enqueue(next);
            return;
        }
        if (f.retryable() && settings.retry().mayRetry(pc.budgetedAttempts())) {
            Duration wait = settings.retry().backoff(pc.budgetedAttempts(), f.retryAfter(), jitter::nextDouble);
            long dueAt = gateway.clock().millis() + wait.toMillis();
            ends.park(pc, pc.attempts(), c.startedAt(), f, settings.retry().rungFor(wait), dueAt, null);
            return;
        }
        String message = f.retryable() ? f.message() + " (after " + pc.attempts() + " attempts)" : f.message();
        ends.deadLetter(pc, f.category(), f.httpStatus(), message, pc.attempts(), c.startedAt());
    }
}
