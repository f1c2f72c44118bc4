package io.promptline.processor.provider;

import io.promptline.avro.Priority;
import io.promptline.processor.metrics.InFlightCalls;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The JVM-wide limit on concurrent calls, shared by every tier and task, and aware of priority:
 * an urgent call may take any free permit, while a normal or batch call may start only while
 * the total in flight is below that tier's share of the limit. A saturating batch backlog can
 * therefore never take the headroom urgent work needs.
 *
 * <p>Never blocks: a task that gets no permit keeps its request pending and tries again after
 * draining completions.
 */
public final class DispatchPermits implements InFlightCalls {
    private final int limit;
    private final Map<Priority, Integer> ceilings = new EnumMap<>(Priority.class);
    private final Map<Priority, AtomicInteger> byTier = new EnumMap<>(Priority.class);
    private final AtomicInteger inFlight = new AtomicInteger();

    /**
     * @param normalShare fraction of the limit that normal calls may fill (with everything else in flight)
     * @param batchShare  fraction for batch calls; at most normalShare
     */
    public DispatchPermits(int limit, double normalShare, double batchShare) {
        if (limit < 1) throw new IllegalArgumentException("max in-flight must be >= 1, was " + limit);
        if (!(normalShare > 0 && normalShare <= 1)) throw new IllegalArgumentException("normal share must be in (0,1], was " + normalShare);
        if (!(batchShare > 0 && batchShare <= normalShare)) {
            throw new IllegalArgumentException("batch share must be in (0, normal share " + normalShare + "], was " + batchShare);
        }
        this.limit = limit;
        ceilings.put(Priority.URGENT, limit);
        ceilings.put(Priority.NORMAL, Math.max(1, (int) Math.floor(limit * normalShare)));
        ceilings.put(Priority.BATCH, Math.max(1, (int) Math.floor(limit * batchShare)));
        for (Priority p : Priority.values()) byTier.put(p, new AtomicInteger());
    }

    /** A limit without priority shares: every tier may use every permit. */
    public DispatchPermits(int limit) {
        this(limit, 1.0, 1.0);
    }

    public boolean tryAcquire(Priority tier) {
        int ceiling = ceilings.get(tier);
        while (true) {
            int current = inFlight.get();
            if (current >= ceiling) return false;
            if (inFlight.compareAndSet(current, current + 1)) {
                byTier.get(tier).incrementAndGet();
                return true;
            }
        }
    }

    public void release(Priority tier) {
        byTier.get(tier).decrementAndGet();
        inFlight.decrementAndGet();
    }

    public int inFlight() {
        return inFlight.get();
    }

    @Override
    public int inFlight(Priority tier) {
        return byTier.get(tier).get();
    }

    /** The total in flight at or above which a call of this tier may not start. */
    public int ceiling(Priority tier) {
        return ceilings.get(tier);
    }

    @Override
    public int limit() {
        return limit;
    }
}
