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
 * so: it ended within the dedupe retention (answered, or dead-lettered unless the record is a
 * redrive), it is admitted here (queued or in flight), it is parked in the delay ladder (for a copy
 * published meanwhile), or it is an older ladder record of a request parked again since (fewer calls
 * made than its marker says). A record back from the ladder that finds none of these is processed:
 * whether or not this task parked it, and however late it comes. Stream thread only.
 */
public final class Claims {
    /** What the task holds of a request: admitted (queued or in flight), or parked in the delay ladder. */
    public interface Held {
        boolean admitted(String requestId);

        /** The calls made before the request was parked, or empty when it is not parked. */
        OptionalInt parkedAfter(String requestId);

        /** The parked request is back: it is no longer parked. */
        void unpark(String requestId);

        /** These holdings, and requests {@code alsoAdmitted} says are admitted elsewhere in the task (e.g. in a batch job). */
        default Held or(java.util.function.Predicate<String> alsoAdmitted) {
            Held self = this;
            return new Held() {
                @Override
                public boolean admitted(String requestId) {
                    return self.admitted(requestId) || alsoAdmitted.test(requestId);
                }

                @Override
                public OptionalInt parkedAfter(String requestId) {
                    return self.parkedAfter(requestId);
                }

                @Override
                public void unpark(String requestId) {
                    self.unpark(requestId);
                }
            };
        }
    }

    /** Why a record was not claimed; {@link #tag()} is the metric's reason. */
    public enum Duplicate {
        /** The request was answered within the dedupe retention. */
        ANSWERED,
        /** The request was dead-lettered within the dedupe retention (a redrive is not a duplicate). */
        DEAD_LETTERED,
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

    /** The value under which a dead-lettered request is remembered; any other value is an answered one. */
    private static final long DEAD_LETTERED_MARK = 2;

    private final WindowStore<String, Long> ended;
    private final Duration retention;
    private final Held held;

    /** @param ended request_ids that ended (a result or a dead letter), each at its end time */
    public Claims(WindowStore<String, Long> ended, Duration retention, Held held) {
        this.ended = ended;
        this.retention = retention;
        this.held = held;
    }

    /**
     * Null when the record may proceed (a parked request coming back is unparked), else why it is a duplicate.
     *
     * @param redrive whether the record is a deliberate redrive of a dead-lettered request
     */
    public Duplicate claim(String requestId, RetryHeaders.State back, boolean redrive, Instant now) {
        if (held.admitted(requestId)) return Duplicate.IN_FLIGHT;
        OptionalInt parked = held.parkedAfter(requestId);
        if (back == null && parked.isPresent()) return Duplicate.PARKED;
        if (back != null && parked.isPresent() && parked.getAsInt() > back.attempts()) return Duplicate.STALE_RETRY;
        Duplicate ended = endedRecently(requestId, now);
        if (ended == Duplicate.ANSWERED || ended == Duplicate.DEAD_LETTERED && !redrive) return ended;
        if (parked.isPresent()) held.unpark(requestId);
        return null;
    }

    /** The request has its result: a copy published within the retention is not called again. */
    public void answered(String requestId, Instant now) {
        ended.put(requestId, now.toEpochMilli(), now.toEpochMilli());
    }

    /** The request ended in the DLQ: a copy published within the retention is not tried again (a redrive is). */
    public void deadLettered(String requestId, Instant now) {
        ended.put(requestId, DEAD_LETTERED_MARK, now.toEpochMilli());
    }

    /** How the request ended within the retention (the latest end counts), or null. */
    private Duplicate endedRecently(String requestId, Instant now) {
        long to = now.toEpochMilli();
        Duplicate last = null;
        try (WindowStoreIterator<Long> it = ended.fetch(requestId, to - retention.toMillis(), to)) {
            while (it.hasNext()) last = it.next().value == DEAD_LETTERED_MARK ? Duplicate.DEAD_LETTERED : Duplicate.ANSWERED;
        }
        return last;
    }
}
