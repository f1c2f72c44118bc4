package io.promptline.processor.intake;

import io.promptline.processor.retry.RetryHeaders;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

import java.time.Duration;
import java.time.Instant;
import java.util.OptionalInt;

/**
 * Whether a record may proceed, by request_id: a new request (not held by the task and not
 * answered within the dedupe retention), or exactly the record the relay brought back for a
 * request parked in the delay ladder (the same number of calls made). Anything else is a
 * duplicate: a publisher's retry, a redelivery, a copy published twice. Stream thread only.
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

    private final WindowStore<String, Long> answered;
    private final Duration retention;
    private final Held held;

    /** @param answered request_ids that produced a result, each at its answer time */
    public Claims(WindowStore<String, Long> answered, Duration retention, Held held) {
        this.answered = answered;
        this.retention = retention;
        this.held = held;
    }

    public boolean claim(String requestId, RetryHeaders.State back, Instant now) {
        OptionalInt parked = held.parkedAfter(requestId);
        if (back != null) {
            if (parked.isEmpty() || parked.getAsInt() != back.attempts()) return false;
            held.unpark(requestId);
            return true;
        }
        return parked.isEmpty() && !held.admitted(requestId) && !answeredRecently(requestId, now);
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
