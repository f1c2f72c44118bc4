package io.promptline.processor.intake;

import io.promptline.processor.retry.RetryHeaders;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * Whether a record may proceed, by request_id. A request is a duplicate only when something says
 * so: it was answered within the dedupe retention, it is admitted here (queued or in flight), it
 * is parked in the delay ladder (for a copy published meanwhile), or it is an older ladder record
 * of a request parked again since (fewer calls made than its marker says). A record back from the
 * ladder that finds none of these is processed: whether or not this task parked it, and however
 * late it comes. Stream thread only.
 */
public final class Claims {
    /** What the task holds of a request: admitted (queued or in flight), or parked in the delay ladder. */
    public interface Held {
        boolean admitted(String requestId);

        /** The calls made before the request was parked, or empty when it is not parked. */
        OptionalInt parkedAfter(String requestId);

        /** The parked request is back: it is no longer parked. */
        void unpark(String requestId);
    }

    /** Why a record was not claimed; {@link #tag()} is the metric's reason. */
    public enum Duplicate {
        /** The request was answered within the dedupe retention. */
        ANSWERED,
        /** The request is admitted in this task: queued or in flight. */
        IN_FLIGHT,
        /** A copy of a request that waits in the delay ladder. */
        PARKED,
        /** A ladder record older than the request's latest one (a redelivery). */
        STALE_RETRY;

        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final WindowStore<String, Long> answered;
    private final Duration retention;
    private final Held held;

    /** @param answered request_ids that produced a result, each at its answer time */
    public Claims(WindowStore<String, Long> answered, Duration retention, Held held) {
        this.answered = answered;
        this.retention = retention;
        this.held = held;
    }

    /** Null when the record may proceed (a parked request coming back is unparked), else why it is a duplicate. */
    public Duplicate claim(String requestId, RetryHeaders.State back, Instant now) {
        if (held.admitted(requestId)) return Duplicate.IN_FLIGHT;
        OptionalInt parked = held.parkedAfter(requestId);
        if (back == null && parked.isPresent()) return Duplicate.PARKED;
        if (back != null && parked.isPresent() && parked.getAsInt() > back.attempts()) return Duplicate.STALE_RETRY;
        if (answeredRecently(requestId, now)) return Duplicate.ANSWERED;
        if (parked.isPresent()) held.unpark(requestId);
        return null;
    }

    /** The request has its result: a copy published within the retention is not called again. */
    public void answered(String requestId, Instant now) {
        answered.put(requestId, now.toEpochMilli(), now.toEpochMilli());
    }

    private boolean answeredRecently(String requestId, Instant now) {
        long to = now.toEpochMilli();
        try (WindowStoreIterator<Long> it = answered.fetch(requestId, to - retention.toMillis(), to)) {
            return it.hasNext();
        }
    }
}
