package io.promptline.processor.dispatch;

import io.promptline.avro.ErrorCategory;
import io.promptline.avro.PromptRequest;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.provider.CallGateway;
import io.promptline.processor.provider.ChatCall;
import io.promptline.processor.ratelimit.RateLimiter;

import java.time.Instant;

/**
 * When a task's admitted requests start: each tenant's requests in line order, as soon as the
 * tenant's rate limit, a dispatch permit and an endpoint allow ({@link #startDue}); and how long
 * the task may wait for room before it takes in more ({@link #awaitRoom}). A request whose deadline
 * passed while it waited is dead-lettered instead of called. Stream thread only.
 */
final class CallScheduler {
    private static final long RETIME_INTERVAL_MS = 1_000;

    private final TierSettings settings;
    private final CallGateway gateway;
    private final RateLimiter limiter;
    private final PendingCalls pending;
    private final TaskCompletions completions;
    private final RequestEnds ends;
    private final TenantQueues queue = new TenantQueues();
    /** Time spent waiting for room since the last punctuation. */
    private long blockedNanos;
    private long lastRetime;

    CallScheduler(TierSettings settings, CallGateway gateway, RateLimiter limiter, PendingCalls pending, TaskCompletions completions,
                  RequestEnds ends) {
        this.settings = settings;
        this.gateway = gateway;
        this.limiter = limiter;
        this.pending = pending;
        this.completions = completions;
        this.ends = ends;
    }

    /** Queues an admitted request behind its tenant's earlier ones; the tenant is due at {@code readyAt} at the latest. */
    void enqueue(PendingCall pc, long readyAt) {
        queue.add(pc.request().getTenant(), pc.reservation().requestPosition(), pc.request().getRequestId(), readyAt);
    }

    /** Queues an admitted request for when its tenant may next start a call. */
    void enqueue(PendingCall pc) {
        enqueue(pc, limiter.nextStart(pc.request().getTenant()));
    }

    /**
     * Starts the next request of each tenant whose rate limit allows a start, while permits and
     * endpoints allow.
     */
    void startDue() {
        long now = gateway.clock().millis();
        String tenant;
        while ((tenant = queue.dueTenant(now)) != null) {
            PendingCall pc = pending.get(queue.head(tenant));
            if (pc == null || expired(pc)) {
                queue.removeHead(tenant, now);
                continue;
            }
            long next = limiter.nextStart(tenant);
            if (next > now) {
                queue.schedule(tenant, next);
                continue;
            }
            CallGateway.Start started;
            try {
                started = gateway.tryStart(call(pc), pc.attempts(), settings.tier(), completions::offer);
            } catch (RuntimeException e) {
                queue.removeHead(tenant, now);
                limiter.giveUp(tenant, pc.reservation());
                ends.deadLetter(pc, ErrorCategory.INVALID_REQUEST, null, "cannot build the call: " + e.getMessage(), pc.attempts() - 1, null);
                continue;
            }
            if (started != CallGateway.Start.STARTED) return; // no permit or no endpoint: everything waits
            limiter.tryStart(tenant, pc.reservation());
            queue.removeHead(tenant, limiter.nextStart(tenant));
        }
    }

    private static ChatCall call(PendingCall pc) {
        PromptRequest r = pc.request();
        return new ChatCall(r.getRequestId(), pc.model(), r.getMessages(), r.getTemperature(), r.getMaxTokens(), r.getResponseFormat());
    }

    /** A request whose deadline passed while it waited is dead-lettered without a call. */
    private boolean expired(PendingCall pc) {
        Instant deadline = pc.request().getDeadline();
        Instant now = gateway.clock().instant();
        if (deadline == null || deadline.isAfter(now)) return false;
        limiter.giveUp(pc.request().getTenant(), pc.reservation());
        ends.deadLetter(pc, ErrorCategory.DEADLINE_EXCEEDED, null, "deadline " + deadline + " passed while waiting for a rate-limit turn, "
                + "a dispatch permit or an endpoint (now " + now + ")", pc.attempts() - 1, null);
        return true;
    }

    /**
     * Backpressure: while this task holds too many requests (calls that finished count as room
     * already), wait in short slices for calls to finish. Nothing is applied here: results are
     * written only in the punctuator, just before the commit, so a task that waits never holds an
     * open transaction on the results, costs and DLQ topics — which would hide every other tier's
     * results from read_committed consumers until it commits (the last stable offset). The time
     * spent waiting between two punctuations is capped by {@code maxBlock}, far below the
     * exactly-once transaction timeout and max.poll.interval.ms; past it the record is admitted anyway.
     */
    void awaitRoom() {
        while (pending.admittedCount() - completions.size() >= settings.maxPending()) {
            startDue();
            if (!gateway.isStarting() || blockedNanos >= settings.maxBlock().toNanos()) return;
            gateway.waiting(settings.tier());
            long t0 = System.nanoTime();
            try {
                completions.awaitMoreThan(completions.size(), settings.drainInterval().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                blockedNanos += System.nanoTime() - t0;
            }
        }
    }

    /** A new turn of the punctuator: the task may wait for room again, and the queue follows the limits in force. */
    void newTurn() {
        blockedNanos = 0;
        long now = gateway.clock().millis();
        if (now - lastRetime >= RETIME_INTERVAL_MS && !queue.isEmpty()) {
            lastRetime = now;
            queue.retime(limiter::nextStart); // a quota may have changed
        }
    }

    void clear() {
        queue.clear();
    }
}
