package io.promptline.processor.retry;

import io.promptline.avro.Priority;
import io.promptline.processor.output.FailureHeaders;
import io.promptline.processor.output.Origin;
import org.apache.kafka.common.header.Headers;

/**
 * The headers of a record in the delay ladder: the {@link FailureHeaders} that describe its calls
 * so far, plus what the relay and the tier's intake need to bring it back (UTF-8 text values):
 *
 * <table>
 *   <caption>Headers</caption>
 *   <tr><td>{@value #TIER}</td><td>the tier topic the relay sends it back to</td></tr>
 *   <tr><td>{@value #DUE_AT}</td><td>epoch ms before which the relay holds it</td></tr>
 *   <tr><td>{@value #RESERVATION}</td><td>a rate-limited request's places on its tenant's lines; it is not a failure</td></tr>
 *   <tr><td>{@value #UNCONFIRMED}</td><td>calls of the request whose answers were lost (billed by estimate)</td></tr>
 *   <tr><td>{@value #REFUSED}</td><td>calls the endpoint refused as misconfigured (made, but outside the retry budget)</td></tr>
 * </table>
 */
public final class RetryHeaders {
    public static final String TIER = "promptline.tier";
    public static final String DUE_AT = "promptline.due.at";
    public static final String RESERVATION = "promptline.reservation";
    /** Calls of the request whose answers were lost (each billed by estimate); absent when none. */
    public static final String UNCONFIRMED = "promptline.calls.unconfirmed";
    /** Calls of the request the endpoint refused as misconfigured (bad key, base URL, model); absent when none. */
    public static final String REFUSED = "promptline.calls.refused";

    private RetryHeaders() {
    }

    /**
     * What a request brought back from the delay ladder: its attempts so far, first call, origin,
     * and (when it was only waiting for its rate-limit turn) its encoded reservation. Null fields when absent.
     */
    public record State(int attempts, Long firstAttemptAt, Origin origin, String reservation, int unconfirmed, int refused) {
        public State(int attempts, Long firstAttemptAt, Origin origin, String reservation) {
            this(attempts, firstAttemptAt, origin, reservation, 0, 0);
        }
    }

    /** The state of a record read from a tier topic, or null when it is a new request (no attempts header). */
    public static State read(Headers headers) {
        String attempts = FailureHeaders.text(headers, FailureHeaders.ATTEMPTS);
        if (attempts == null) return null;
        String topic = FailureHeaders.text(headers, FailureHeaders.ORIGIN_TOPIC);
        Origin origin = topic == null ? null : new Origin(topic, Integer.parseInt(FailureHeaders.text(headers, FailureHeaders.ORIGIN_PARTITION)),
                Long.parseLong(FailureHeaders.text(headers, FailureHeaders.ORIGIN_OFFSET)));
        String first = FailureHeaders.text(headers, FailureHeaders.FIRST_ATTEMPT_AT);
        return new State(Integer.parseInt(attempts), first == null ? null : Long.valueOf(first), origin,
                FailureHeaders.text(headers, RESERVATION), count(headers, UNCONFIRMED), count(headers, REFUSED));
    }

    private static int count(Headers headers, String key) {
        String v = FailureHeaders.text(headers, key);
        return v == null ? 0 : Integer.parseInt(v);
    }

    /**
     * The headers of a record going to a rung of the ladder: {@code described} (its calls so far)
     * plus its tier, when it is due, and its reservation if it only waits for its turn (else null).
     */
    public static Headers forRetry(Headers described, Priority tier, long dueAt, String reservation) {
        return forRetry(described, tier, dueAt, reservation, 0, 0);
    }

    /**
     * As {@link #forRetry(Headers, Priority, long, String)}, carrying the calls whose answers were
     * lost and those the endpoint refused as misconfigured.
     */
    public static Headers forRetry(Headers described, Priority tier, long dueAt, String reservation, int unconfirmed, int refused) {
        FailureHeaders.put(described, TIER, tier.name());
        FailureHeaders.put(described, DUE_AT, Long.toString(dueAt));
        if (reservation != null) FailureHeaders.put(described, RESERVATION, reservation);
        if (unconfirmed > 0) FailureHeaders.put(described, UNCONFIRMED, Integer.toString(unconfirmed));
        if (refused > 0) FailureHeaders.put(described, REFUSED, Integer.toString(refused));
        return described;
    }

    /** Epoch ms before which a delayed record must not go back to its tier, or null. */
    public static Long dueAt(Headers headers) {
        String v = FailureHeaders.text(headers, DUE_AT);
        return v == null ? null : Long.valueOf(v);
    }

    /** The tier a delayed record belongs to, or null. */
    public static Priority tier(Headers headers) {
        String v = FailureHeaders.text(headers, TIER);
        return v == null ? null : Priority.valueOf(v);
    }
}
