package io.promptline.processor.dispatch;

import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;

import java.time.Clock;
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

    public Dispatcher(ChatClient client, DispatchPermits permits, Clock clock) {
        this.client = client;
        this.permits = permits;
        this.clock = clock;
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
        if (!permits.tryAcquire(tier)) return false;
        PromptRequest r = pending.request();
        ChatCall call = new ChatCall(r.getRequestId(), pending.model(), r.getMessages(), r.getTemperature(),
                r.getMaxTokens(), r.getResponseFormat());
        long started = clock.millis();
        try {
            client.call(call).whenComplete((outcome, error) -> {
                permits.release(tier);
                CallOutcome o = outcome != null ? outcome : new CallOutcome.Failure(
                        ErrorClassifier.fromTransport(error), null, String.valueOf(error), null, clock.millis() - started);
                onDone.accept(new Completion(r.getRequestId(), pending.attempts(), started, o));
            });
        } catch (RuntimeException e) {
            permits.release(tier);
            throw e;
        }
        return true;
    }

    @Override
    public void close() {
        client.close();
    }
}
