package io.promptline.processor.dispatch;

import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.processor.metrics.ProcessorMetrics;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The JVM-wide call machinery shared by every tier and task: one chat client, one set of
 * in-flight permits. {@link #tryStart} never blocks; completions are handed to the caller's
 * sink (a queue drained on the stream thread) from a Vert.x thread.
 */
public final class Dispatcher implements AutoCloseable {
    private final ChatClient client;
    private final DispatchPermits permits;
    private final Clock clock;
    private final ProcessorMetrics metrics;
    /** Calls started whose completion has not yet been applied (or dropped) by a task. */
    private final AtomicInteger unapplied = new AtomicInteger();
    private volatile boolean starting = true;

    public Dispatcher(ChatClient client, DispatchPermits permits, Clock clock, ProcessorMetrics metrics) {
        this.client = client;
        this.permits = permits;
        this.clock = clock;
        this.metrics = metrics;
        metrics.bindPermits(permits);
    }

    /** A dispatcher whose meters are kept in memory only. */
    public Dispatcher(ChatClient client, DispatchPermits permits, Clock clock) {
        this(client, permits, clock, ProcessorMetrics.inMemory());
    }

    public ProcessorMetrics metrics() {
        return metrics;
    }

    public Clock clock() {
        return clock;
    }

    public String provider() {
        return client.provider();
    }

    public DispatchPermits permits() {
        return permits;
    }

    /**
     * Starts the call if a permit of the tier is free; false means try again later. The tier is the
     * topic's, not the request's own priority field, so a request cannot claim urgent headroom.
     */
    public boolean tryStart(PendingCall pending, Priority tier, Consumer<Completion> onDone) {
        unapplied.incrementAndGet(); // before the check, so drain() cannot miss a call that starts
        if (!starting || !permits.tryAcquire(tier)) {
            unapplied.decrementAndGet();
            return false;
        }
        PromptRequest r = pending.request();
        ChatCall call = new ChatCall(r.getRequestId(), pending.model(), r.getMessages(), r.getTemperature(),
                r.getMaxTokens(), r.getResponseFormat());
        long started = clock.millis();
        try {
            client.call(call).whenComplete((outcome, error) -> {
                permits.release(tier);
                CallOutcome o = outcome != null ? outcome : new CallOutcome.Failure(
                        ErrorClassifier.fromTransport(error), null, String.valueOf(error), null, clock.millis() - started);
                if (o instanceof CallOutcome.Failure f) metrics.call(tier, pending.model(), f.category(), f.httpStatus(), f.latencyMs());
                else metrics.call(tier, pending.model(), null, null, o.latencyMs());
                onDone.accept(new Completion(r.getRequestId(), pending.attempts(), started, o));
            });
        } catch (RuntimeException e) {
            permits.release(tier);
            unapplied.decrementAndGet();
            throw e;
        }
        return true;
    }

    /** A task applied (or, closing, dropped) a completion handed to it. */
    public void completionHandled() {
        unapplied.decrementAndGet();
    }

    /**
     * Graceful shutdown, first half: start no more calls, and wait until every started call's
     * completion has been applied by its task, so that a clean stop repeats no call.
     * Returns false if calls were still open at the timeout (their new owner calls again).
     */
    public boolean drain(Duration timeout) throws InterruptedException {
        starting = false;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (unapplied.get() > 0) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(10);
        }
        return true;
    }

    /** False once a graceful shutdown began: tasks must not wait for room, nothing will start. */
    public boolean isStarting() {
        return starting;
    }

    public int unapplied() {
        return unapplied.get();
    }

    @Override
    public void close() {
        client.close();
    }
}
