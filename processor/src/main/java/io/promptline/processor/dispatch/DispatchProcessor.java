package io.promptline.processor.dispatch;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.PromptRequest;
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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

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
    private final Map<String, PendingCall> pending = new HashMap<>();
    private final ArrayDeque<String> awaitingPermit = new ArrayDeque<>();
    private final LinkedBlockingQueue<Completion> completions = new LinkedBlockingQueue<>();
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
        int recovered = 0;
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                PendingCall pc = PendingCall.decode(kv.value, wire -> decoder.deserialize(settings.tier().name(), wire))
                        .withNextAttempt();
                store.put(kv.key, pc.encode());
                pending.put(kv.key, pc);
                awaitingPermit.add(kv.key);
                recovered++;
            }
        }
        if (recovered > 0) {
            log.info("Task {} ({}): re-dispatching {} pending calls left by a previous owner", context.taskId(), settings.tier(), recovered);
        }
        context.schedule(settings.drainInterval(), PunctuationType.WALL_CLOCK_TIME, ts -> pump());
        pump();
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        Origin origin = origin();
        Instant now = dispatcher.clock().instant();
        PromptRequest request;
        try {
            request = record.value() == null ? null : decoder.deserialize(origin.topic(), record.value());
        } catch (RegistryException.Unreachable e) {
            throw e; // not the record's fault: fail the task, retry after the thread is replaced, lose nothing
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

    /** Backpressure: while this task holds too many pending entries, drain in short slices. */
    private void awaitRoom() {
        long giveUpAt = System.nanoTime() + settings.maxBlock().toNanos();
        while (pending.size() >= settings.maxPending()) {
            pump();
            if (pending.size() < settings.maxPending()) return;
            if (System.nanoTime() > giveUpAt) {
                log.warn("Task {} ({}): {} calls pending for {} ms; admitting past the bound of {} rather than risk max.poll.interval.ms",
                        ctx.taskId(), settings.tier(), pending.size(), settings.maxBlock().toMillis(), settings.maxPending());
                return;
            }
            try {
                Completion c = completions.poll(settings.drainInterval().toMillis(), TimeUnit.MILLISECONDS);
                if (c != null) apply(c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
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
            if (!dispatcher.tryStart(pc, settings.tier(), completions::add)) return;
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
        pending.remove(pc.request().getRequestId());
        store.delete(pc.request().getRequestId());
        return true;
    }

    private void apply(Completion c) {
        dispatcher.completionHandled();
        PendingCall pc = pending.get(c.requestId());
        if (pc == null || pc.attempts() != c.attempt()) return; // superseded call (re-dispatched); already applied
        Instant now = dispatcher.clock().instant();
        if (c.outcome() instanceof CallOutcome.Success s) {
            Price price = settings.prices().find(dispatcher.provider(), pc.model()).orElseThrow();
            var result = Outputs.result(pc, s, c, dispatcher.provider(), now);
            var cost = Outputs.cost(pc, s, c, price, settings.prices().version(), dispatcher.provider(), now);
            ctx.forward(new Record<>(result.getRequestId(), result, now.toEpochMilli()), RESULTS_SINK);
            ctx.forward(new Record<>(cost.getTenant(), cost, now.toEpochMilli()), COSTS_SINK);
            completed.put(c.requestId(), now.toEpochMilli(), now.toEpochMilli());
        } else if (c.outcome() instanceof CallOutcome.Failure f) {
            forwardDeadLetter(DeadLetters.of(pc.request(), f.category(), f.httpStatus(), f.message(), pc.attempts(),
                    Instant.ofEpochMilli(pc.firstAttemptAt()), Instant.ofEpochMilli(c.startedAt()), pc.origin(), now), now);
        }
        pending.remove(c.requestId());
        store.delete(c.requestId());
    }

    private void forwardDeadLetter(DeadLetter dl, Instant now) {
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
        // Completions still in flight are dropped: their pending entries stay in the store and the
        // task's next owner calls again. Permits are released by the dispatcher regardless.
        while (completions.poll() != null) dispatcher.completionHandled();
    }
}
