package io.promptline.processor.dispatch;

import io.promptline.avro.PromptRequest;
import io.promptline.processor.intake.Claims;
import io.promptline.registry.RegistryException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The requests a task holds, in two changelogged stores keyed by request_id: admitted calls
 * ({@link PendingCall}, queued or in flight) in the pending store, and requests parked in the
 * delay ladder ({@link AwaitingMarker}) in the parked store. An entry is written before its call
 * starts and deleted in the same transaction as the output that ends it, so whoever owns the task
 * after a crash or rebalance finds exactly the requests still open.
 *
 * <p>Memory is bounded whatever the backlog: at most {@code capacity} admitted entries are loaded
 * (decoded, in the queues) at a time; the rest wait in the store and are {@link #load}ed as room
 * frees, on recovery as well. Parked markers live only in their store. Stream thread only.
 */
final class PendingCalls implements Claims.Held {
    private final KeyValueStore<String, byte[]> store;
    private final KeyValueStore<String, byte[]> parked;
    private final int capacity;
    private final long lifetime;
    private final Map<String, PendingCall> loaded = new HashMap<>();
    /** Loaded requests whose call started (their completion is awaited). */
    private final Set<String> started = new HashSet<>();
    /** Stored entries that can no longer be decoded; dead-lettered on the next punctuation. */
    private final Map<String, byte[]> unreadable = new HashMap<>();
    /** Whether the store may hold admitted entries that are not loaded. */
    private boolean unloaded;
    /** Where the next {@link #load} scan starts: the store is read round, from after the last entry loaded. */
    private String cursor;
    /** The lifetimes other than this one that wrote the entries found by {@link #recover}. */
    private final Set<Long> foreign = new HashSet<>();
    /** What those lifetimes handed over. */
    private Handover.Takeover takeover = Handover.Takeover.NOTHING;

    /**
     * An entry loaded: its fate when another lifetime wrote it (null otherwise), and the answer that
     * lifetime handed over when its call answered.
     */
    record Loaded(PendingCall pc, Handover.Fate fate, Handover.Answer answer) {
    }

    /**
     * @param capacity admitted entries held in memory at most
     * @param lifetime this lifetime of the task (see {@link PendingCall#lifetime})
     */
    PendingCalls(KeyValueStore<String, byte[]> store, KeyValueStore<String, byte[]> parked, int capacity, long lifetime) {
        this.store = store;
        this.parked = parked;
        this.capacity = capacity;
        this.lifetime = lifetime;
    }

    /**
     * Takes over what a previous owner or lifetime of the task left: nothing is decoded here (the
     * entries are {@link #load}ed as room allows). Markers an older version kept in the pending
     * store move to the parked store.
     */
    void recover() {
        clear();
        List<String> legacyMarkers = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                if (AwaitingMarker.isMarker(kv.value)) {
                    legacyMarkers.add(kv.key);
                    continue;
                }
                unloaded = true;
                long l = PendingCall.storedLifetime(kv.value);
                if (l != lifetime && l != PendingCall.UNLOADED) foreign.add(l);
            }
        }
        for (String id : legacyMarkers) {
            parked.put(id, store.get(id));
            store.delete(id);
        }
    }

    /**
     * Loads up to {@code max} stored entries that are not loaded yet, in the store's order from where
     * the last scan stopped. An entry of another lifetime is rewritten under its next attempt number.
     * A registry that is down is not the entry's fault: that error is thrown.
     */
    List<Loaded> load(int max, Function<byte[], PromptRequest> decoder) {
        List<Loaded> out = new ArrayList<>();
        if (!unloaded || max <= 0) return out;
        if (cursor != null && scan(cursor, max, decoder, out)) return out;
        if (!scan(null, max, decoder, out)) unloaded = false; // read the whole store without filling the room: all loaded
        return out;
    }

    /** Scans from {@code from} (inclusive; null: the start) to the end; true if it stopped because {@code max} were loaded. */
    private boolean scan(String from, int max, Function<byte[], PromptRequest> decoder, List<Loaded> out) {
        try (KeyValueIterator<String, byte[]> it = from == null ? store.all() : store.range(from, null)) {
            while (it.hasNext()) {
                var kv = it.next();
                if (loaded.containsKey(kv.key) || unreadable.containsKey(kv.key)) continue;
                cursor = kv.key;
                try {
                    PendingCall stored = PendingCall.decode(kv.value, decoder);
                    Loaded l = takeOver(stored);
                    if (l.pc() != stored) store.put(kv.key, l.pc().encode());
                    loaded.put(kv.key, l.pc());
                    out.add(l);
                } catch (RegistryException e) {
                    if (!(e instanceof RegistryException.UnknownSchemaId)) throw e;
                    unreadable.put(kv.key, kv.value);
                } catch (RuntimeException e) {
                    unreadable.put(kv.key, kv.value);
                }
                if (out.size() + unreadable.size() >= max) return true;
            }
        }
        return false;
    }

    /** An entry as this lifetime holds it, by what the lifetime that wrote it handed over. */
    private Loaded takeOver(PendingCall stored) {
        if (stored.lifetime() == lifetime) return new Loaded(stored, null, null);
        if (stored.lifetime() == PendingCall.UNLOADED) return new Loaded(stored.heldBy(lifetime), null, null);
        Handover.Fate fate = takeover.fate(stored);
        return switch (fate) {
            case ANSWERED -> new Loaded(stored.heldBy(lifetime), fate, takeover.answer(stored.request().getRequestId()));
            case UNCONFIRMED -> new Loaded(stored.calledAgain(lifetime, true), fate, null);
            case FAILED -> new Loaded(stored.calledAgain(lifetime, false), fate, null);
            case NOT_STARTED -> new Loaded(stored.heldBy(lifetime), fate, null);
        };
    }

    /** The lifetimes other than this one whose entries {@link #recover} found. */
    Set<Long> foreignLifetimes() {
        return Set.copyOf(foreign);
    }

    /** What those lifetimes handed over, consulted as their entries are loaded. */
    void takeOver(Handover.Takeover handedOver) {
        this.takeover = handedOver;
    }

    Handover.Takeover takeover() {
        return takeover;
    }

    /** The calls started and not yet applied: request_id → attempt. */
    Map<String, Integer> startedCalls() {
        Map<String, Integer> out = new HashMap<>();
        for (String id : started) {
            PendingCall pc = loaded.get(id);
            if (pc != null) out.put(id, pc.attempts());
        }
        return out;
    }

    int startedCount() {
        return started.size();
    }

    long lifetime() {
        return lifetime;
    }

    /** Room for one more loaded entry. */
    boolean hasRoom() {
        return loaded.size() < capacity;
    }

    /** Holds an admitted request (new, or with a new attempt number or model), loaded (in the queues) or only stored. */
    void admit(PendingCall pc, boolean load) {
        String id = pc.request().getRequestId();
        started.remove(id);
        if (load) {
            store.put(id, pc.encode());
            loaded.put(id, pc);
        } else {
            store.put(id, pc.heldBy(PendingCall.UNLOADED).encode());
            unloaded = true;
        }
    }

    /** The request's call started. */
    void started(String requestId) {
        started.add(requestId);
    }

    PendingCall get(String requestId) {
        return loaded.get(requestId);
    }

    /** The request went to the delay ladder: only its marker stays until its record comes back. */
    void park(String requestId, AwaitingMarker marker) {
        loaded.remove(requestId);
        started.remove(requestId);
        store.delete(requestId);
        parked.put(requestId, marker.encode());
    }

    /** The request ended here (result or dead letter): nothing is kept. */
    void forget(String requestId) {
        loaded.remove(requestId);
        started.remove(requestId);
        store.delete(requestId);
    }

    @Override
    public boolean admitted(String requestId) {
        return loaded.containsKey(requestId) || (unloaded && store.get(requestId) != null);
    }

    @Override
    public OptionalInt parkedAfter(String requestId) {
        byte[] m = parked.get(requestId);
        return m == null ? OptionalInt.empty() : OptionalInt.of(AwaitingMarker.decode(m).attempts());
    }

    @Override
    public void unpark(String requestId) {
        parked.delete(requestId);
    }

    /** Admitted requests held in memory (queued or in flight). */
    int loadedCount() {
        return loaded.size();
    }

    boolean hasUnloaded() {
        return unloaded;
    }

    /** The loaded requests whose call has not started, as a copy (the caller may end some). */
    List<PendingCall> waiting() {
        return loaded.values().stream().filter(pc -> !started.contains(pc.request().getRequestId())).toList();
    }

    /** Hands each unreadable entry (request_id, stored bytes) to {@code deadLetter} and deletes it. */
    void drainUnreadable(BiConsumer<String, byte[]> deadLetter) {
        unreadable.forEach((id, raw) -> {
            deadLetter.accept(id, raw);
            store.delete(id);
        });
        unreadable.clear();
    }

    /** Forgets the in-memory state (the stores stay): the task's lifetime ended. */
    void clear() {
        loaded.clear();
        started.clear();
        unreadable.clear();
        unloaded = false;
        cursor = null;
        foreign.clear();
        takeover = Handover.Takeover.NOTHING;
    }
}
