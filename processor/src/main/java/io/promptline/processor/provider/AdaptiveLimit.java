package io.promptline.processor.provider;

/**
 * Concurrency toward one endpoint that adapts to the provider's throttling (AIMD): a 429 halves
 * the limit (at most once per {@code decreaseIntervalMillis}, so one burst of 429s from calls
 * already in flight counts once); every success raises it by one, up to the maximum. Thread-safe.
 */
public final class AdaptiveLimit {
    private final int max;
    private final int min;
    private final long decreaseIntervalMillis;
    private int limit;
    private int inFlight;
    private boolean decreased;
    private long lastDecrease;

    public AdaptiveLimit(int max, int min, long decreaseIntervalMillis) {
        if (min < 1 || max < min) throw new IllegalArgumentException("adaptive limit needs 1 <= min <= max, was min " + min + ", max " + max);
        this.max = max;
        this.min = min;
        this.decreaseIntervalMillis = decreaseIntervalMillis;
        this.limit = max;
    }

    public synchronized boolean tryAcquire() {
        if (inFlight >= limit) return false;
        inFlight++;
        return true;
    }

    /** The call ended: {@code throttled} when the provider answered 429. */
    public synchronized void release(boolean throttled, long nowMillis) {
        inFlight--;
        if (throttled) {
            if (!decreased || nowMillis - lastDecrease >= decreaseIntervalMillis) {
                limit = Math.max(min, limit / 2);
                lastDecrease = nowMillis;
                decreased = true;
            }
        } else if (limit < max) {
            limit++;
        }
    }

    /** A call that was acquired but never started. */
    public synchronized void cancel() {
        inFlight--;
    }

    public int max() {
        return max;
    }

    public int min() {
        return min;
    }

    public synchronized int limit() {
        return limit;
    }

    public synchronized int inFlight() {
        return inFlight;
    }
}
