package io.promptline.processor.provider;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.promptline.avro.ErrorCategory;
import io.promptline.processor.metrics.EndpointGauges;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One provider endpoint (a base URL) and its protection: a circuit breaker (resilience4j) that
 * opens after consecutive provider failures and stops all calls until it half-opens; an
 * {@link AdaptiveLimit} on concurrent calls that halves on 429; a pause honouring the provider's
 * Retry-After and exhausted {@code x-ratelimit-*} windows; and a fault pause when the endpoint
 * says it is misconfigured (401/403, insufficient_quota, 404): no call for {@code faultPause},
 * then one probe call at a time until one succeeds, so a wrong key or base URL costs a call per
 * pause instead of the backlog. A 404 for a model pauses that model only.
 *
 * <p>As one of several deployments of a model ({@link EndpointShape}) it also keeps to its share of the
 * deployment's requests and tokens per minute ({@link DeploymentLimits}, limits that hold for all
 * instances together), and keeps part of everything for urgent calls: non-urgent calls run
 * against {@code 1 - urgentReserve} of the concurrency and the rate, and a 429 (or Retry-After)
 * answered to a non-urgent call pauses and halves only non-urgent traffic, so a storm caused by
 * batch traffic neither pauses nor starves urgent. Thread-safe.
 */
public final class Endpoint implements EndpointGauges, AutoCloseable {
    /** Why a call could or could not start now. */
    public enum Slot {
        ACQUIRED,
        /** The endpoint said it is misconfigured (credentials, base URL): it waits for the next probe. */
        FAULTED,
        /** The endpoint does not serve this model: calls of other models may go. */
        MODEL_FAULTED,
        /** The provider asked us to wait (Retry-After, exhausted rate-limit window). */
        PAUSED,
        /** The adaptive concurrency limit is reached. */
        SATURATED,
        /** The circuit breaker is open: the endpoint is treated as down. */
        OPEN,
        /** This instance's share of the deployment's requests or tokens per minute is used up for now. */
        RATE_LIMITED,
        /** The deployment does not serve this model. */
        NOT_SERVED
    }

    private final String provider;
    private final String baseUrl;
    private final ChatClient client;
    private final CircuitBreaker breaker;
    private final AdaptiveLimit limit;
    private final Clock clock;
    private final long maxPauseMillis;
    private volatile long pausedUntil;
    /** A pause asked for by an answer to a non-urgent call: urgent calls go on. */
    private volatile long nonUrgentPausedUntil;
    private final Faults faults;
    private final EndpointShape shape;
    /** Concurrency of urgent calls, beside {@link #limit} (the others'); both together never exceed the deployment's. */
    private final AdaptiveLimit urgentLimit;
    private final int maxConcurrency;
    private final AtomicLong answers = new AtomicLong();

    public Endpoint(String provider, String baseUrl, ChatClient client, BreakerSettings breakerSettings, AdaptiveLimit limit,
                    Duration maxPause, Clock clock) {
        this(provider, baseUrl, client, breakerSettings, limit, maxPause, Duration.ofSeconds(30), clock);
    }

    /** @param faultPause how long a misconfigured endpoint (or model) gets no call before the next probe */
    public Endpoint(String provider, String baseUrl, ChatClient client, BreakerSettings breakerSettings, AdaptiveLimit limit,
                    Duration maxPause, Duration faultPause, Clock clock) {
        this(provider, baseUrl, client, breakerSettings, limit, maxPause, faultPause, clock, EndpointShape.single(provider, baseUrl));
    }

    /**
     * One deployment of several.
     *
     * @param limit the concurrency of all calls; non-urgent ones get {@code 1 - shape.urgentReserve()} of it
     */
    public Endpoint(String provider, String baseUrl, ChatClient client, BreakerSettings breakerSettings, AdaptiveLimit limit,
                    Duration maxPause, Duration faultPause, Clock clock, EndpointShape shape) {
        this.shape = shape;
        this.maxConcurrency = limit.max();
        this.urgentLimit = new AdaptiveLimit(limit.max(), limit.min(), 1_000);
        if (shape.urgentReserve() > 0) {
            int nonUrgent = Math.max(limit.min(), (int) Math.floor(limit.max() * (1 - shape.urgentReserve())));
            limit = new AdaptiveLimit(nonUrgent, Math.min(limit.min(), nonUrgent), 1_000);
        }
        this.faults = new Faults(provider + "@" + baseUrl, faultPause.toMillis());
        this.provider = provider;
        this.baseUrl = baseUrl;
        this.client = client;
        this.limit = limit;
        this.clock = clock;
        this.maxPauseMillis = maxPause.toMillis();
        this.breaker = CircuitBreaker.of(provider + "@" + baseUrl, CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(breakerSettings.consecutiveFailures())
                .minimumNumberOfCalls(breakerSettings.consecutiveFailures())
                .failureRateThreshold(100)
                .waitDurationInOpenState(breakerSettings.openFor())
                .permittedNumberOfCallsInHalfOpenState(breakerSettings.halfOpenCalls())
                .recordExceptions(ProviderFailure.class)
                .clock(clock)
                .build());
    }

    /**
     * Circuit breaker settings: open after {@code consecutiveFailures} provider failures in a row
     * (5xx, timeouts, network), stay open for {@code openFor}, then let {@code halfOpenCalls} probe.
     */
    public record BreakerSettings(int consecutiveFailures, Duration openFor, int halfOpenCalls) {
        public BreakerSettings {
            if (consecutiveFailures < 1) throw new IllegalArgumentException("breaker failure threshold must be >= 1, was " + consecutiveFailures);
            if (openFor.isNegative() || openFor.isZero()) throw new IllegalArgumentException("breaker open time must be > 0, was " + openFor);
            if (halfOpenCalls < 1) throw new IllegalArgumentException("breaker half-open calls must be >= 1, was " + halfOpenCalls);
        }
    }

    @Override
    public String provider() {
        return provider;
    }

    @Override
    public String baseUrl() {
        return baseUrl;
    }

    @Override
    public String name() {
        return shape.name();
    }

    @Override
    public double share() {
        return shape.capacity().share(shape.name());
    }

    public boolean serves(String model) {
        return shape.models().isEmpty() || shape.models().contains(model);
    }

    /** Calls of either kind in flight. */
    public int inFlight() {
        return limit.inFlight() + urgentLimit.inFlight();
    }

    /** Takes a slot for one non-urgent call of {@code model}; unless ACQUIRED, nothing is held. */
    public Slot tryAcquire(String model) {
        return tryAcquire(model, false, 0);
    }

    /**
     * Takes a slot for one call of {@code model} ({@code urgent}: of the urgent tier; {@code tokens}:
     * its estimate, charged to the deployment's tokens per minute); unless ACQUIRED, nothing is held.
     */
    public Slot tryAcquire(String model, boolean urgent, long tokens) {
        return tryAcquire(model, urgent, () -> tokens);
    }

    /** As {@link #tryAcquire(String, boolean, long)}, the estimate counted only if the deployment's tokens per minute need it. */
    public Slot tryAcquire(String model, boolean urgent, java.util.function.LongSupplier tokens) {
        if (!serves(model)) return Slot.NOT_SERVED;
        long now = clock.millis();
        shape.capacity().wanted(shape.name());
        if (now < pausedUntil || !urgent && now < nonUrgentPausedUntil) return Slot.PAUSED;
        Slot fault = faults.admit(model, now);
        if (fault != null) return fault;
        AdaptiveLimit kind = urgent ? urgentLimit : limit;
        if (!acquireConcurrency(kind)) {
            faults.cancel(model);
            return Slot.SATURATED;
        }
        if (!breaker.tryAcquirePermission()) {
            kind.cancel();
            faults.cancel(model);
            return Slot.OPEN;
        }
        if (!shape.limits().tryTake(urgent, tokens, now)) {
            kind.cancel();
            breaker.releasePermission();
            faults.cancel(model);
            return Slot.RATE_LIMITED;
        }
        return Slot.ACQUIRED;
    }

    /** Makes the call after {@link #tryAcquire()} returned ACQUIRED; {@link #release} must follow its outcome. */
    public CompletionStage<CallOutcome> call(ChatCall call) {
        return client.call(call);
    }

    /** As {@link #call(ChatCall)}, the answer streamed to {@code stream} when not null. */
    public CompletionStage<CallOutcome> call(ChatCall call, StreamListener stream) {
        return stream == null ? client.call(call) : client.call(call, stream);
    }

    /** A slot of {@code kind}, the calls of both kinds together staying within the deployment's concurrency. */
    private synchronized boolean acquireConcurrency(AdaptiveLimit kind) {
        return inFlight() < maxConcurrency && kind.tryAcquire();
    }

    /** Gives back a slot that was acquired but not used. */
    public void cancel(String model) {
        cancel(model, false);
    }

    public void cancel(String model, boolean urgent) {
        (urgent ? urgentLimit : limit).cancel();
        breaker.releasePermission();
        faults.cancel(model);
    }

    /** Accounts the outcome of a non-urgent call of {@code model} made after ACQUIRED. */
    public void release(String model, CallOutcome outcome) {
        release(model, false, outcome);
    }

    /** Accounts the outcome of a call of {@code model} made after ACQUIRED; a hold-off asked of a non-urgent call pauses only those. */
    public void release(String model, boolean urgent, CallOutcome outcome) {
        long now = clock.millis();
        if (outcome instanceof CallOutcome.Success) answers.incrementAndGet();
        faults.outcome(model, outcome, now);
        boolean throttled = outcome instanceof CallOutcome.Failure f && f.category() == ErrorCategory.RATE_LIMIT;
        (urgent ? urgentLimit : limit).release(throttled, now);
        if (outcome instanceof CallOutcome.Failure f && countsAgainstProvider(f.category())) {
            breaker.onError(outcome.latencyMs(), TimeUnit.MILLISECONDS, new ProviderFailure(f.message()));
        } else {
            breaker.onSuccess(outcome.latencyMs(), TimeUnit.MILLISECONDS);
        }
        Duration holdOff = outcome.holdOff();
        if (holdOff != null && !holdOff.isZero()) {
            long until = now + Math.min(holdOff.toMillis(), maxPauseMillis);
            synchronized (this) {
                if (urgent && until > pausedUntil) pausedUntil = until;
                if (until > nonUrgentPausedUntil) nonUrgentPausedUntil = until;
            }
        }
    }

    /** 5xx, timeouts and failed connections say the endpoint is unwell; 4xx and 429 say it is up. */
    static boolean countsAgainstProvider(ErrorCategory c) {
        return c == ErrorCategory.PROVIDER_ERROR || c == ErrorCategory.TIMEOUT || c == ErrorCategory.NETWORK;
    }

    public CircuitBreaker.State breakerState() {
        return breaker.getState();
    }

    @Override
    public int breakerGauge() {
        return switch (breaker.getState()) {
            case CLOSED -> 0;
            case OPEN, FORCED_OPEN -> 1;
            case HALF_OPEN -> 2;
            default -> 3;
        };
    }

    /** The last refusal of a call of {@code model} was that request's own (the endpoint answers others): the pause it set is lifted. */
    public void forgive(String model) {
        faults.forgive(model);
    }

    /** Calls this endpoint answered so far. */
    public long answers() {
        return answers.get();
    }

    /** Whether the endpoint said it is misconfigured and no call since has succeeded. */
    public boolean faulted() {
        return faults.endpointFaulted();
    }

    @Override
    public int misconfigured() {
        return faults.endpointFaulted() ? 1 : 0;
    }

    @Override
    public int concurrencyLimit() {
        return limit.limit();
    }

    public long pausedUntil() {
        return Math.max(pausedUntil, nonUrgentPausedUntil);
    }

    @Override
    public void close() {
        client.close();
    }

    /** What the breaker records as a failure. */
    static final class ProviderFailure extends RuntimeException {
        ProviderFailure(String message) {
            super(message, null, false, false);
        }
    }
}
