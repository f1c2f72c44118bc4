package io.promptline.processor.dispatch;

import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.ToLongFunction;

/**
 * A task's admitted requests waiting to start: one queue per tenant in reservation order, and the
 * tenants ordered by when their rate limit next allows a start. A tenant over its limit waits
 * without holding up the others. Stream thread only.
 */
final class TenantQueues {
    private record Waiting(double position, long seq, String requestId) {
    }

    private record Ready(long at, String tenant) {
    }

    private final Map<String, PriorityQueue<Waiting>> byTenant = new HashMap<>();
    /** Each tenant with waiting requests, once, with the time it is due: entries not matching {@link #due} are stale. */
    private final PriorityQueue<Ready> ready = new PriorityQueue<>((a, b) -> Long.compare(a.at, b.at));
    private final Map<String, Long> due = new HashMap<>();
    private long seq;

    void add(String tenant, double position, String requestId, long readyAt) {
        byTenant.computeIfAbsent(tenant, t -> new PriorityQueue<>((a, b) -> a.position != b.position
                ? Double.compare(a.position, b.position) : Long.compare(a.seq, b.seq))).add(new Waiting(position, seq++, requestId));
        Long current = due.get(tenant);
        if (current == null || readyAt < current) schedule(tenant, readyAt);
    }

    /** The tenant due first, if it is due at or before {@code now}; its entry stays until {@link #schedule} or {@link #removeHead}. */
    String dueTenant(long now) {
        while (!ready.isEmpty()) {
            Ready r = ready.peek();
            Long current = due.get(r.tenant);
            if (current == null || current != r.at) {
                ready.poll();
                continue;
            }
            return r.at <= now ? r.tenant : null;
        }
        return null;
    }

    /** The next request of a tenant, or null. */
    String head(String tenant) {
        PriorityQueue<Waiting> q = byTenant.get(tenant);
        return q == null || q.isEmpty() ? null : q.peek().requestId;
    }

    /** Takes the tenant's head out; the tenant is due again at {@code nextAt} if it has more. */
    void removeHead(String tenant, long nextAt) {
        PriorityQueue<Waiting> q = byTenant.get(tenant);
        q.poll();
        if (q.isEmpty()) {
            byTenant.remove(tenant);
            due.remove(tenant);
        } else {
            schedule(tenant, nextAt);
        }
    }

    /** Recomputes every tenant's due time (the limits may have changed). */
    void retime(ToLongFunction<String> nextStart) {
        for (String tenant : byTenant.keySet()) schedule(tenant, nextStart.applyAsLong(tenant));
    }

    /** The tenant is due at {@code at} (a due time it already has keeps its one entry: retime runs every second). */
    void schedule(String tenant, long at) {
        Long current = due.put(tenant, at);
        if (current == null || current != at) ready.add(new Ready(at, tenant));
    }

    boolean isEmpty() {
        return byTenant.isEmpty(); // a tenant's queue is dropped when its last request leaves
    }

    void clear() {
        byTenant.clear();
        ready.clear();
        due.clear();
    }
}
