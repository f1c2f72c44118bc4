package io.promptline.processor.dispatch;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.ToLongFunction;

/**
 * A task's admitted requests waiting to start, ordered by the time their tenant's rate limit
 * allows them (then by admission order). Stream thread only.
 */
final class TaskQueue {
    private record Entry(long allowedAt, long seq, String requestId) {
    }

    private final PriorityQueue<Entry> heap = new PriorityQueue<>((a, b) -> a.allowedAt != b.allowedAt
            ? Long.compare(a.allowedAt, b.allowedAt) : Long.compare(a.seq, b.seq));
    private long seq;

    void add(String requestId, long allowedAt) {
        heap.add(new Entry(allowedAt, seq++, requestId));
    }

    /** The next request allowed at or before {@code now}, or null; it stays queued until {@link #poll()}. */
    String peekAllowed(long now) {
        Entry e = heap.peek();
        return e != null && e.allowedAt <= now ? e.requestId : null;
    }

    void poll() {
        heap.poll();
    }

    /** Re-times every entry (the limits may have changed), keeping admission order among equals. */
    void retime(ToLongFunction<String> allowedAt) {
        List<Entry> all = new ArrayList<>(heap);
        heap.clear();
        for (Entry e : all) heap.add(new Entry(allowedAt.applyAsLong(e.requestId), e.seq, e.requestId));
    }

    boolean isEmpty() {
        return heap.isEmpty();
    }

    int size() {
        return heap.size();
    }

    void clear() {
        heap.clear();
    }
}
