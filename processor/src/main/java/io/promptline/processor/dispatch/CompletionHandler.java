package io.promptline.processor.dispatch;

import io.promptline.avro.ErrorCategory;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.provider.CallGateway;
import io.promptline.processor.provider.CallOutcome;
import io.promptline.processor.provider.Completion;
import io.promptline.processor.ratelimit.RateLimiter;

import java.time.Duration;
import java.util.Optional;
import java.util.Random;

/**
 * Applies a finished call to its request, on the stream thread: an answer becomes a result and its
 * cost; a context-length refusal with a larger model in the chain becomes a new call to it; a
 * retryable failure with attempts left goes to the delay ladder (never before the provider's
 * Retry-After); anything else is dead-lettered. The tenant's token line is corrected with the real
 * usage. A completion of a call that was superseded (the request was called again after a
 * recovery) is ignored: its entry already moved on.
 */
final class CompletionHandler {
    private final TierSettings settings;
    private final CallGateway gateway;
    private final RateLimiter limiter;
    private final PendingCalls pending;
    private final CallScheduler scheduler;
    private final RequestEnds ends;
    private final Random jitter = new Random();

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
        PendingCall found = pending.get(c.requestId());
        if (found == null || found.attempts() != c.attempt()) return; // superseded call (re-dispatched); already applied
        PendingCall pc = found.withFirstAttemptAt(c.startedAt());
        String tenant = pc.request().getTenant();
        if (c.outcome() instanceof CallOutcome.Success s) {
            limiter.correct(tenant, pc.reservation().tokens(), s.usage().getPromptTokens() + s.usage().getCompletionTokens());
            ends.answered(pc, s, c);
            return;
        }
        CallOutcome.Failure f = (CallOutcome.Failure) c.outcome();
        limiter.correct(tenant, pc.reservation().tokens(), 0); // an unanswered call uses no tokens
        Optional<String> larger = settings.context().fallback(pc.model());
        if (f.category() == ErrorCategory.CONTEXT_LENGTH && larger.isPresent()
                && settings.prices().find(gateway.provider(), larger.get()).isPresent()) {
            // Another call: it takes a new place in the tenant's line like any other.
            PendingCall next = pc.rerouted(larger.get(), "context_length_exceeded from " + c.provider() + " on " + pc.model()
                    + "; routed to " + larger.get()).withReservation(limiter.reserve(tenant, pc.reservation().tokens()));
            pending.admit(next);
            scheduler.enqueue(next);
            return;
        }
        if (f.retryable() && settings.retry().mayRetry(pc.attempts())) {
            Duration wait = settings.retry().backoff(pc.attempts(), f.retryAfter(), jitter::nextDouble);
            long dueAt = gateway.clock().millis() + wait.toMillis();
            ends.park(pc, pc.attempts(), c.startedAt(), f, settings.retry().rungFor(wait), dueAt, null);
            return;
        }
        String message = f.retryable() ? f.message() + " (after " + pc.attempts() + " attempts)" : f.message();
        ends.deadLetter(pc, f.category(), f.httpStatus(), message, pc.attempts(), c.startedAt());
    }
}
