package io.promptline.processor.ratelimit;

import java.nio.ByteBuffer;

/**
 * A tenant's rate-limit state on one tier: its request line and its token line. Stored, keyed
 * by tenant, in the task's changelogged {@code rate-limits} store, so the schedule survives
 * crashes and moves with the partition (a tenant's records all land in one partition: exactly
 * one task owns its bucket, on any number of processor instances).
 */
final class TenantBucket {
    private static final byte VERSION = 1;
    private static final int SIZE = 1 + 10 * Double.BYTES;

    final ScheduleLine requests;
    final ScheduleLine tokens;

    TenantBucket(ScheduleLine requests, ScheduleLine tokens) {
        this.requests = requests;
        this.tokens = tokens;
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).put(VERSION);
        for (ScheduleLine l : new ScheduleLine[]{requests, tokens}) {
            b.putDouble(l.anchorUnits).putDouble(l.anchorMillis).putDouble(l.nextUnits).putDouble(l.millisPerUnit).putDouble(l.burstUnits);
        }
        return b.array();
    }

    static TenantBucket decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte version = b.get();
        if (version != VERSION || bytes.length != SIZE) {
            throw new IllegalStateException("rate-limit state has unknown format version " + version);
        }
        return new TenantBucket(line(b), line(b));
    }

    private static ScheduleLine line(ByteBuffer b) {
        return new ScheduleLine(b.getDouble(), b.getDouble(), b.getDouble(), b.getDouble(), b.getDouble());
    }
}
