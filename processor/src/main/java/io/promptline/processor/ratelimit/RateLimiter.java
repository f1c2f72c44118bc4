package io.promptline.processor.ratelimit;

import java.time.Clock;
import java.util.function.Function;

/**
 * Per-tenant request and token limits of one task (one partition of one tier).
 *
 * <ul>
 *   <li>{@link #reserve}: at admission, a request takes its place in its tenant's line;</li>
 *   <li>{@link #estimatedStart}: when it will likely start, behind what was reserved before it
 *       (decides whether it waits in the task or in the delay ladder);</li>
 *   <li>{@link #nextStart} / {@link #tryStart}: the limit itself, a GCRA on actual starts: never
 *       more than the burst above the rate, exactly the rate when saturated;</li>
 *   <li>{@link #giveUp}: a reserved request ended without a call; {@link #correct}: after the
 *       call, the token estimate is replaced by the real usage.</li>
 * </ul>
 * The limits are looked up on every use (the quota view caches a tenant's quota for a second), so a
 * quota change applies within a second, without a restart.
 *
 * <p>Bursts: a tenant may start {@code burstFraction} of its per-minute limit at once (at least
 * one request).
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

    /** Takes the tenant's next place for one request of {@code estimatedTokens}. */
    public Reservation reserve(String tenant, long estimatedTokens) {
        if (unlimited(tenant)) return new Reservation(0, 0, estimatedTokens);
        TenantBucket b = load(tenant, clock.millis());
        Reservation r = new Reservation(b.requests.reserve(1), b.tokens.reserve(estimatedTokens), estimatedTokens);
        store.put(tenant, b.encode());
        return r;
    }

    /** When the request will likely start (epoch ms), under the limits now; "now" if it may start at once. */
    public long estimatedStart(String tenant, Reservation r) {
        long now = clock.millis();
        if (unlimited(tenant)) return now;
        TenantBucket b = load(tenant, now);
        return (long) Math.ceil(Math.max(b.requests.estimatedStart(r.requestPosition(), now),
                b.tokens.estimatedStart(r.tokenPosition(), now)));
    }

    /** When the tenant may next start a call (epoch ms); "now" if it may at once. */
    public long nextStart(String tenant) {
        long now = clock.millis();
        if (unlimited(tenant)) return now;
        TenantBucket b = load(tenant, now);
        return (long) Math.ceil(Math.max(b.requests.nextStart(now), b.tokens.nextStart(now)));
    }

    /** Starts the request if the tenant's limits allow it now (and counts it); false means wait until {@link #nextStart}. */
    public boolean tryStart(String tenant, Reservation r) {
        if (unlimited(tenant)) return true;
        long now = clock.millis();
        TenantBucket b = load(tenant, now);
        if (!b.requests.mayStart(now) || !b.tokens.mayStart(now)) return false;
        b.requests.start(1, now);
        b.tokens.start(r.tokens(), now);
        store.put(tenant, b.encode());
        return true;
    }

    /** The reserved request ends without a call (deadline, budget, bad data): it no longer counts as queued. */
    public void giveUp(String tenant, Reservation r) {
        if (unlimited(tenant)) return;
        TenantBucket b = load(tenant, clock.millis());
        b.requests.giveUp(1);
        b.tokens.giveUp(r.tokens());
        store.put(tenant, b.encode());
    }

    /** After the call: the tenant used {@code actualTokens} where {@code estimatedTokens} were counted. */
    public void correct(String tenant, long estimatedTokens, long actualTokens) {
        if (actualTokens == estimatedTokens || unlimited(tenant)) return;
        long now = clock.millis();
        TenantBucket b = load(tenant, now);
        b.tokens.correct(actualTokens - estimatedTokens, now);
        store.put(tenant, b.encode());
    }

    /**
     * A tenant with neither limit keeps no state (its bucket, if any from before, is left as it
     * is and retuned when a limit comes back).
     */
    private boolean unlimited(String tenant) {
        Limits l = limits.apply(tenant);
        return l.requestsPerMinute() <= 0 && l.tokensPerMinute() <= 0;
    }

    private TenantBucket load(String tenant, double now) {
        Limits limit = limits.apply(tenant);
        double requestInterval = interval(limit.requestsPerMinute());
        double tokenInterval = interval(limit.tokensPerMinute());
        // floor(limit * fraction) requests may start at once: the first, and a burst of the rest.
        double requestBurst = Math.max(0, Math.floor(limit.requestsPerMinute() * burstFraction) - 1);
        // A request may start while the tokens started before it are within the burst: one larger than
        // the burst still goes (alone), and the tokens it takes push back the requests after it.
        double tokenBurst = Math.floor(limit.tokensPerMinute() * burstFraction);
        byte[] stored = store.get(tenant);
        TenantBucket b = stored == null ? null : TenantBucket.decode(stored);
        if (b == null) {
            return new TenantBucket(RateLine.fresh(requestInterval, requestBurst, now), RateLine.fresh(tokenInterval, tokenBurst, now));
        }
        if (b.requests.retune(requestInterval, requestBurst, now) | b.tokens.retune(tokenInterval, tokenBurst, now)) {
            store.put(tenant, b.encode());
        }
        return b;
    }

    private static double interval(long perMinute) {
        return perMinute <= 0 ? 0 : MINUTE_MS / perMinute;
    }
}
