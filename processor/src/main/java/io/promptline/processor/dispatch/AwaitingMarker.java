package io.promptline.processor.dispatch;

import java.nio.ByteBuffer;

/**
 * A request parked in the delay ladder (a retry, or a tenant waiting for its rate-limit turn),
 * kept in the task's parked store (keyed by request_id) until its record comes back: the request
 * itself travels in the delay topic. A copy of the request published meanwhile is not called
 * twice, and an older ladder record of it (fewer calls made) is a stale retry. It is never
 * forgotten by time, and a ladder record that finds no marker is still processed.
 *
 * @param attempts calls made before the request went to the ladder
 * @param dueAt    epoch ms at which the relay sends it back
 */
record AwaitingMarker(int attempts, long dueAt) {
    static final byte VERSION = 3;

    byte[] encode() {
        return ByteBuffer.allocate(1 + Integer.BYTES + Long.BYTES).put(VERSION).putInt(attempts).putLong(dueAt).array();
    }

    static boolean isMarker(byte[] stored) {
        return stored.length > 0 && stored[0] == VERSION;
    }

    static AwaitingMarker decode(byte[] stored) {
        ByteBuffer b = ByteBuffer.wrap(stored);
        b.get();
        return new AwaitingMarker(b.getInt(), b.getLong());
    }
}
