package io.promptline.processor.provider;

import java.util.function.DoubleSupplier;

/**
 * The requests and tokens per minute this instance may send to one deployment: its share of the
 * provider's limits, enforced as GCRA (a theoretical arrival time per limit, no burst beyond one
 * request, so no minute sees more than the limit), with {@code urgentReserve} of each limit that
 * only urgent calls may use — batch and normal traffic run against {@code 1 - urgentReserve} of it,
 * urgent against all of it. A limit of 0 is no limit. Tokens are charged at the start on the
 * request's estimate. Thread-safe.
 */
public final class DeploymentLimits {
    private static final double TICK_MS = 5.0;
    private final long rpm;
    private final long tpm;
    private final double urgentReserve;
    private final DoubleSupplier share;
    /** Theoretical arrival times (epoch ms, fractional): all calls, and the calls that are not urgent. */
    private double requestsTat;
    private double requestsTatNonUrgent;
    private double tokensTat;
    private double tokensTatNonUrgent;

    public DeploymentLimits(long rpm, long tpm, double urgentReserve, DoubleSupplier share) {
        if (urgentReserve < 0 || urgentReserve >= 1) throw new IllegalArgumentException("urgent reserve must be in [0, 1), was " + urgentReserve);
        this.rpm = rpm;
        this.tpm = tpm;
        this.urgentReserve = urgentReserve;
        this.share = share;
    }

    public static DeploymentLimits unlimited() {
        return new DeploymentLimits(0, 0, 0, () -> 1.0);
    }

    public boolean limited() {
        return rpm > 0 || tpm > 0;
    }

    /** Takes one request of {@code tokens} (estimated) now, or nothing and false when a limit would be passed. */
    public synchronized boolean tryTake(boolean urgent, long tokens, long nowMillis) {
        return tryTake(urgent, () -> tokens, nowMillis);
    }

    /** As {@link #tryTake(boolean, long, long)}, the call's tokens counted only when a tokens-per-minute limit needs them. */
    public synchronized boolean tryTake(boolean urgent, java.util.function.LongSupplier estimate, long nowMillis) {
        if (!limited()) return true;
        long tokens = tpm > 0 ? estimate.getAsLong() : 0;
        double s = Math.max(1e-6, Math.min(1.0, share.getAsDouble()));
        double requestInterval = rpm > 0 ? 60_000.0 / (rpm * s) : 0;
        double tokenInterval = tpm > 0 ? 60_000.0 / (tpm * s) : 0;
        double nonUrgent = 1 - urgentReserve;
        long t = Math.max(0, tokens);
        // Two requests' worth of tolerance (or the calls of 5 ms at high rates: the clock counts milliseconds): a call that
        // missed its slot by a little may still take it, so a busy instance keeps its whole share, and no minute sees more than
        // one call above the share; a second's worth of tokens (large prompts would never fit otherwise)
        double requestTolerance = Math.max(2 * requestInterval, TICK_MS);
        double tokenTolerance = Math.max(t * tokenInterval, 1_000.0);
        if (!fits(requestsTat, requestInterval, nowMillis, requestTolerance) || !fits(tokensTat, t * tokenInterval, nowMillis, tokenTolerance)) {
            return false;
        }
        if (!urgent && (!fits(requestsTatNonUrgent, requestInterval / nonUrgent, nowMillis, Math.max(2 * requestInterval / nonUrgent, TICK_MS))
                || !fits(tokensTatNonUrgent, t * tokenInterval / nonUrgent, nowMillis, tokenTolerance / nonUrgent))) {
            return false;
        }
        requestsTat = Math.max(requestsTat, nowMillis) + requestInterval;
        tokensTat = Math.max(tokensTat, nowMillis) + t * tokenInterval;
        if (!urgent) {
            requestsTatNonUrgent = Math.max(requestsTatNonUrgent, nowMillis) + requestInterval / nonUrgent;
            tokensTatNonUrgent = Math.max(tokensTatNonUrgent, nowMillis) + t * tokenInterval / nonUrgent;
        }
        return true;
    }

    /** GCRA: the cost fits when the theoretical arrival time after it is within {@code tolerance} of now. */
    private static boolean fits(double tat, double cost, long now, double tolerance) {
        if (cost == 0) return true;
        return Math.max(tat, now) + cost - now <= tolerance + 1e-9;
    }

    /** How long until a call of {@code urgent} kind could fit (ms, 0 = now), for a caller deciding when to look again. */
    public synchronized long waitMillis(boolean urgent, long nowMillis) {
        if (!limited()) return 0;
        double tat = urgent ? requestsTat : Math.max(requestsTat, requestsTatNonUrgent);
        return (long) Math.max(0, Math.ceil(tat - nowMillis - (rpm > 0 ? 60_000.0 / (rpm * Math.max(1e-6, share.getAsDouble())) : 0)));
    }
}
