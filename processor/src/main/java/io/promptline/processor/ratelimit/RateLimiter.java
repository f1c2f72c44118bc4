package io.promptline.processor.ratelimit;

import java.time.Clock;
import java.util.function.Function;

/**
 * Per-tenant request and token limits of one task (one partition of one tier). A request reserves
 * its places when admitted ({@link #reserve}); {@link #allowedAt} says when it may start under
 * the limits in force now (so a quota change re-times every waiting request); after the call the
 * token estimate is corrected with real usage ({@link #correct}).
 *
 * <p>Bursts: a tenant may start {@code burstFraction} of its per-minute limit at once (at least
 * one request), never more; sustained, it starts exactly its limit per minute.
 */
public final class RateLimiter {
    private static final double MINUTE_MS = 60_000.0;

    private final BucketStore store;
    private final Function<String, Limits> limits;
    private final Clock clock;
    private final double burstFraction;

    /**
     * @param store         the task's buckets (tenant → state)
     * @param limits        the limits of a tenant on this tier now (quota overrides, else defaults)
     * @param burstFraction share of the per-minute limit that may go at once, in (0, 1]
     */
    public RateLimiter(BucketStore store, Function<String, Limits> limits, Clock clock, double burstFraction) {
        if (!(burstFraction > 0 && burstFraction <= 1)) throw new IllegalArgumentException("burst fraction must be in (0,1], was " + burstFraction);
        this.store = store;
        this.limits = limits;
        this.clock = clock;
        this.burstFraction = burstFraction;
    }

    /** Takes the tenant's next places for one request of {@code estimatedTokens}. */
    public Reservation reserve(String tenant, long estimatedTokens) {
        double now = clock.millis();
        TenantBucket b = load(tenant, now).bucket;
        Reservation r = new Reservation(b.requests.reserve(1, now), b.tokens.reserve(estimatedTokens, now), estimatedTokens);
        store.put(tenant, b.encode());
        return r;
    }

    /** When the request may start (epoch ms), under the tenant's limits now; "now" if it may start at once. */
    public long allowedAt(String tenant, Reservation r) {
        long now = clock.millis();
        Loaded l = load(tenant, now);
        if (l.retuned) store.put(tenant, l.bucket.encode());
        double at = Math.max(l.bucket.requests.allowedAt(r.requestPosition()), l.bucket.tokens.allowedAt(r.tokenPosition()));
        return at <= now ? now : (long) Math.ceil(at);
    }

    /** After the call: the tenant used {@code actualTokens} where {@code estimatedTokens} were reserved. */
    public void correct(String tenant, long estimatedTokens, long actualTokens) {
        if (actualTokens == estimatedTokens) return;
        double now = clock.millis();
        TenantBucket b = load(tenant, now).bucket;
        b.tokens.correct(actualTokens - estimatedTokens, now);
        store.put(tenant, b.encode());
    }

    private record Loaded(TenantBucket bucket, boolean retuned) {
    }

    private Loaded load(String tenant, double now) {
        Limits limit = limits.apply(tenant);
        double requestInterval = interval(limit.requestsPerMinute());
        double tokenInterval = interval(limit.tokensPerMinute());
        // The burst is counted beyond the first unit: floor(limit * fraction) requests may start at once.
        double requestBurst = Math.max(0, Math.floor(limit.requestsPerMinute() * burstFraction) - 1);
        // A request may start once its first token's turn comes, less the burst: one larger than the
        // burst still goes (alone), and the tokens it takes push back the requests after it.
        double tokenBurst = Math.floor(limit.tokensPerMinute() * burstFraction);
        byte[] stored = store.get(tenant);
        if (stored == null) {
            return new Loaded(new TenantBucket(ScheduleLine.fresh(requestInterval, requestBurst, now),
                    ScheduleLine.fresh(tokenInterval, tokenBurst, now)), false);
        }
        TenantBucket b = TenantBucket.decode(stored);
        boolean retuned = b.requests.retune(requestInterval, requestBurst, now) | b.tokens.retune(tokenInterval, tokenBurst, now);
        return new Loaded(b, retuned);
    }

    private static double interval(long perMinute) {
        return perMinute <= 0 ? 0 : MINUTE_MS / perMinute;
    }
}
