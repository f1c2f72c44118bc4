package io.promptline.processor.dispatch;

import io.promptline.avro.PromptRequest;
import io.promptline.processor.intake.Claims;
import io.promptline.registry.RegistryException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The requests a task holds, in its changelogged pending store (keyed by request_id) and mirrored
 * in memory: admitted ones ({@link PendingCall}, queued or in flight) and ones parked in the delay
 * ladder ({@link AwaitingMarker}). An entry is written before its call starts and deleted in the
 * same transaction as the output that ends it, so whoever owns the task after a crash or rebalance
 * finds exactly the requests still open ({@link #recover}). Stream thread only.
 */
final class PendingCalls implements Claims.Held {
    private final KeyValueStore<String, byte[]> store;
    private final Map<String, PendingCall> admitted = new HashMap<>();
    private final Map<String, AwaitingMarker> parked = new HashMap<>();
    /** Stored entries that can no longer be decoded; dead-lettered on the first punctuation. */
    private final Map<String, byte[]> unreadable = new HashMap<>();

    PendingCalls(KeyValueStore<String, byte[]> store) {
        this.store = store;
    }

    /**
     * Reads what a previous owner or lifetime of the task left. An admitted entry's call may have
     * been made, so it comes back with the next attempt number (stored so), to be called again;
     * parked ones wait for their record to come back; unreadable ones are kept for the DLQ.
     * A registry that is down is not the entry's fault: that error is thrown.
     */
    List<PendingCall> recover(Function<byte[], PromptRequest> decoder) {
        clear();
        List<PendingCall> recovered = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                try {
                    if (AwaitingMarker.isMarker(kv.value)) {
                        parked.put(kv.key, AwaitingMarker.decode(kv.value));
                        continue;
                    }
                    PendingCall pc = PendingCall.decode(kv.value, decoder).withNextAttempt();
                    admit(pc);
                    recovered.add(pc);
                } catch (RegistryException e) {
                    if (!(e instanceof RegistryException.UnknownSchemaId)) throw e;
                    unreadable.put(kv.key, kv.value);
                } catch (RuntimeException e) {
                    unreadable.put(kv.key, kv.value);
                }
            }
        }
        return recovered;
    }

    /** Holds an admitted request (new, or with a new attempt number or model). */
    void admit(PendingCall pc) {
        String id = pc.request().getRequestId();
        admitted.put(id, pc);
        store.put(id, pc.encode());
    }

    PendingCall get(String requestId) {
        return admitted.get(requestId);
    }

    /** The request went to the delay ladder: only its marker stays until the relay brings it back. */
    void park(String requestId, AwaitingMarker marker) {
        admitted.remove(requestId);
        parked.put(requestId, marker);
        store.put(requestId, marker.encode());
    }

    /** The request ended here (result or dead letter): nothing is kept. */
    void forget(String requestId) {
        admitted.remove(requestId);
        parked.remove(requestId);
        store.delete(requestId);
    }

    @Override
    public boolean admitted(String requestId) {
        return admitted.containsKey(requestId);
    }

    @Override
    public OptionalInt parkedAfter(String requestId) {
        AwaitingMarker m = parked.get(requestId);
        return m == null ? OptionalInt.empty() : OptionalInt.of(m.attempts());
    }

    @Override
    public void unpark(String requestId) {
        parked.remove(requestId);
    }

    /** Admitted requests (queued or in flight). */
    int admittedCount() {
        return admitted.size();
    }

    int parkedCount() {
        return parked.size();
    }

    int unreadableCount() {
        return unreadable.size();
    }

    /**
     * Forgets markers whose record has not come back {@code graceMs} after it was due, telling
     * {@code onForget} of each.
     */
    void sweepParked(long now, long graceMs, BiConsumer<String, AwaitingMarker> onForget) {
        parked.entrySet().removeIf(e -> {
            if (e.getValue().dueAt() + graceMs > now) return false;
            onForget.accept(e.getKey(), e.getValue());
            store.delete(e.getKey());
            return true;
        });
    }

    /** Hands each unreadable entry (request_id, stored bytes) to {@code deadLetter} and deletes it. */
    void drainUnreadable(BiConsumer<String, byte[]> deadLetter) {
        unreadable.forEach((id, raw) -> {
            deadLetter.accept(id, raw);
            store.delete(id);
        });
        unreadable.clear();
    }

    /** Forgets the in-memory mirror (the store stays): the task's lifetime ended. */
    void clear() {
        admitted.clear();
        parked.clear();
        unreadable.clear();
    }
}
