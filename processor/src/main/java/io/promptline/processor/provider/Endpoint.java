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
 * pause instead of the backlog. A 404 for a model pauses that model only. Thread-safe.
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
        OPEN
    }

    private final String provider;
    private final String baseUrl;
    private final ChatClient client;
    private final CircuitBreaker breaker;
    private final AdaptiveLimit limit;
    private final Clock clock;
    private final long maxPauseMillis;
    private volatile long pausedUntil;
    private final Faults faults;
    private final AtomicLong answers = new AtomicLong();

    public Endpoint(String provider, String baseUrl, ChatClient client, BreakerSettings breakerSettings, AdaptiveLimit limit,
                    Duration maxPause, Clock clock) {
        this(provider, baseUrl, client, breakerSettings, limit, maxPause, Duration.ofSeconds(30), clock);
    }

    /** @param faultPause how long a misconfigured endpoint (or model) gets no call before the next probe */
    public Endpoint(String provider, String baseUrl, ChatClient client, BreakerSettings breakerSettings, AdaptiveLimit limit,
                    Duration maxPause, Duration faultPause, Clock clock) {
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

    /** Takes a slot for one call of {@code model}; unless ACQUIRED, nothing is held. */
    public Slot tryAcquire(String model) {
        long now = clock.millis();
        if (now < pausedUntil) return Slot.PAUSED;
        Slot fault = faults.admit(model, now);
        if (fault != null) return fault;
        if (!limit.tryAcquire()) {
            faults.cancel(model);
            return Slot.SATURATED;
        }
        if (!breaker.tryAcquirePermission()) {
            limit.cancel();
            faults.cancel(model);
            return Slot.OPEN;
        }
        return Slot.ACQUIRED;
    }

    /** Makes the call after {@link #tryAcquire()} returned ACQUIRED; {@link #release} must follow its outcome. */
    public CompletionStage<CallOutcome> call(ChatCall call) {
        return client.call(call);
    }

    /** Gives back a slot that was acquired but not used. */
    public void cancel(String model) {
        limit.cancel();
        breaker.releasePermission();
        faults.cancel(model);
    }

    /** Accounts the outcome of a call of {@code model} made after ACQUIRED. */
    public void release(String model, CallOutcome outcome) {
        long now = clock.millis();
        if (outcome instanceof CallOutcome.Success) answers.incrementAndGet();
        faults.outcome(model, outcome, now);
        boolean throttled = outcome instanceof CallOutcome.Failure f && f.category() == ErrorCategory.RATE_LIMIT;
        limit.release(throttled, now);
        if (outcome instanceof CallOutcome.Failure f && countsAgainstProvider(f.category())) {
            breaker.onError(outcome.latencyMs(), TimeUnit.MILLISECONDS, new ProviderFailure(f.message()));
        } else {
            breaker.onSuccess(outcome.latencyMs(), TimeUnit.MILLISECONDS);
        }
        Duration holdOff = outcome.holdOff();
        if (holdOff != null && !holdOff.isZero()) {
            long until = now + Math.min(holdOff.toMillis(), maxPauseMillis);
            synchronized (this) {
                if (until > pausedUntil) pausedUntil = until;
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
        return pausedUntil;
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
