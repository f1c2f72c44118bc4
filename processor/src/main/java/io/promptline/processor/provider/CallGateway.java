package io.promptline.processor.provider;

import io.promptline.avro.ErrorCategory;
import io.promptline.avro.Priority;
import io.promptline.processor.cost.Billing;
import io.promptline.processor.metrics.ProcessorMetrics;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The JVM-wide gateway to the providers, shared by every tier and task: the provider endpoints
 * (the primary, then fallbacks) and the priority-aware in-flight permits. {@link #tryStart} never
 * blocks; a call's {@link Completion} is handed to the caller's sink (a queue drained on the
 * stream thread) from a Vert.x thread.
 *
 * <p>The primary endpoints are the deployments of the models (one, without a deployments file):
 * a call goes to the least busy deployment that serves its model and can take it, and spills to
 * a sibling when one is paused, saturated, at its share of the rate limits or down. A fallback
 * endpoint is called only while every deployment of the model has its circuit breaker open (they
 * are down); deployments merely paused by Retry-After or at their limits are waited for. A
 * fallback whose provider has no price for the model is skipped.
 *
 * <p>It also keeps the count every graceful stop waits on: calls started whose completion no
 * task has applied (or, closing, dropped) yet ({@link #completionHandled()}, {@link #drain}).
 */
public final class CallGateway implements AutoCloseable {
    /**
     * Whether a call started, and if not, what it waits for: a permit or an endpoint (every call
     * waits), or the call's model, which the endpoint says it does not serve (calls of other
     * models may go).
     */
    public enum Start {
        STARTED, NO_PERMIT, NO_ENDPOINT, MODEL_FAULTED,
        /** The deployments of the call's model cannot take it now, but other deployments serve other models: their calls may go. */
        MODEL_WAITS
    }

    private final List<Endpoint> endpoints;
    /** How many of {@link #endpoints}, from the first, are deployments (the rest are fallbacks). */
    private final int deployments;
    private final DispatchPermits permits;
    private final Billing billing;
    private final Clock clock;
    private final ProcessorMetrics metrics;
    /** Calls started whose completion has not yet been applied (or dropped) by a task. */
    private final AtomicInteger unapplied = new AtomicInteger();
    private volatile boolean starting = true;
    /** Per tier, when one of its tasks last had to wait for room (System.nanoTime; 0: never). */
    private final Map<Priority, AtomicLong> lastWait = new EnumMap<>(Priority.class);

    /** @param endpoints the primary first, then the fallbacks in order */
    public CallGateway(List<Endpoint> endpoints, DispatchPermits permits, Billing billing, Clock clock, ProcessorMetrics metrics) {
        this(endpoints, 1, permits, billing, clock, metrics);
    }

    /** @param endpoints the deployments ({@code deployments} of them), then the fallbacks in order */
    public CallGateway(List<Endpoint> endpoints, int deployments, DispatchPermits permits, Billing billing, Clock clock,
                       ProcessorMetrics metrics) {
        if (endpoints.isEmpty()) throw new IllegalArgumentException("at least one endpoint is required");
        if (deployments < 1 || deployments > endpoints.size()) throw new IllegalArgumentException("deployments must be in [1, endpoints]");
        this.deployments = deployments;
        this.endpoints = List.copyOf(endpoints);
        this.permits = permits;
        this.billing = billing;
        this.clock = clock;
        this.metrics = metrics;
        metrics.bindInFlight(permits);
        metrics.bindEndpoints(this.endpoints);
        for (Priority p : Priority.values()) lastWait.put(p, new AtomicLong());
    }

    private volatile BatchApiClient batchApi;

    /** The primary endpoint's Batch API, for the batch tier's jobs (set once at start; null: none). */
    public CallGateway withBatchApi(BatchApiClient api) {
        this.batchApi = api;
        return this;
    }

    /** The Batch API, or null when none is configured. */
    public BatchApiClient batchApi() {
        return batchApi;
    }

    /** A task of {@code tier} is waiting for room (backpressure). */
    public void waiting(Priority tier) {
        lastWait.get(tier).set(System.nanoTime());
    }

    /** Whether a task of {@code tier} waited for room within {@code window}. */
    public boolean waitedWithin(Priority tier, Duration window) {
        long at = lastWait.get(tier).get();
        return at != 0 && System.nanoTime() - at < window.toNanos();
    }

    public Clock clock() {
        return clock;
    }

    public ProcessorMetrics metrics() {
        return metrics;
    }

    /** The primary endpoint's provider: the one requests are admitted (and priced) for. */
    public String provider() {
        return endpoints.get(0).provider();
    }

    /** Whether a deployment serves {@code model} (without a deployments file, the one endpoint serves every model). */
    public boolean serves(String model) {
        for (int i = 0; i < deployments; i++) if (endpoints.get(i).serves(model)) return true;
        return false;
    }

    public DispatchPermits permits() {
        return permits;
    }

    public List<Endpoint> endpoints() {
        return endpoints;
    }

    /**
     * Starts the call if a permit of the tier is free and an endpoint can take it. The tier is the
     * topic's, not the request's own priority field, so a request cannot claim urgent headroom.
     *
     * @param attempt the number of this call of the request, carried to its completion
     */
    public Start tryStart(ChatCall call, int attempt, Priority tier, Consumer<Completion> onDone) {
        return tryStart(call, attempt, tier, onDone, null);
    }

    /**
     * As {@link #tryStart(ChatCall, int, Priority, Consumer)}, sending the call only once {@code ahead}
     * (the durable record that it starts) completed; if that fails, the call is not made and
     * completes as a NETWORK failure, to be tried again.
     */
    public Start tryStart(ChatCall call, int attempt, Priority tier, Consumer<Completion> onDone,
                          Supplier<CompletionStage<?>> ahead) {
        return tryStart(call, attempt, tier, onDone, ahead, null);
    }

    /** As {@link #tryStart(ChatCall, int, Priority, Consumer, Supplier)}, the answer streamed to {@code stream} when not null. */
    public Start tryStart(ChatCall call, int attempt, Priority tier, Consumer<Completion> onDone,
                          Supplier<CompletionStage<?>> ahead, StreamListener stream) {
        unapplied.incrementAndGet(); // before the checks, so drain() cannot miss a call that starts
        if (!starting || !permits.tryAcquire(tier)) {
            unapplied.decrementAndGet();
            return Start.NO_PERMIT;
        }
        boolean urgent = tier == Priority.URGENT;
        Object acquired = acquireEndpoint(call.model(), urgent, estimatedTokens(call)); // counted only if a deployment's TPM needs it
        if (!(acquired instanceof Endpoint called)) {
            permits.release(tier);
            unapplied.decrementAndGet();
            return (Start) acquired;
        }
        Endpoint primary = endpoints.get(0);
        String fallback = endpoints.indexOf(called) < deployments ? null : "provider " + primary.provider() + " (" + primary.baseUrl()
                + ") unavailable: circuit breaker open; called " + called.provider();
        try {
            CompletionStage<?> recorded = ahead == null ? CompletableFuture.completedFuture(null)
                    : ahead.get();
            recorded.whenComplete((ok, notRecorded) -> {
                long started = clock.millis();
                CompletionStage<CallOutcome> outcome;
                if (notRecorded != null) {
                    outcome = CompletableFuture.completedFuture(new CallOutcome.Failure(ErrorCategory.NETWORK, null,
                            "the call was not made: its start could not be recorded (" + (notRecorded instanceof java.util.concurrent.CompletionException
                                    && notRecorded.getCause() != null ? notRecorded.getCause() : notRecorded).getMessage() + ")", 0));
                } else {
                    try {
                        outcome = called.call(call, stream);
                    } catch (RuntimeException e) {
                        // The request cannot be turned into a call (e.g. a response_format that is not JSON): its own fault.
                        outcome = CompletableFuture.completedFuture(new CallOutcome.Failure(
                                ErrorCategory.INVALID_REQUEST, null, "cannot build the call: " + e.getMessage(), 0));
                    }
                }
                outcome.whenComplete((o0, error) -> {
                    CallOutcome o = o0 != null ? o0 : new CallOutcome.Failure(
                            ErrorClassifier.fromTransport(error), null, String.valueOf(error), clock.millis() - started);
                    called.release(call.model(), urgent, o);
                    permits.release(tier);
                    record(tier, call.model(), o);
                    onDone.accept(new Completion(call.idempotencyKey(), attempt, started, o, called.provider(), fallback, called.answers()));
                });
            });
        } catch (RuntimeException e) {
            called.cancel(call.model(), urgent);
            permits.release(tier);
            unapplied.decrementAndGet();
            throw e;
        }
        return Start.STARTED;
    }

    private void record(Priority tier, String model, CallOutcome o) {
        if (o instanceof CallOutcome.Failure f) metrics.call(tier, model, f.category(), f.httpStatus(), f.latencyMs());
        else metrics.call(tier, model, null, null, o.latencyMs());
    }

    /**
     * The endpoint whose slot was taken for a call of {@code model}, or why none: the least busy
     * deployment serving the model that can take it; while every deployment of the model has its
     * breaker open, a fallback that has a price for the model. Deployments that are paused,
     * saturated, at their rate share or misconfigured are waited for, not spilled over to fallbacks.
     */
    private Object acquireEndpoint(String model, boolean urgent, LongSupplier tokens) {
        List<Endpoint> serving = new java.util.ArrayList<>(deployments);
        for (int i = 0; i < deployments; i++) if (endpoints.get(i).serves(model)) serving.add(endpoints.get(i));
        if (serving.size() > 1) serving.sort(java.util.Comparator.comparingInt(Endpoint::inFlight));
        int open = 0;
        int modelFaulted = 0;
        for (Endpoint e : serving) {
            Endpoint.Slot slot = e.tryAcquire(model, urgent, tokens);
            if (slot == Endpoint.Slot.ACQUIRED) return e;
            if (slot == Endpoint.Slot.OPEN) open++;
            if (slot == Endpoint.Slot.MODEL_FAULTED) modelFaulted++;
        }
        if (serving.isEmpty()) return Start.MODEL_FAULTED; // admission refuses such models; one that slipped through waits like a faulted one
        if (modelFaulted == serving.size()) return Start.MODEL_FAULTED;
        if (open < serving.size()) return serving.size() < deployments ? Start.MODEL_WAITS : Start.NO_ENDPOINT;
        for (int i = deployments; i < endpoints.size(); i++) {
            Endpoint e = endpoints.get(i);
            if (!billing.callable(e.provider(), model, clock.instant())) continue;
            Endpoint.Slot slot = e.tryAcquire(model, urgent, tokens);
            if (slot == Endpoint.Slot.ACQUIRED) return e;
            if (slot == Endpoint.Slot.MODEL_FAULTED) return Start.MODEL_FAULTED;
            if (slot != Endpoint.Slot.OPEN) return Start.NO_ENDPOINT;
        }
        return Start.NO_ENDPOINT;
    }

    /** A call's tokens as a deployment's tokens-per-minute counts them before it is made: its prompt ({@code TokenCount}) and max_tokens. */
    static LongSupplier estimatedTokens(ChatCall call) {
        long[] counted = {-1}; // counted once, however many deployments ask
        return () -> counted[0] >= 0 ? counted[0] : (counted[0] = io.promptline.tokens.TokenCount.prompt(call.model(), call.messages(), call.tools())
                + (call.maxTokens() == null ? 256 : call.maxTokens()));
    }

    /** A refusal from {@code provider}'s endpoint was the request's own, not the endpoint's: the pause it set is lifted. */
    public void forgive(String provider, String model) {
        for (Endpoint e : endpoints) {
            if (e.provider().equals(provider)) e.forgive(model);
        }
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
        endpoints.forEach(Endpoint::close);
        if (batchApi != null) batchApi.close();
    }
}
