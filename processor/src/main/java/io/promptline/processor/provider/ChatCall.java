package io.promptline.processor.provider;

import io.promptline.avro.ChatMessage;

import java.util.List;

/**
 * One chat-completion call to make. {@code idempotencyKey} is the request_id, sent as the
 * {@code Idempotency-Key} header so providers that support it can deduplicate a call repeated
 * after a crash.
 */
public record ChatCall(String idempotencyKey, String model, List<ChatMessage> messages,
                       Double temperature, Integer maxTokens, String responseFormatJson) {
}
