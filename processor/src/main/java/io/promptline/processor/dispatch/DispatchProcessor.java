package io.promptline.processor.dispatch;

import io.promptline.avro.CostEvent;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.avro.Quota;
import io.promptline.avro.SpendTotal;
import io.promptline.processor.cost.Price;
import io.promptline.processor.intake.Admission;
import io.promptline.processor.intake.DeadLetters;
import io.promptline.processor.intake.DeadLetters.Origin;
import io.promptline.processor.quota.Budgets;
import io.promptline.processor.quota.QuotaView;
import io.promptline.processor.ratelimit.BucketStore;
import io.promptline.processor.ratelimit.RateLimiter;
import io.promptline.processor.ratelimit.Reservation;
import io.promptline.processor.retry.RetryHeaders;
import io.promptline.registry.RegistryException;
import io.promptline.serde.AvroDeserializer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * Intake and dispatch for one task of one tier. Kafka Streams allows forward() and store
 * access only on the stream thread, so:
 * <ol>
 *   <li>an admitted request reserves its tenant's rate-limit turn and is written to the
 *       changelogged pending store before its call starts; a turn too far away sends it to the
 *       delay ladder instead, keeping the turn;</li>
 *   <li>when its turn comes and a permit and an endpoint are free, the call runs on Vert.x and
 *       its completion is queued;</li>
 *   <li>completions are applied on the stream thread, in a wall-clock punctuator (every few ms, just
 *       before the commit check): a result and cost event, a retry through the ladder, a context
 *       fallback, or a dead letter; the pending entry goes. Under exactly_once_v2 that commits
 *       atomically with the input offsets.</li>
 * </ol>
 * On (re)assignment, init() finds whatever a previous owner left pending and calls again; a
 * request parked in the ladder is only marked, and comes back through the relay.
 */
public final class DispatchProcessor implements Processor<byte[], byte[], Object, Object> {
    public static final String PENDING_STORE = "pending-calls";
    /** request_ids that produced a result, remembered for the dedupe retention. */
    public static final String COMPLETED_STORE = "completed-requests";
    /** Tenant → rate-limit bucket of this tier. */
    public static final String RATE_STORE = "rate-limits";
    /** Global: the quotas topic (tenant → Quota). */
    public static final String QUOTAS_STORE = "quotas";
    /** Global: the spend topic (tenant|currency|period → SpendTotal). */
    public static final String SPEND_STORE = "spend";
    public static final String RESULTS_SINK = TaskOutputs.RESULTS_SINK;
    public static final String COSTS_SINK = TaskOutputs.COSTS_SINK;
    public static final String DLQ_SINK = TaskOutputs.DLQ_SINK;
    private static final Logger log = LoggerFactory.getLogger(DispatchProcessor.class);
    private static final long RETIME_INTERVAL_MS = 1_000;
    /** A tier whose tasks waited for room this recently is treated as saturated. */
    private static final Duration SATURATED_WINDOW = Duration.ofSeconds(1);
    private static final long SWEEP_INTERVAL_MS = 60_000;
    /** A marker whose record has not come back this long after it was due is forgotten. */
    private static final long MARKER_GRACE_MS = Duration.ofHours(1).toMillis();

    private final Dispatcher dispatcher;
    private final TierSettings settings;
    private final AvroDeserializer<PromptRequest> decoder;
    private final Random jitter = new Random();
    /** Admitted requests of this task lifetime, queued or in flight; mirror of the store's full entries. */
    private final Map<String, PendingCall> pending = new HashMap<>();
    /** Requests parked in the delay ladder; mirror of the store's markers. */
    private final Map<String, AwaitingMarker> awaiting = new HashMap<>();
    private final TenantQueues queue = new TenantQueues();
    /** Stored entries that can no longer be decoded; dead-lettered on the first punctuation. */
    private final Map<String, byte[]> unreadable = new HashMap<>();
    private TaskCompletions completions;
    private long blockedNanos;
    private long lastRetime;
    private long lastSweep;
    private ProcessorContext<Object, Object> ctx;
    private KeyValueStore<String, byte[]> store;
    private WindowStore<String, Long> completed;
    private RateLimiter limiter;
    private Admission admission;
    private TaskOutputs out;
    private long duplicatesSkipped;

    public DispatchProcessor(Dispatcher dispatcher, TierSettings settings) {
        this.dispatcher = dispatcher;
        this.settings = settings;
        this.decoder = new AvroDeserializer<>(settings.registry(), PromptRequest.class);
    }

    public static String retrySink(Duration rung) {
        return TaskOutputs.retrySink(rung);
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.ctx = context;
        this.store = context.getStateStore(PENDING_STORE);
        this.completed = context.getStateStore(COMPLETED_STORE);
        this.completions = new TaskCompletions(dispatcher);
        this.out = new TaskOutputs(context, settings, dispatcher.metrics());
        QuotaView quotas = new QuotaView(context.getStateStore(QUOTAS_STORE), new AvroDeserializer<>(settings.registry(), Quota.class),
                QUOTAS_STORE, Map.of(settings.tier(), settings.rateLimits().defaults()), dispatcher.clock());
        this.limiter = new RateLimiter(BucketStore.of(context.getStateStore(RATE_STORE)), tenant -> quotas.limits(tenant, settings.tier()),
                dispatcher.clock(), settings.rateLimits().burstFraction());
        this.admission = new Admission(settings, dispatcher.provider(), new Budgets(quotas, context.getStateStore(SPEND_STORE),
                new AvroDeserializer<>(settings.registry(), SpendTotal.class), SPEND_STORE));
        pending.clear();
        awaiting.clear();
        queue.clear();
        unreadable.clear();
        recoverStore();
        // Nothing is forwarded from init(): the first punctuation (a few ms away) starts the calls.
        context.schedule(settings.drainInterval(), PunctuationType.WALL_CLOCK_TIME, ts -> {
            blockedNanos = 0;
            deadLetterUnreadable();
            housekeeping();
            // While the tier is saturated its tasks wait for room in process(); one stream thread's tasks
            // share one transaction, so what is written here would stay uncommitted through those waits,
            // and an open transaction on the results topic hides every other tier's results from
            // read_committed readers (the last stable offset). So commit at once (Kafka Streams does, right
            // after this punctuation) whenever the tier has waited lately.
            if (pump() > 0 && dispatcher.waitedWithin(settings.tier(), SATURATED_WINDOW)) context.commit();
        });
    }

    private void recoverStore() {
        long now = dispatcher.clock().millis();
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                try {
                    if (AwaitingMarker.isMarker(kv.value)) {
                        awaiting.put(kv.key, AwaitingMarker.decode(kv.value));
                        continue;
                    }
                    PendingCall pc = PendingCall.decode(kv.value, wire -> decoder.deserialize(settings.tier().name(), wire)).withNextAttempt();
                    store.put(kv.key, pc.encode());
                    enqueue(pc, now);
                } catch (RegistryException e) {
                    if (!(e instanceof RegistryException.UnknownSchemaId)) throw e;
                    unreadable.put(kv.key, kv.value);
                } catch (RuntimeException e) {
                    unreadable.put(kv.key, kv.value);
                }
            }
        }
        if (!pending.isEmpty() || !awaiting.isEmpty() || !unreadable.isEmpty()) {
            log.info("Task {} ({}): re-dispatching {} pending calls left by a previous owner; {} requests in the delay ladder; {} unreadable",
                    ctx.taskId(), settings.tier(), pending.size(), awaiting.size(), unreadable.size());
        }
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        Origin here = origin();
        Instant now = dispatcher.clock().instant();
        PromptRequest request;
        RetryHeaders.State back;
        try {
            request = record.value() == null ? null : decoder.deserialize(here.topic(), record.value());
            back = RetryHeaders.read(record.headers());
        } catch (RegistryException e) {
            if (!(e instanceof RegistryException.UnknownSchemaId)) {
                throw e; // registry down or refusing: not the record's fault; the task fails and retries, nothing is lost
            }
            malformed(record, here, e.getMessage(), now);
            return;
        } catch (SerializationException | IllegalArgumentException e) {
            malformed(record, here, e.getMessage(), now);
            return;
        }
        if (request == null) {
            malformed(record, here, "record value is null; a PromptRequest is required", now);
            return;
        }
        Origin origin = back != null && back.origin() != null ? back.origin() : here;
        int callsMade = back == null ? 0 : back.attempts();
        String id = request.getRequestId();
        if (!claim(id, back, now)) {
            duplicatesSkipped++;
            log.debug("request_id {} at {} is in flight, waiting or already answered; duplicate skipped", id, here);
            return;
        }
        long first = back == null || back.firstAttemptAt() == null ? 0 : back.firstAttemptAt();
        Admission.Decision decision = admission.decide(request, now);
        if (decision instanceof Admission.Reject reject) {
            // Back from waiting for its turn (deadline or budget now past): its place in the tenant's line is free.
            if (back != null && back.reservation() != null) limiter.giveUp(request.getTenant(), back.reservation());
            forget(id);
            out.deadLetter(DeadLetters.of(request, reject.category(), null, reject.message(), callsMade,
                    first > 0 ? Instant.ofEpochMilli(first) : null, null, origin, now));
            return;
        }
        Admission.Admit admit = (Admission.Admit) decision;
        Reservation reservation = back != null && back.reservation() != null ? back.reservation()
                : limiter.reserve(request.getTenant(), admit.estimatedTokens());
        PendingCall pc = new PendingCall(request, record.value(), admit.model(), origin, callsMade + 1, first, now.toEpochMilli(),
                reservation, admit.fallbackReason());
        long startsAt = limiter.estimatedStart(request.getTenant(), reservation);
        if (startsAt - now.toEpochMilli() > settings.rateLimits().maxHold().toMillis()) {
            awaitTurnInLadder(pc, startsAt, now.toEpochMilli());
            return;
        }
        awaitRoom();
        store.put(id, pc.encode());
        enqueue(pc, limiter.nextStart(request.getTenant()));
        startDue();
    }

    private void enqueue(PendingCall pc, long readyAt) {
        pending.put(pc.request().getRequestId(), pc);
        queue.add(pc.request().getTenant(), pc.reservation().requestPosition(), pc.request().getRequestId(), readyAt);
    }

    /**
     * Whether this record may proceed: a new request_id (not in flight, parked or recently
     * answered), or exactly the record the relay brought back for a parked request.
     */
    private boolean claim(String id, RetryHeaders.State back, Instant now) {
        AwaitingMarker marker = awaiting.get(id);
        if (back != null) {
            if (marker == null || marker.attempts() != back.attempts()) return false;
            awaiting.remove(id);
            return true;
        }
        return marker == null && !pending.containsKey(id) && !completedRecently(id, now);
    }

    /** Removes whatever the store holds for a request that ends here. */
    private void forget(String id) {
        pending.remove(id);
        awaiting.remove(id);
        store.delete(id);
    }

    private void malformed(Record<byte[], byte[]> record, Origin origin, String reason, Instant now) {
        log.warn("Undecodable record at {}: {}", origin, reason);
        out.deadLetter(DeadLetters.malformed(record.key(), record.value(), reason, origin, now));
    }

    private boolean completedRecently(String requestId, Instant now) {
        long to = now.toEpochMilli();
        try (WindowStoreIterator<Long> it = completed.fetch(requestId, to - settings.dedupeRetention().toMillis(), to)) {
            return it.hasNext();
        }
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
    private void awaitRoom() {
        while (pending.size() - completions.size() >= settings.maxPending()) {
            startDue();
            if (!dispatcher.isStarting() || blockedNanos >= settings.maxBlock().toNanos()) return;
            dispatcher.waiting(settings.tier());
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

    /** Applies finished calls, then starts what is due; returns how many were applied. Punctuator only (see {@link #awaitRoom()}). */
    private int pump() {
        int applied = 0;
        Completion c;
        while ((c = completions.poll()) != null) {
            apply(c);
            applied++;
        }
        startDue();
        return applied;
    }

    /**
     * Starts the next request of each tenant whose rate limit allows a start, while permits and
     * endpoints allow. Stream thread only.
     */
    private void startDue() {
        long now = dispatcher.clock().millis();
        String tenant;
        while ((tenant = queue.dueTenant(now)) != null) {
            String id = queue.head(tenant);
            PendingCall pc = pending.get(id);
            if (pc == null || expired(pc)) {
                queue.removeHead(tenant, now);
                continue;
            }
            long next = limiter.nextStart(tenant);
            if (next > now) {
                queue.schedule(tenant, next);
                continue;
            }
            Dispatcher.Start started;
            try {
                started = dispatcher.tryStart(pc, settings.tier(), completions::offer);
            } catch (RuntimeException e) {
                queue.removeHead(tenant, now);
                limiter.giveUp(tenant, pc.reservation());
                finish(pc, ErrorCategory.INVALID_REQUEST, null, "cannot build the call: " + e.getMessage(), pc.attempts() - 1, null);
                continue;
            }
            if (started != Dispatcher.Start.STARTED) return; // no permit or no endpoint: everything waits
            limiter.tryStart(tenant, pc.reservation());
            queue.removeHead(tenant, limiter.nextStart(tenant));
        }
    }

    /** Re-times the queue to the limits in force (a quota may have changed); forgets markers long overdue. */
    private void housekeeping() {
        long now = dispatcher.clock().millis();
        if (now - lastRetime >= RETIME_INTERVAL_MS && !queue.isEmpty()) {
            lastRetime = now;
            queue.retime(limiter::nextStart);
        }
        if (now - lastSweep >= SWEEP_INTERVAL_MS) {
            lastSweep = now;
            awaiting.entrySet().removeIf(e -> {
                if (e.getValue().dueAt() + MARKER_GRACE_MS > now) return false;
                log.warn("Task {}: request {} was due back from the delay ladder at {} and never came; forgetting it",
                        ctx.taskId(), e.getKey(), Instant.ofEpochMilli(e.getValue().dueAt()));
                store.delete(e.getKey());
                return true;
            });
        }
    }

    /** A request whose deadline passed while it waited is dead-lettered without a call. */
    private boolean expired(PendingCall pc) {
        Instant deadline = pc.request().getDeadline();
        Instant now = dispatcher.clock().instant();
        if (deadline == null || deadline.isAfter(now)) return false;
        limiter.giveUp(pc.request().getTenant(), pc.reservation());
        finish(pc, ErrorCategory.DEADLINE_EXCEEDED, null, "deadline " + deadline + " passed while waiting for a rate-limit turn, "
                + "a dispatch permit or an endpoint (now " + now + ")", pc.attempts() - 1, null);
        return true;
    }

    private void apply(Completion c) {
        dispatcher.completionHandled();
        PendingCall found = pending.get(c.requestId());
        if (found == null || found.attempts() != c.attempt()) return; // superseded call (re-dispatched); already applied
        PendingCall pc = found.withFirstAttemptAt(c.startedAt());
        Instant now = dispatcher.clock().instant();
        String tenant = pc.request().getTenant();
        if (c.outcome() instanceof CallOutcome.Success s) {
            limiter.correct(tenant, pc.reservation().tokens(), s.usage().getPromptTokens() + s.usage().getCompletionTokens());
            recordAnswer(pc, s, c, now);
            return;
        }
        CallOutcome.Failure f = (CallOutcome.Failure) c.outcome();
        limiter.correct(tenant, pc.reservation().tokens(), 0); // an unanswered call uses no tokens
        var larger = settings.context().fallback(pc.model());
        if (f.category() == ErrorCategory.CONTEXT_LENGTH && larger.isPresent()
                && settings.prices().find(dispatcher.provider(), larger.get()).isPresent()) {
            // Another call: it takes a new place in the tenant's line like any other.
            PendingCall next = pc.rerouted(larger.get(), "context_length_exceeded from " + c.provider() + " on " + pc.model()
                    + "; routed to " + larger.get()).withReservation(limiter.reserve(tenant, pc.reservation().tokens()));
            store.put(next.request().getRequestId(), next.encode());
            enqueue(next, limiter.nextStart(tenant));
            return;
        }
        if (f.retryable() && settings.retry().mayRetry(pc.attempts())) {
            Duration wait = settings.retry().backoff(pc.attempts(), f.retryAfter(), jitter::nextDouble);
            park(pc, pc.attempts(), c.startedAt(), f, settings.retry().rungFor(wait), now.toEpochMilli() + wait.toMillis(), null);
            return;
        }
        String message = f.retryable() ? f.message() + " (after " + pc.attempts() + " attempts)" : f.message();
        finish(pc, f.category(), f.httpStatus(), message, pc.attempts(), c.startedAt());
    }

    private void recordAnswer(PendingCall pc, CallOutcome.Success s, Completion c, Instant now) {
        PromptResult result;
        CostEvent cost;
        try {
            Price price = settings.prices().find(c.provider(), pc.model()).orElseThrow(() -> new IllegalStateException(
                    "model '" + pc.model() + "' has no price for provider " + c.provider() + " in price table " + settings.prices().version()));
            result = Outputs.result(pc, s, c, now);
            cost = Outputs.cost(pc, s, c, settings.tier(), price, settings.prices().version(), now);
        } catch (RuntimeException e) {
            // The call succeeded but cannot be recorded (no price, absurd usage): keep the whole answer
            // in the DLQ for a person to look at, rather than crash and call again in a loop.
            log.error("Task {}: cannot record the answer to {} from {}: {}", ctx.taskId(), c.requestId(), pc.origin(), e.getMessage());
            finish(pc, ErrorCategory.PROVIDER_ERROR, 200, "answered but not recordable: " + e.getMessage(), pc.attempts(), c.startedAt());
            return;
        }
        out.result(pc, result, cost, now);
        completed.put(c.requestId(), now.toEpochMilli(), now.toEpochMilli());
        forget(c.requestId());
    }

    /** The tenant's turn is further away than the hold: wait in the ladder, keeping the reservation. */
    private void awaitTurnInLadder(PendingCall pc, long startsAt, long now) {
        // Come back while the turn is still ahead, within the hold window: the rung not above half-way.
        Duration rung = settings.retry().rungFor(Duration.ofMillis(startsAt - now - settings.rateLimits().maxHold().toMillis() / 2));
        park(pc, pc.attempts() - 1, null, null, rung, now + rung.toMillis(), pc.reservation());
    }

    /** Sends the request to a rung of the ladder and keeps only a marker until the relay brings it back. */
    private void park(PendingCall pc, int callsMade, Long lastAttemptAt, CallOutcome.Failure failure, Duration rung, long dueAt,
                      Reservation keep) {
        long now = dispatcher.clock().millis();
        out.toLadder(pc, callsMade, lastAttemptAt, failure == null ? null : failure.category(), failure == null ? null : failure.httpStatus(),
                failure == null ? null : failure.message(), rung, dueAt, now, keep);
        String id = pc.request().getRequestId();
        AwaitingMarker marker = new AwaitingMarker(callsMade, dueAt);
        pending.remove(id);
        awaiting.put(id, marker);
        store.put(id, marker.encode());
    }

    /** Ends a request in the DLQ. */
    private void finish(PendingCall pc, ErrorCategory category, Integer httpStatus, String message, int attempts, Long lastAttemptAt) {
        Instant now = dispatcher.clock().instant();
        out.deadLetter(DeadLetters.of(pc.request(), category, httpStatus, message, attempts,
                pc.firstAttemptAt() > 0 ? Instant.ofEpochMilli(pc.firstAttemptAt()) : null,
                lastAttemptAt == null ? null : Instant.ofEpochMilli(lastAttemptAt), pc.origin(), now));
        forget(pc.request().getRequestId());
    }

    private void deadLetterUnreadable() {
        if (unreadable.isEmpty()) return;
        Instant now = dispatcher.clock().instant();
        Origin origin = new Origin(PENDING_STORE, ctx.taskId().partition(), -1);
        unreadable.forEach((id, raw) -> {
            out.deadLetter(DeadLetters.malformed(null, raw, "pending entry of request_id " + id
                    + " can no longer be decoded (unknown schema id or entry format)", origin, now));
            store.delete(id);
        });
        unreadable.clear();
    }

    private Origin origin() {
        RecordMetadata m = ctx.recordMetadata().orElseThrow();
        return new Origin(m.topic(), m.partition(), m.offset());
    }

    /** Requests of this task admitted and not yet applied. */
    int pendingCount() {
        return pending.size();
    }

    long duplicatesSkipped() {
        return duplicatesSkipped;
    }

    @Override
    public void close() {
        // Completions not yet applied are dropped (now or on arrival): their pending entries stay in
        // the store and the task's next lifetime or owner calls again. The in-memory mirror is
        // cleared, because Kafka Streams may init() this same object again after a dirty close.
        if (completions != null) completions.close();
        pending.clear();
        awaiting.clear();
        queue.clear();
        unreadable.clear();
    }
}
