package io.promptline.processor.retry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * When a retryable failure is tried again, and through which rung of the delay ladder.
 *
 * <p>Backoff is exponential with jitter: attempt n waits {@code initial * multiplier^(n-1)},
 * stretched by a random factor in {@code [1, 1 + jitter]}, and never less than the provider's
 * Retry-After. The record goes to the largest rung not above that wait and is held until its
 * exact due time, so it never comes back sooner than asked; a record in a rung can be held up
 * behind an earlier one due later in the same rung, by at most the spread of the waits mapped to
 * that rung.
 *
 * @param rungs       the ladder, ascending (e.g. 10s, 1m, 10m); each has a topic {@code <base>.retry.<rung>}
 * @param maxAttempts calls a request may have in all; past them it goes to the DLQ
 */
public record RetryPolicy(List<Duration> rungs, int maxAttempts, Duration initialBackoff, double multiplier, double jitter) {

    public RetryPolicy {
        if (rungs.isEmpty()) throw new IllegalArgumentException("the retry ladder needs at least one delay");
        List<Duration> sorted = new ArrayList<>(rungs);
        sorted.sort(null);
        if (!sorted.equals(rungs) || sorted.stream().distinct().count() != sorted.size()) {
            throw new IllegalArgumentException("retry delays must be distinct and ascending, were " + rungs);
        }
        if (sorted.get(0).isNegative() || sorted.get(0).isZero()) throw new IllegalArgumentException("retry delays must be positive, were " + rungs);
        if (maxAttempts < 1) throw new IllegalArgumentException("max attempts must be >= 1, was " + maxAttempts);
        if (initialBackoff.isNegative()) throw new IllegalArgumentException("initial backoff must be >= 0, was " + initialBackoff);
        if (multiplier < 1) throw new IllegalArgumentException("backoff multiplier must be >= 1, was " + multiplier);
        if (jitter < 0 || jitter > 1) throw new IllegalArgumentException("backoff jitter must be in [0,1], was " + jitter);
        rungs = List.copyOf(rungs);
    }

    /** Whether a request that has had {@code attempts} calls may have another. */
    public boolean mayRetry(int attempts) {
        return attempts < maxAttempts;
    }

    /**
     * How long to wait after the {@code attempts}-th call failed.
     *
     * @param providerAsked the provider's Retry-After, or null
     * @param random        a uniform draw in [0, 1) for the jitter
     */
    public Duration backoff(int attempts, Duration providerAsked, DoubleSupplier random) {
        double base = initialBackoff.toMillis() * Math.pow(multiplier, Math.max(0, attempts - 1));
        long wait = Math.round(base * (1 + jitter * random.getAsDouble()));
        Duration d = Duration.ofMillis(Math.min(wait, Duration.ofDays(1).toMillis()));
        return providerAsked != null && providerAsked.compareTo(d) > 0 ? providerAsked : d;
    }

    /** The rung that carries a wait: the largest not above it (the smallest when the wait is shorter than all). */
    public Duration rungFor(Duration wait) {
        Duration chosen = rungs.get(0);
        for (Duration r : rungs) {
            if (r.compareTo(wait) <= 0) chosen = r;
        }
        return chosen;
    }
}
