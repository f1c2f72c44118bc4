package io.promptline.processor.output;

import io.promptline.avro.ErrorCategory;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;

/**
 * The headers that say what happened to a request, on dead-letter records and on retry records
 * alike, readable by any Kafka tool (UTF-8 text values):
 *
 * <table>
 *   <caption>Headers</caption>
 *   <tr><td>{@value #ATTEMPTS}</td><td>calls made so far</td></tr>
 *   <tr><td>{@value #FIRST_ATTEMPT_AT} / {@value #LAST_ATTEMPT_AT}</td><td>epoch ms of the first and last call</td></tr>
 *   <tr><td>{@value #CATEGORY} / {@value #HTTP_STATUS} / {@value #MESSAGE}</td><td>the last error</td></tr>
 *   <tr><td>{@value #ORIGIN_TOPIC} / {@value #ORIGIN_PARTITION} / {@value #ORIGIN_OFFSET}</td><td>where the request was first read</td></tr>
 * </table>
 */
public final class FailureHeaders {
    public static final String ATTEMPTS = "promptline.attempts";
    public static final String FIRST_ATTEMPT_AT = "promptline.first.attempt.at";
    public static final String LAST_ATTEMPT_AT = "promptline.last.attempt.at";
    public static final String CATEGORY = "promptline.error.category";
    public static final String HTTP_STATUS = "promptline.error.http.status";
    public static final String MESSAGE = "promptline.error.message";
    public static final String ORIGIN_TOPIC = "promptline.origin.topic";
    public static final String ORIGIN_PARTITION = "promptline.origin.partition";
    public static final String ORIGIN_OFFSET = "promptline.origin.offset";
    private static final int MAX_MESSAGE_CHARS = 1000;

    private FailureHeaders() {
    }

    /** New headers describing a request's calls and last error; null arguments are left out. */
    public static Headers describe(int attempts, Long first, Long last, ErrorCategory category, Integer status, String message,
                                   Origin origin) {
        Headers h = new RecordHeaders();
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

    /** Sets a header to a UTF-8 text value, replacing any before it. */
    public static void put(Headers h, String key, String value) {
        h.remove(key);
        h.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    /** The last value of a header as text, or null. */
    public static String text(Headers headers, String key) {
        Header h = headers.lastHeader(key);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
