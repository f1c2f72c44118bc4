package io.promptline.processor.output;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.PromptRequest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/** Builds DLQ records with the full context: the request or its raw bytes, why, and where it came from. */
public final class DeadLetters {
    private DeadLetters() {
    }

    /** A record whose bytes could not be decoded into a PromptRequest. */
    public static DeadLetter malformed(byte[] key, byte[] value, String reason, Origin origin, Instant now) {
        return DeadLetter.newBuilder()
                .setTenant(key == null ? null : new String(key, StandardCharsets.UTF_8))
                .setRawValue(value == null ? null : ByteBuffer.wrap(value))
                .setCategory(ErrorCategory.MALFORMED_INPUT)
                .setMessage(reason)
                .setAttempts(0)
                .setOriginTopic(origin.topic()).setOriginPartition(origin.partition()).setOriginOffset(origin.offset())
                .setFailedAt(now)
                .build();
    }

    /**
     * A request too large to keep: neither its bytes nor the decoded request travel with the dead
     * letter (they would not fit either); the origin says where the original is.
     *
     * @param request the request if it could be decoded (its id and tenant are kept), else null
     */
    public static DeadLetter oversized(PromptRequest request, byte[] key, String reason, Origin origin, Instant now) {
        String tenant = request != null ? request.getTenant() : key == null ? null : new String(key, StandardCharsets.UTF_8);
        return DeadLetter.newBuilder()
                .setRequestId(request == null ? null : request.getRequestId())
                .setTenant(tenant)
                .setCategory(ErrorCategory.INVALID_REQUEST)
                .setMessage(reason + "; the original stays at " + origin)
                .setAttempts(0)
                .setOriginTopic(origin.topic()).setOriginPartition(origin.partition()).setOriginOffset(origin.offset())
                .setFailedAt(now)
                .build();
    }

    /** A decoded request that ended without a result. */
    /**
     * A request without a valid tenant proof: its bytes stay with the dead letter for whoever looks
     * into it; the tenant it claims is named, but nothing was called or billed for it.
     */
    public static DeadLetter unauthorized(PromptRequest request, byte[] value, String reason, Origin origin, Instant now) {
        return DeadLetter.newBuilder(of(request, ErrorCategory.UNAUTHORIZED, null, reason, 0, null, null, origin, now))
                .setRawValue(value == null ? null : ByteBuffer.wrap(value))
                .build();
    }

    public static DeadLetter of(PromptRequest request, ErrorCategory category, Integer httpStatus, String message,
                                int attempts, Instant firstAttempt, Instant lastAttempt, Origin origin, Instant now) {
        return DeadLetter.newBuilder()
                .setRequestId(request.getRequestId())
                .setTenant(request.getTenant())
                .setRequest(request)
                .setCategory(category)
                .setHttpStatus(httpStatus)
                .setMessage(message)
                .setAttempts(attempts)
                .setFirstAttemptAt(firstAttempt)
                .setLastAttemptAt(lastAttempt)
                .setOriginTopic(origin.topic()).setOriginPartition(origin.partition()).setOriginOffset(origin.offset())
                .setFailedAt(now)
                .build();
    }
}
