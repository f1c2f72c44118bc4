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

    /** A decoded request that ended without a result. */
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
