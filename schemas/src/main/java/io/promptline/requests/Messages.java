package io.promptline.requests;

import io.promptline.avro.ChatMessage;
import io.promptline.avro.ContentPart;
import io.promptline.avro.ToolCall;

import java.util.List;

/** Chat messages of the common kinds, without spelling out every optional field of {@link ChatMessage}. */
public final class Messages {
    private Messages() {
    }

    /** A text message: system, user or assistant. */
    public static ChatMessage text(String role, String content) {
        return ChatMessage.newBuilder().setRole(role).setContent(content).build();
    }

    /** A user message of text and image parts. */
    public static ChatMessage parts(List<ContentPart> parts) {
        return ChatMessage.newBuilder().setRole("user").setContent("").setParts(parts).build();
    }

    /** An assistant message of the history that asked for {@code calls} (as a result's tool_calls). */
    public static ChatMessage toolCalls(String content, List<ToolCall> calls) {
        return ChatMessage.newBuilder().setRole("assistant").setContent(content == null ? "" : content).setToolCalls(calls).build();
    }

    /** The result of one tool call, answering the call {@code toolCallId}. */
    public static ChatMessage toolResult(String toolCallId, String content) {
        return ChatMessage.newBuilder().setRole("tool").setContent(content).setToolCallId(toolCallId).build();
    }

    public static ContentPart textPart(String text) {
        return ContentPart.newBuilder().setType("text").setText(text).build();
    }

    /** An image by https:// URL or {@code data:<media type>;base64,<bytes>}. */
    public static ContentPart imagePart(String url) {
        return ContentPart.newBuilder().setType("image_url").setImageUrl(url).build();
    }
}
