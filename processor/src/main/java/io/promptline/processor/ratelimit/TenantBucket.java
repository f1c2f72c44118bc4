package io.promptline.processor.ratelimit;

import java.nio.ByteBuffer;

/**
 * A tenant's rate-limit state on one tier: its request line and its token line. Stored, keyed
 * by tenant, in the task's changelogged {@code rate-limits} store, so the state survives crashes
 * and moves with the partition (a tenant's records all land in one partition: exactly one task
 * owns its bucket, on any number of processor instances).
 */
final class TenantBucket {
    private static final byte VERSION = 2;
    private static final int SIZE = 1 + 10 * Double.BYTES;

    final RateLine requests;
    final RateLine tokens;

    TenantBucket(RateLine requests, RateLine tokens) {
        this.requests = requests;
        this.tokens = tokens;
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).put(VERSION);
        for (RateLine l : new RateLine[]{requests, tokens}) {
            b.putDouble(l.tatMillis).putDouble(l.millisPerUnit).putDouble(l.burstUnits).putDouble(l.reserved).putDouble(l.released);
        }
        return b.array();
    }

    /** The stored state, or null when it is of an older format (the bucket then starts afresh). */
    static TenantBucket decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (bytes.length != SIZE || b.get() != VERSION) return null;
        return new TenantBucket(line(b), line(b));
    }

    private static RateLine line(ByteBuffer b) {
        return new RateLine(b.getDouble(), b.getDouble(), b.getDouble(), b.getDouble(), b.getDouble());
    }
}
