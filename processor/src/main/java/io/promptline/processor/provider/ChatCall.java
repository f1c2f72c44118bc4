package io.promptline.processor.provider;

import io.promptline.avro.ChatMessage;
import io.promptline.avro.ToolDefinition;

import java.util.List;

/**
 * One chat-completion call to make. {@code idempotencyKey} is the request_id, sent as the
 * {@code Idempotency-Key} header so providers that support it can deduplicate a call repeated
 * after a crash. Each {@link ProviderApi} maps the rest into its own body; what an API cannot
 * express fails the call as INVALID_REQUEST, naming the field.
 *
 * @param toolChoice auto, none, required, or the name of one of {@code tools}; null: the provider's default
 * @param stop       sequences that end the completion (empty: none)
 * @param user       an end-user id for the provider's abuse monitoring, or null
 */
public record ChatCall(String idempotencyKey, String model, List<ChatMessage> messages, Double temperature, Integer maxTokens,
                       String responseFormatJson, List<ToolDefinition> tools, String toolChoice, List<String> stop, Long seed, Double topP,
                       String user) {
    public ChatCall {
        tools = tools == null ? List.of() : List.copyOf(tools);
        stop = stop == null ? List.of() : List.copyOf(stop);
    }

    /** A call with messages and the basic settings only. */
    public ChatCall(String idempotencyKey, String model, List<ChatMessage> messages, Double temperature, Integer maxTokens,
                    String responseFormatJson) {
        this(idempotencyKey, model, messages, temperature, maxTokens, responseFormatJson, List.of(), null, List.of(), null, null, null);
    }
}
