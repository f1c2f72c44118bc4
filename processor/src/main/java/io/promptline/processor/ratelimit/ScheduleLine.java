package io.promptline.processor.ratelimit;

/**
 * The generic cell rate algorithm (GCRA) as a schedule: every unit admitted (a request, or a
 * token) gets a position on a line that advances at the limit's rate, and the unit at position
 * {@code p} may go at {@code slot(p) - burst}. Holding positions instead of a single theoretical
 * arrival time lets a request wait anywhere (in the task, or in a delay topic) and still be
 * re-timed when the limit changes: a retune keeps the line continuous at "now" and changes its
 * slope from there.
 *
 * <p>Units are doubles: positions of requests are whole, token positions can be large; times are
 * epoch milliseconds. Mutable, not thread-safe: one task owns a tenant's lines.
 */
final class ScheduleLine {
    /** Position at {@link #anchorMillis}. */
    double anchorUnits;
    double anchorMillis;
    /** Next free position: everything below is reserved. */
    double nextUnits;
    /** Milliseconds per unit; 0 means unlimited. */
    double millisPerUnit;
    /** Units that may go ahead of the line at once. */
    double burstUnits;

    ScheduleLine(double anchorUnits, double anchorMillis, double nextUnits, double millisPerUnit, double burstUnits) {
        this.anchorUnits = anchorUnits;
        this.anchorMillis = anchorMillis;
        this.nextUnits = nextUnits;
        this.millisPerUnit = millisPerUnit;
        this.burstUnits = burstUnits;
    }

    static ScheduleLine fresh(double millisPerUnit, double burstUnits, double nowMillis) {
        return new ScheduleLine(0, nowMillis, 0, millisPerUnit, burstUnits);
    }

    boolean unlimited() {
        return millisPerUnit <= 0;
    }

    /** The position the line has reached at {@code now}. */
    double positionAt(double nowMillis) {
        return unlimited() ? nextUnits : anchorUnits + (nowMillis - anchorMillis) / millisPerUnit;
    }

    /**
     * Reserves {@code units} and returns the position of their first unit. An idle line (its
     * reservations all in the past) restarts at now, so idle time is not banked beyond the burst.
     */
    double reserve(double units, double nowMillis) {
        if (!unlimited() && nextUnits < positionAt(nowMillis)) {
            anchorUnits = nextUnits;
            anchorMillis = nowMillis;
        }
        double at = nextUnits;
        nextUnits += units;
        return at;
    }

    /** When the unit at {@code position} may go (epoch ms); {@link Double#NEGATIVE_INFINITY} when unlimited. */
    double allowedAt(double position) {
        if (unlimited()) return Double.NEGATIVE_INFINITY;
        return anchorMillis + (position - anchorUnits - burstUnits) * millisPerUnit;
    }

    /** Applies a new limit from now on, keeping every reserved position in its order; false if it is the same. */
    boolean retune(double newMillisPerUnit, double newBurstUnits, double nowMillis) {
        if (newMillisPerUnit == millisPerUnit && newBurstUnits == burstUnits) return false;
        double position = unlimited() ? nextUnits : Math.min(positionAt(nowMillis), nextUnits);
        anchorUnits = position;
        anchorMillis = nowMillis;
        millisPerUnit = newMillisPerUnit;
        burstUnits = newBurstUnits;
        return true;
    }

    /** Corrects an estimate after the fact (tokens used differ from those reserved); never banks the past. */
    void correct(double deltaUnits, double nowMillis) {
        nextUnits = Math.max(nextUnits + deltaUnits, unlimited() ? 0 : positionAt(nowMillis));
    }
}
