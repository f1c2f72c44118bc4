package io.promptline.processor.dispatch;

import io.promptline.avro.CostEvent;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.processor.cost.Price;
import io.promptline.processor.intake.DeadLetters;
import io.promptline.processor.intake.DeadLetters.Origin;
import io.promptline.processor.intake.Rejection;
import io.promptline.processor.intake.RequestValidator;
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

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Intake and dispatch for one task of one tier. Kafka Streams allows forward() and store
 * access only on the stream thread, so:
 * <ol>
 *   <li>an admitted request is written to the changelogged pending store before its call starts;</li>
 *   <li>the call runs on Vert.x; its completion is queued;</li>
 *   <li>completions are applied on the stream thread, in process() and in a wall-clock
 *       punctuator: the result and cost event (or dead letter) are forwarded and the pending
 *       entry deleted. Under exactly_once_v2 that commits atomically with the input offsets.</li>
 * </ol>
 * On (re)assignment, init() finds whatever a previous owner left pending and calls again.
 */
public final class DispatchProcessor implements Processor<byte[], byte[], Object, Object> {
    public static final String PENDING_STORE = "pending-calls";
    /** request_ids that produced a result, remembered for the dedupe retention. */
    public static final String COMPLETED_STORE = "completed-requests";
    public static final String RESULTS_SINK = "results-sink";
    public static final String COSTS_SINK = "costs-sink";
    public static final String DLQ_SINK = "dlq-sink";
    private static final Logger log = LoggerFactory.getLogger(DispatchProcessor.class);

    private final Dispatcher dispatcher;
    private final TierSettings settings;
    private final AvroDeserializer<PromptRequest> decoder;
    /** Mirror of the pending store for this task lifetime; rebuilt from the store in init(). */
    private final Map<String, PendingCall> pending = new HashMap<>();
    private final ArrayDeque<String> awaitingPermit = new ArrayDeque<>();
    /** Stored entries that can no longer be decoded; dead-lettered on the first punctuation. */
    private final Map<String, byte[]> unreadable = new HashMap<>();
    private TaskCompletions completions;
    private long blockedNanos;
    private ProcessorContext<Object, Object> ctx;
    private KeyValueStore<String, byte[]> store;
    private WindowStore<String, Long> completed;
    private long duplicatesSkipped;

    public DispatchProcessor(Dispatcher dispatcher, TierSettings settings) {
        this.dispatcher = dispatcher;
        this.settings = settings;
        this.decoder = new AvroDeserializer<>(settings.registry(), PromptRequest.class);
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.ctx = context;
        this.store = context.getStateStore(PENDING_STORE);
        this.completed = context.getStateStore(COMPLETED_STORE);
        this.completions = new TaskCompletions(dispatcher);
        pending.clear();
        awaitingPermit.clear();
        unreadable.clear();
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                try {
                    PendingCall pc = PendingCall.decode(kv.value, wire -> decoder.deserialize(settings.tier().name(), wire))
                            .withNextAttempt();
                    store.put(kv.key, pc.encode());
                    pending.put(kv.key, pc);
                    awaitingPermit.add(kv.key);
                } catch (RegistryException e) {
                    if (!(e instanceof RegistryException.UnknownSchemaId)) throw e;
                    unreadable.put(kv.key, kv.value);
                } catch (RuntimeException e) {
                    unreadable.put(kv.key, kv.value);
                }
            }
        }
        if (!pending.isEmpty() || !unreadable.isEmpty()) {
            log.info("Task {} ({}): re-dispatching {} pending calls left by a previous owner ({} unreadable)",
                    context.taskId(), settings.tier(), pending.size(), unreadable.size());
        }
        // Nothing is forwarded from init(): the first punctuation (a few ms away) starts the calls.
        context.schedule(settings.drainInterval(), PunctuationType.WALL_CLOCK_TIME, ts -> {
            blockedNanos = 0;
            deadLetterUnreadable();
            pump();
        });
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        Origin origin = origin();
        Instant now = dispatcher.clock().instant();
        PromptRequest request;
        try {
            request = record.value() == null ? null : decoder.deserialize(origin.topic(), record.value());
        } catch (RegistryException e) {
            if (!(e instanceof RegistryException.UnknownSchemaId)) {
                throw e; // registry down or refusing: not the record's fault; the task fails and retries, nothing is lost
            }
            log.warn("Undecodable record at {}: {}", origin, e.getMessage());
            forwardDeadLetter(DeadLetters.malformed(record.key(), record.value(), e.getMessage(), origin, now), now);
            return;
        } catch (SerializationException e) {
            log.warn("Undecodable record at {}: {}", origin, e.getMessage());
            forwardDeadLetter(DeadLetters.malformed(record.key(), record.value(), e.getMessage(), origin, now), now);
            return;
        }
        if (request == null) {
            forwardDeadLetter(DeadLetters.malformed(record.key(), null, "record value is null; a PromptRequest is required", origin, now), now);
            return;
        }
        Optional<Rejection> rejection = admissionCheck(request, now);
        if (rejection.isPresent()) {
            Rejection r = rejection.get();
            forwardDeadLetter(DeadLetters.of(request, r.category(), null, r.message(), 0, null, null, origin, now), now);
            return;
        }
        if (pending.containsKey(request.getRequestId()) || completedRecently(request.getRequestId(), now)) {
            duplicatesSkipped++;
            log.debug("request_id {} at {} is in flight or already answered; duplicate skipped", request.getRequestId(), origin);
            return;
        }
        awaitRoom();
        String model = settings.router().model(request).orElseThrow();
        long admittedAt = dispatcher.clock().millis();
        PendingCall pc = new PendingCall(request, record.value(), model, origin, 1, admittedAt, admittedAt);
        store.put(request.getRequestId(), pc.encode());
        pending.put(request.getRequestId(), pc);
        awaitingPermit.add(request.getRequestId());
        pump();
    }

    private Optional<Rejection> admissionCheck(PromptRequest request, Instant now) {
        Optional<Rejection> invalid = RequestValidator.validate(request);
        if (invalid.isPresent()) return invalid;
        Optional<String> model = settings.router().model(request);
        if (model.isEmpty()) {
            return Optional.of(new Rejection(ErrorCategory.INVALID_REQUEST, "task_type '" + request.getTaskType()
                    + "' has no route and no model is given; routes: " + settings.router().describeRoutes()));
        }
        if (settings.prices().find(dispatcher.provider(), model.get()).isEmpty()) {
            return Optional.of(new Rejection(ErrorCategory.INVALID_REQUEST, "model '" + model.get()
                    + "' has no price for provider " + dispatcher.provider() + " in price table " + settings.prices().version()));
        }
        if (request.getDeadline() != null && !request.getDeadline().isAfter(now)) {
            return Optional.of(new Rejection(ErrorCategory.DEADLINE_EXCEEDED, "deadline " + request.getDeadline()
                    + " passed before the call (now " + now + ")"));
        }
        return Optional.empty();
    }

    private boolean completedRecently(String requestId, Instant now) {
        long to = now.toEpochMilli();
        try (WindowStoreIterator<Long> it = completed.fetch(requestId, to - settings.dedupeRetention().toMillis(), to)) {
            return it.hasNext();
        }
    }

    /**
     * Backpressure: while this task holds too many pending entries, drain completions in short
     * slices. The time spent waiting between two punctuations (i.e. two turns of the stream
     * thread's loop, where commits happen) is capped by {@code maxBlock}, far below the exactly-once
     * transaction timeout and max.poll.interval.ms; past it the record is admitted anyway.
     */
    private void awaitRoom() {
        while (pending.size() >= settings.maxPending()) {
            pump();
            if (pending.size() < settings.maxPending()) return;
            if (!dispatcher.isStarting() || blockedNanos >= settings.maxBlock().toNanos()) return;
            long t0 = System.nanoTime();
            try {
                Completion c = completions.poll(settings.drainInterval().toMillis());
                if (c != null) apply(c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                blockedNanos += System.nanoTime() - t0;
            }
        }
    }

    /** Applies finished calls and starts waiting ones while permits allow. Stream thread only. */
    private void pump() {
        Completion c;
        while ((c = completions.poll()) != null) apply(c);
        while (!awaitingPermit.isEmpty()) {
            PendingCall pc = pending.get(awaitingPermit.peek());
            if (pc == null) {
                awaitingPermit.poll();
                continue;
            }
            if (expired(pc)) {
                awaitingPermit.poll();
                continue;
            }
            try {
                if (!dispatcher.tryStart(pc, settings.tier(), completions::offer)) return;
            } catch (RuntimeException e) {
                awaitingPermit.poll();
                finish(pc, DeadLetters.of(pc.request(), ErrorCategory.INVALID_REQUEST, null,
                        "cannot build the call: " + e.getMessage(), pc.attempts() - 1, null, null, pc.origin(), dispatcher.clock().instant()));
                continue;
            }
            awaitingPermit.poll();
        }
    }

    /** A request whose deadline passed while it waited for a permit is dead-lettered without a call. */
    private boolean expired(PendingCall pc) {
        Instant deadline = pc.request().getDeadline();
        Instant now = dispatcher.clock().instant();
        if (deadline == null || deadline.isAfter(now)) return false;
        forwardDeadLetter(DeadLetters.of(pc.request(), ErrorCategory.DEADLINE_EXCEEDED, null, "deadline " + deadline
                + " passed while waiting for a dispatch permit (now " + now + ")", pc.attempts() - 1,
                null, null, pc.origin(), now), now);
        remove(pc.request().getRequestId());
        return true;
    }

    private void apply(Completion c) {
        dispatcher.completionHandled();
        PendingCall pc = pending.get(c.requestId());
        if (pc == null || pc.attempts() != c.attempt()) return; // superseded call (re-dispatched); already applied
        Instant now = dispatcher.clock().instant();
        if (c.outcome() instanceof CallOutcome.Failure f) {
            finish(pc, DeadLetters.of(pc.request(), f.category(), f.httpStatus(), f.message(), pc.attempts(),
                    Instant.ofEpochMilli(pc.firstAttemptAt()), Instant.ofEpochMilli(c.startedAt()), pc.origin(), now));
            return;
        }
        CallOutcome.Success s = (CallOutcome.Success) c.outcome();
        PromptResult result;
        CostEvent cost;
        try {
            Price price = settings.prices().find(dispatcher.provider(), pc.model()).orElseThrow(() -> new IllegalStateException(
                    "model '" + pc.model() + "' has no price for provider " + dispatcher.provider() + " in price table " + settings.prices().version()));
            result = Outputs.result(pc, s, c, dispatcher.provider(), now);
            cost = Outputs.cost(pc, s, c, settings.tier(), price, settings.prices().version(), dispatcher.provider(), now);
        } catch (RuntimeException e) {
            // The call succeeded but cannot be recorded (no price, absurd usage): keep the whole answer
            // in the DLQ for a person to look at, rather than crash and call again in a loop.
            log.error("Task {}: cannot record the answer to {} from {}: {}", ctx.taskId(), c.requestId(), pc.origin(), e.getMessage());
            finish(pc, DeadLetters.of(pc.request(), ErrorCategory.PROVIDER_ERROR, 200, "answered but not recordable: " + e.getMessage(),
                    pc.attempts(), Instant.ofEpochMilli(pc.firstAttemptAt()), Instant.ofEpochMilli(c.startedAt()), pc.origin(), now));
            return;
        }
        ctx.forward(new Record<>(result.getRequestId(), result, now.toEpochMilli()), RESULTS_SINK);
        ctx.forward(new Record<>(cost.getTenant(), cost, now.toEpochMilli()), COSTS_SINK);
        dispatcher.metrics().result(settings.tier(), pc.model(), now.toEpochMilli() - Outputs.createdAt(pc));
        dispatcher.metrics().spend(cost.getTenant(), cost.getModel(), cost.getCurrency(), cost.getCostMicros());
        completed.put(c.requestId(), now.toEpochMilli(), now.toEpochMilli());
        remove(pc.request().getRequestId());
    }

    private void finish(PendingCall pc, DeadLetter dl) {
        forwardDeadLetter(dl, dl.getFailedAt());
        remove(pc.request().getRequestId());
    }

    private void remove(String requestId) {
        pending.remove(requestId);
        store.delete(requestId);
    }

    private void deadLetterUnreadable() {
        if (unreadable.isEmpty()) return;
        Instant now = dispatcher.clock().instant();
        Origin origin = new Origin(PENDING_STORE, ctx.taskId().partition(), -1);
        unreadable.forEach((id, raw) -> {
            forwardDeadLetter(DeadLetters.malformed(null, raw, "pending entry of request_id " + id
                    + " can no longer be decoded (unknown schema id or entry format)", origin, now), now);
            store.delete(id);
        });
        unreadable.clear();
    }

    private void forwardDeadLetter(DeadLetter dl, Instant now) {
        dispatcher.metrics().deadLetter(settings.tier(), dl.getCategory());
        ctx.forward(new Record<>(dl.getTenant(), dl, now.toEpochMilli()), DLQ_SINK);
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
        awaitingPermit.clear();
        unreadable.clear();
    }
}
