package io.promptline.processor.ratelimit;

/**
 * One limit of one tenant (requests, or tokens), as the generic cell rate algorithm (GCRA) on
 * actual starts, plus a count of what was reserved and started to estimate waits.
 *
 * <p>A start of {@code u} units is allowed when {@code tat - burst * interval <= now}; it moves the
 * theoretical arrival time {@code tat} to {@code max(tat, now) + u * interval}. So starts never
 * exceed the burst above the rate, and a saturated tenant starts exactly its rate, whatever order
 * or lateness its requests arrive with. Positions handed out at admission ({@link #reserve}) say
 * how much is queued ahead of a request ({@link #estimatedStart}).
 *
 * <p>Times are epoch milliseconds; units are doubles. Mutable, not thread-safe: one task owns a
 * tenant's lines.
 */
final class RateLine {
    /** Theoretical arrival time of the next unit. */
    double tatMillis;
    /** Milliseconds per unit; 0 means unlimited. */
    double millisPerUnit;
    /** Units that may start ahead of the rate. */
    double burstUnits;
    /** Units handed out positions so far. */
    double reserved;
    /** Units started (or given up) so far. */
    double released;

    RateLine(double tatMillis, double millisPerUnit, double burstUnits, double reserved, double released) {
        this.tatMillis = tatMillis;
        this.millisPerUnit = millisPerUnit;
        this.burstUnits = burstUnits;
        this.reserved = reserved;
        this.released = released;
    }

    static RateLine fresh(double millisPerUnit, double burstUnits, double nowMillis) {
        return new RateLine(nowMillis, millisPerUnit, burstUnits, 0, 0);
    }

    boolean unlimited() {
        return millisPerUnit <= 0;
    }

    /** The position of {@code units} more, in admission order. */
    double reserve(double units) {
        double at = reserved;
        reserved += units;
        return at;
    }

    /** When the next start is allowed (epoch ms); at most "now" when it may go at once. */
    double nextStart(double nowMillis) {
        return unlimited() ? nowMillis : Math.max(nowMillis, tatMillis - burstUnits * millisPerUnit);
    }

    /** When the request at {@code position} will likely start: after everything reserved before it. */
    double estimatedStart(double position, double nowMillis) {
        if (unlimited()) return nowMillis;
        double ahead = Math.max(0, position - released);
        return nextStart(nowMillis) + ahead * millisPerUnit;
    }

    boolean mayStart(double nowMillis) {
        return unlimited() || tatMillis - burstUnits * millisPerUnit <= nowMillis;
    }

    /** Records a start of {@code units}. */
    void start(double units, double nowMillis) {
        released += units;
        if (!unlimited()) tatMillis = Math.max(tatMillis, nowMillis) + units * millisPerUnit;
    }

    /** Units reserved that will never start (the request ended without a call). */
    void giveUp(double units) {
        released += units;
    }

    /** Corrects a start's units after the fact (tokens used differ from the estimate); never banks the past. */
    void correct(double deltaUnits, double nowMillis) {
        if (unlimited()) return;
        tatMillis = Math.max(tatMillis + deltaUnits * millisPerUnit, nowMillis - burstUnits * millisPerUnit);
    }

    /**
     * Applies a new limit; false if it is the same. The tenant keeps the burst credit it has (none
     * when saturated, capped at the new burst): a raise speeds up the next starts without letting a
     * backlog through at once, and debt beyond the burst (from large requests) is kept.
     */
    boolean retune(double newMillisPerUnit, double newBurstUnits, double nowMillis) {
        if (newMillisPerUnit == millisPerUnit && newBurstUnits == burstUnits) return false;
        double owedUnits = unlimited() ? 0 : Math.max(0, tatMillis - nowMillis) / millisPerUnit;
        double credit = burstUnits - owedUnits;
        tatMillis = nowMillis + (newBurstUnits - Math.min(credit, newBurstUnits)) * newMillisPerUnit;
        millisPerUnit = newMillisPerUnit;
        burstUnits = newBurstUnits;
        return true;
    }
}
