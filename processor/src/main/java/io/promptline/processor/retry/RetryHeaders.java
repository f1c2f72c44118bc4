package io.promptline.processor.retry;

import io.promptline.avro.ErrorCategory;
import io.promptline.avro.Priority;
import io.promptline.processor.intake.DeadLetters.Origin;
import io.promptline.processor.ratelimit.Reservation;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;

/**
 * The headers of retry and dead-letter records: everything needed to try a request again or to
 * understand why it ended, readable by any Kafka tool (UTF-8 text values).
 *
 * <table>
 *   <caption>Headers</caption>
 *   <tr><td>{@value #ATTEMPTS}</td><td>calls made so far</td></tr>
 *   <tr><td>{@value #FIRST_ATTEMPT_AT} / {@value #LAST_ATTEMPT_AT}</td><td>epoch ms of the first and last call</td></tr>
 *   <tr><td>{@value #CATEGORY} / {@value #HTTP_STATUS} / {@value #MESSAGE}</td><td>the last error</td></tr>
 *   <tr><td>{@value #ORIGIN_TOPIC} / {@value #ORIGIN_PARTITION} / {@value #ORIGIN_OFFSET}</td><td>where the request was first read</td></tr>
 *   <tr><td>{@value #TIER}</td><td>the tier topic the relay sends it back to</td></tr>
 *   <tr><td>{@value #DUE_AT}</td><td>epoch ms before which the relay holds it</td></tr>
 *   <tr><td>{@value #RESERVATION}</td><td>a rate-limited request's places ({@link Reservation#encode()}); it is not a failure</td></tr>
 * </table>
 */
public final class RetryHeaders {
    public static final String ATTEMPTS = "promptline.attempts";
    public static final String FIRST_ATTEMPT_AT = "promptline.first.attempt.at";
    public static final String LAST_ATTEMPT_AT = "promptline.last.attempt.at";
    public static final String CATEGORY = "promptline.error.category";
    public static final String HTTP_STATUS = "promptline.error.http.status";
    public static final String MESSAGE = "promptline.error.message";
    public static final String ORIGIN_TOPIC = "promptline.origin.topic";
    public static final String ORIGIN_PARTITION = "promptline.origin.partition";
    public static final String ORIGIN_OFFSET = "promptline.origin.offset";
    public static final String TIER = "promptline.tier";
    public static final String DUE_AT = "promptline.due.at";
    public static final String RESERVATION = "promptline.reservation";
    private static final int MAX_MESSAGE_CHARS = 1000;

    private RetryHeaders() {
    }

    /**
     * What a request brought back from the delay ladder: its attempts so far, first call, origin,
     * and (when it was only waiting for its rate-limit turn) its reservation. Null fields when absent.
     */
    public record State(int attempts, Long firstAttemptAt, Origin origin, Reservation reservation) {
    }

    /** The state of a record read from a tier topic, or null when it is a new request (no attempts header). */
    public static State read(Headers headers) {
        String attempts = text(headers, ATTEMPTS);
        if (attempts == null) return null;
        String topic = text(headers, ORIGIN_TOPIC);
        Origin origin = topic == null ? null : new Origin(topic, Integer.parseInt(text(headers, ORIGIN_PARTITION)),
                Long.parseLong(text(headers, ORIGIN_OFFSET)));
        String first = text(headers, FIRST_ATTEMPT_AT);
        String reservation = text(headers, RESERVATION);
        return new State(Integer.parseInt(attempts), first == null ? null : Long.valueOf(first), origin,
                reservation == null ? null : Reservation.decode(reservation));
    }

    /** The headers of a record going to a rung of the ladder. */
    public static Headers forRetry(Priority tier, int attempts, Long firstAttemptAt, Long lastAttemptAt, ErrorCategory category,
                                   Integer httpStatus, String message, Origin origin, long dueAt, Reservation reservation) {
        Headers h = describe(new RecordHeaders(), attempts, firstAttemptAt, lastAttemptAt, category, httpStatus, message, origin);
        put(h, TIER, tier.name());
        put(h, DUE_AT, Long.toString(dueAt));
        if (reservation != null) put(h, RESERVATION, reservation.encode());
        return h;
    }

    /** The headers of a dead-letter record (the same facts the DeadLetter value holds). */
    public static Headers forDeadLetter(int attempts, Long firstAttemptAt, Long lastAttemptAt, ErrorCategory category,
                                        Integer httpStatus, String message, Origin origin) {
        return describe(new RecordHeaders(), attempts, firstAttemptAt, lastAttemptAt, category, httpStatus, message, origin);
    }

    /** Epoch ms before which a delayed record must not go back to its tier, or null. */
    public static Long dueAt(Headers headers) {
        String v = text(headers, DUE_AT);
        return v == null ? null : Long.valueOf(v);
    }

    /** The tier a delayed record belongs to, or null. */
    public static Priority tier(Headers headers) {
        String v = text(headers, TIER);
        return v == null ? null : Priority.valueOf(v);
    }

    private static Headers describe(Headers h, int attempts, Long first, Long last, ErrorCategory category, Integer status,
                                    String message, Origin origin) {
        put(h, ATTEMPTS, Integer.toString(attempts));
        if (first != null) put(h, FIRST_ATTEMPT_AT, Long.toString(first));
        if (last != null) put(h, LAST_ATTEMPT_AT, Long.toString(last));
        if (category != null) put(h, CATEGORY, category.name());
        if (status != null) put(h, HTTP_STATUS, Integer.toString(status));
        if (message != null) put(h, MESSAGE, message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) : message);
        if (origin != null) {
            put(h, ORIGIN_TOPIC, origin.topic());
            put(h, ORIGIN_PARTITION, Integer.toString(origin.partition()));
            put(h, ORIGIN_OFFSET, Long.toString(origin.offset()));
        }
        return h;
    }

    private static void put(Headers h, String key, String value) {
        h.remove(key);
        h.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    public static String text(Headers headers, String key) {
        Header h = headers.lastHeader(key);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
