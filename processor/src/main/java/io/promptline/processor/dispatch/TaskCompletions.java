package io.promptline.processor.dispatch;

import io.promptline.processor.provider.CallGateway;
import io.promptline.processor.provider.Completion;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The hand-off of finished calls from Vert.x threads to one task, for one lifetime of that task
 * (init to close). A completion that arrives after close — the task was revoked, or closed dirty
 * and revived — is counted as handled and discarded: its pending entry is still in the store and
 * the task's next lifetime calls again.
 */
final class TaskCompletions {
    private final CallGateway gateway;
    private final LinkedBlockingQueue<Completion> queue = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    TaskCompletions(CallGateway gateway) {
        this.gateway = gateway;
    }

    private final Object arrivals = new Object();

    /** Called on a Vert.x thread. */
    void offer(Completion c) {
        queue.add(c);
        if (closed) discardQueued(); // closed meanwhile: whoever loses the race still discards
        synchronized (arrivals) {
            arrivals.notifyAll();
        }
    }

    /** Calls finished and not yet applied. */
    int size() {
        return queue.size();
    }

    /** Waits at most {@code millis} for more than {@code seen} finished calls, without taking any. */
    void awaitMoreThan(int seen, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (arrivals) {
            while (!closed && queue.size() <= seen) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) return;
                arrivals.wait(left);
            }
        }
    }

    /** Stream thread: the next completion, or null. The caller must report it handled. */
    Completion poll() {
        return closed ? null : queue.poll();
    }

    void close() {
        closed = true;
        discardQueued();
    }

    /** Closes, handing back (instead of discarding) what had arrived; each is reported handled. */
    java.util.List<Completion> closeAndDrain() {
        closed = true;
        java.util.List<Completion> out = new java.util.ArrayList<>();
        Completion c;
        while ((c = queue.poll()) != null) {
            gateway.completionHandled();
            out.add(c);
        }
        return out;
    }

    private void discardQueued() {
        while (queue.poll() != null) gateway.completionHandled();
    }
}
