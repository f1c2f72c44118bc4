package io.promptline.processor.dispatch;

import java.nio.ByteBuffer;

/**
 * A request parked in the delay ladder (a retry, or a tenant waiting for its rate-limit turn),
 * kept in the pending store in place of the full entry: the request itself travels in the delay
 * topic. It lets exactly the record the relay brings back in (same attempts) and stops copies
 * published meanwhile from being called twice.
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
