package io.promptline.ops.simulator;

import io.vertx.core.http.HttpServerResponse;

/**
 * Plausible x-ratelimit-* headers: requests and tokens counted in the current wall-clock second
 * against the configured limits (the simulator never enforces them; 429s come from faults only).
 */
final class RateLimitWindow {

    private final long limitRequests;
    private final long limitTokens;
    private long second;
    private long requests;
    private long tokens;

    RateLimitWindow(long limitRequests, long limitTokens) {
        this.limitRequests = limitRequests;
        this.limitTokens = limitTokens;
    }

    /** Counts one request of {@code requestTokens} and sets the six headers (remaining 0 when limited). */
    void apply(HttpServerResponse response, long requestTokens, boolean limited) {
        long usedRequests;
        long usedTokens;
        synchronized (this) {
            long now = System.currentTimeMillis() / 1000;
            if (now != second) {
                second = now;
                requests = 0;
                tokens = 0;
            }
            requests++;
            tokens += requestTokens;
            usedRequests = requests;
            usedTokens = tokens;
        }
        long remainingRequests = limited ? 0 : Math.max(0, limitRequests - usedRequests);
        long remainingTokens = limited ? 0 : Math.max(0, limitTokens - usedTokens);
        response.putHeader("x-ratelimit-limit-requests", Long.toString(limitRequests))
                .putHeader("x-ratelimit-remaining-requests", Long.toString(remainingRequests))
                .putHeader("x-ratelimit-reset-requests", "1s")
                .putHeader("x-ratelimit-limit-tokens", Long.toString(limitTokens))
                .putHeader("x-ratelimit-remaining-tokens", Long.toString(remainingTokens))
                .putHeader("x-ratelimit-reset-tokens", "1s");
    }
}
