package io.promptline.processor.dispatch;

import io.promptline.avro.ErrorCategory;
import io.promptline.avro.PromptRequest;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.provider.CallGateway;
import io.promptline.processor.provider.StreamListener;
import io.promptline.processor.ratelimit.RateLimiter;

import io.promptline.processor.provider.Completion;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * When a task's admitted requests start: each tenant's requests in line order, as soon as the
 * tenant's rate limit, a dispatch permit and an endpoint allow ({@link #startDue}); and what the
 * task holds in memory ({@link #admit}, {@link #refill}): at most its capacity, the rest waiting in
 * the pending store. A request whose deadline passed while it waited is dead-lettered instead of
 * called. Stream thread only.
 */
final class CallScheduler {
    private static final long RETIME_INTERVAL_MS = 1_000;
    /** A tenant whose next call's model the endpoint does not serve tries again this much later. */
    /** How soon a tenant whose head waits for its model's deployments looks again. */
    private static final long MODEL_WAIT_RETRY_MS = 10;
    private static final long MODEL_FAULT_RETRY_MS = 1_000;

    private final TierSettings settings;
    private final CallGateway gateway;
    private final RateLimiter limiter;
    private final PendingCalls pending;
    private final TaskCompletions completions;
    private final RequestEnds ends;
    private final Function<byte[], PromptRequest> decoder;
    /** Records durably that a call starts before it is sent, or null (nothing recorded). */
    private final Function<PendingCall, CompletionStage<?>> recordStart;
    /** Where a streamed request's pieces go, or null (nothing streamed). */
    private final Function<PendingCall, StreamListener> streams;
    private final TenantQueues queue = new TenantQueues();
    /** Time spent waiting for room since the last punctuation. */
    private long blockedNanos;
    private long lastRetime;

    CallScheduler(TierSettings settings, CallGateway gateway, RateLimiter limiter, PendingCalls pending, TaskCompletions completions,
                  RequestEnds ends, Function<byte[], PromptRequest> decoder,
                  Function<PendingCall, CompletionStage<?>> recordStart, Function<PendingCall, StreamListener> streams) {
        this.recordStart = recordStart;
        this.streams = streams;
        this.settings = settings;
        this.gateway = gateway;
        this.limiter = limiter;
        this.pending = pending;
        this.completions = completions;
        this.ends = ends;
        this.decoder = decoder;
    }

    /**
     * Holds a newly admitted request: in memory and in its tenant's line when the task has room
     * (after waiting for it, within the budget), else only in the pending store, loaded when room frees.
     */
    void admit(PendingCall pc) {
        awaitRoom();
        if (pending.hasRoom() && !pending.hasUnloaded()) {
            pending.admit(pc, true);
            enqueue(pc);
            startDue();
        } else {
            pending.admit(pc, false);
            gateway.metrics().overflow(settings.tier());
        }
    }

    /**
     * Loads stored requests into the lines while the task has room (after a recovery, or once it was
     * full). An entry whose call another lifetime made and lost is billed by estimate before it is
     * called again; the answers another lifetime handed over are returned, to be applied without a call.
     */
    List<Completion> refill() {
        if (!pending.hasUnloaded()) return List.of();
        long now = gateway.clock().millis();
        int room = settings.maxPending() - pending.loadedCount();
        List<Completion> handedOver = new ArrayList<>();
        for (PendingCalls.Loaded l : pending.load(room, decoder)) {
            if (l.answer() != null) {
                Handover.Answer a = l.answer();
                handedOver.add(new Completion(a.requestId(), a.attempt(), a.startedAt(), a.outcome(), a.provider(), a.fallbackReason()));
                continue;
            }
            if (l.fate() == Handover.Fate.UNCONFIRMED) ends.unconfirmed(l.pc(), gateway.provider(), settings.rateLimits().completionEstimate());
            enqueue(l.pc(), now);
        }
        return handedOver;
    }

    /** Queues a loaded request behind its tenant's earlier ones; the tenant is due at {@code readyAt} at the latest. */
    void enqueue(PendingCall pc, long readyAt) {
        queue.add(line(pc), pc.reservation().requestPosition(), pc.request().getRequestId(), readyAt);
    }

    /** Queues a loaded request for when its tenant may next start a call. */
    void enqueue(PendingCall pc) {
        enqueue(pc, limiter.nextStart(line(pc)));
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
                started = gateway.tryStart(pc.chatCall(), pc.attempts(), settings.tier(), completions::offer,
                    recordStart == null ? null : () -> recordStart.apply(pc), streams == null ? null : streams.apply(pc));
            } catch (RuntimeException e) {
                queue.removeHead(tenant, now);
                limiter.giveUp(tenant, pc.reservation());
                ends.deadLetter(pc, ErrorCategory.INVALID_REQUEST, null, "cannot build the call: " + e.getMessage(), pc.attempts() - 1, null);
                continue;
            }
            if (started == CallGateway.Start.MODEL_FAULTED) {
                queue.schedule(tenant, now + MODEL_FAULT_RETRY_MS); // its model waits; other tenants' calls may go
                continue;
            }
            if (started == CallGateway.Start.MODEL_WAITS) {
                queue.schedule(tenant, now + MODEL_WAIT_RETRY_MS); // its model's deployments are busy; other models' may not be
                continue;
            }
            if (started != CallGateway.Start.STARTED) return; // no permit or no endpoint: everything waits
            pending.started(pc.request().getRequestId());
            limiter.tryStart(tenant, pc.reservation());
            queue.removeHead(tenant, limiter.nextStart(tenant));
        }
    }

    /** The tenant line the request waits in: its tenant, or one of a hot tenant's shards. */
    private String line(PendingCall pc) {
        return settings.rateLimits().lines().of(pc.request());
    }

    /** A request whose deadline passed while it waited is dead-lettered without a call. */
    private boolean expired(PendingCall pc) {
        Instant deadline = pc.request().getDeadline();
        Instant now = gateway.clock().instant();
        if (deadline == null || deadline.isAfter(now)) return false;
        limiter.giveUp(line(pc), pc.reservation());
        ends.deadLetter(pc, ErrorCategory.DEADLINE_EXCEEDED, null, "deadline " + deadline + " passed while waiting for a rate-limit turn, "
                + "a dispatch permit or an endpoint (now " + now + ")", pc.attempts() - 1, null);
        return true;
    }

    /**
     * Backpressure: while this task holds as many requests as it may (calls that finished count as
     * room already), wait in short slices for calls to finish. Nothing is applied here: results are
     * written only in the punctuator, just before the commit, so a task that waits never holds an
     * open transaction on the results, costs and DLQ topics — which would hide every other tier's
     * results from read_committed consumers until it commits (the last stable offset). The time
     * spent waiting between two punctuations is capped by {@code maxBlock}, far below the
     * exactly-once transaction timeout and max.poll.interval.ms; past it the request is kept in the
     * store only ({@link #admit}).
     */
    private void awaitRoom() {
        while (pending.loadedCount() - completions.size() >= settings.maxPending()) {
            startDue();
            if (blockedNanos >= settings.maxBlock().toNanos()) return;
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

    /**
     * A new turn of the punctuator: the task may wait for room again; every second the queue follows
     * the limits in force and loaded requests whose deadline passed are dead-lettered (a request
     * behind a paused endpoint or a tenant's long line does not wait for its turn to expire).
     */
    void newTurn() {
        blockedNanos = 0;
        long now = gateway.clock().millis();
        if (now - lastRetime < RETIME_INTERVAL_MS) return;
        lastRetime = now;
        if (!queue.isEmpty()) queue.retime(limiter::nextStart); // a quota may have changed
        for (PendingCall pc : pending.waiting()) {
            if (pc.request().getDeadline() != null) expired(pc); // its line entry is skipped when it comes up
        }
    }

    void clear() {
        queue.clear();
    }
}
