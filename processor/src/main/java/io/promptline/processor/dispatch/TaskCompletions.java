package io.promptline.processor.dispatch;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The hand-off of finished calls from Vert.x threads to one task, for one lifetime of that task
 * (init to close). A completion that arrives after close — the task was revoked, or closed dirty
 * and revived — is counted as handled and discarded: its pending entry is still in the store and
 * the task's next lifetime calls again.
 */
final class TaskCompletions {
    private final Dispatcher dispatcher;
    private final LinkedBlockingQueue<Completion> queue = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    TaskCompletions(Dispatcher dispatcher) {
        this.dispatcher = dispatcher;
    }

    /** Called on a Vert.x thread. */
    void offer(Completion c) {
        queue.add(c);
        if (closed) discardQueued(); // closed meanwhile: whoever loses the race still discards
    }

    /** Stream thread: the next completion, or null. The caller must report it handled. */
    Completion poll() {
        return closed ? null : queue.poll();
    }

    Completion poll(long millis) throws InterruptedException {
        return closed ? null : queue.poll(millis, TimeUnit.MILLISECONDS);
    }

    void close() {
        closed = true;
        discardQueued();
    }

    private void discardQueued() {
        while (queue.poll() != null) dispatcher.completionHandled();
    }
}
