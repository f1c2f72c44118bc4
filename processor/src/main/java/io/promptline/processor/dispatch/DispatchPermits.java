package io.promptline.processor.dispatch;

import java.util.concurrent.Semaphore;

/**
 * The JVM-wide limit on concurrent calls, shared by every tier and task. Never blocks: a task
 * that gets no permit keeps its request pending and tries again after draining completions.
 */
public final class DispatchPermits {
    private final int limit;
    private final Semaphore permits;

    public DispatchPermits(int limit) {
        if (limit < 1) throw new IllegalArgumentException("max in-flight must be >= 1, was " + limit);
        this.limit = limit;
        this.permits = new Semaphore(limit);
    }

    public boolean tryAcquire() {
        return permits.tryAcquire();
    }

    public void release() {
        permits.release();
    }

    public int inFlight() {
        return limit - permits.availablePermits();
    }

    public int limit() {
        return limit;
    }
}
