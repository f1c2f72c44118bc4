package io.promptline.processor.ratelimit;

/**
 * A tenant's limits on one tier. Zero means unlimited.
 *
 * @param requestsPerMinute calls the tenant may start per minute
 * @param tokensPerMinute   tokens (prompt + completion) the tenant may use per minute
 */
public record Limits(long requestsPerMinute, long tokensPerMinute) {
    public static final Limits UNLIMITED = new Limits(0, 0);

    public Limits {
        if (requestsPerMinute < 0) throw new IllegalArgumentException("requests_per_minute must be >= 0, was " + requestsPerMinute);
        if (tokensPerMinute < 0) throw new IllegalArgumentException("tokens_per_minute must be >= 0, was " + tokensPerMinute);
    }
}
