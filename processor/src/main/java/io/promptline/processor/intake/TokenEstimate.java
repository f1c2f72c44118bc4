package io.promptline.processor.intake;

import io.promptline.avro.ChatMessage;
import io.promptline.avro.ContentPart;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.TokenUsage;
import io.promptline.avro.ToolCall;
import io.promptline.avro.ToolDefinition;

/**
 * A provider-independent estimate of a request's tokens before the call: about four characters
 * per token plus a small per-message overhead, as OpenAI documents for English text (text parts,
 * tool calls and tool definitions counted as text, 765 tokens per image). It only has
 * to be close: rate limits are corrected with real usage after the call.
 */
public final class TokenEstimate {
    private static final int PER_MESSAGE = 4;
    private static final int PER_REQUEST = 3;
    /** An image as OpenAI counts a 1024×1024 one at high detail (85 + 4 × 170): the usual size, charged before the call. */
    private static final long PER_IMAGE = 765;

    private TokenEstimate() {
    }

    public static long promptTokens(PromptRequest r) {
        long chars = 0;
        long images = 0;
        for (ChatMessage m : r.getMessages()) {
            chars += m.getContent().length() + m.getRole().length();
            if (m.getParts() != null) {
                for (ContentPart p : m.getParts()) {
                    if (p.getText() != null) chars += p.getText().length();
                    if (p.getImageUrl() != null) images++;
                }
            }
            for (ToolCall t : m.getToolCalls()) chars += t.getName().length() + t.getArguments().length();
        }
        for (ToolDefinition t : r.getTools()) {
            chars += t.getName().length() + t.getParameters().length() + (t.getDescription() == null ? 0 : t.getDescription().length());
        }
        return (chars + 3) / 4 + PER_IMAGE * images + (long) PER_MESSAGE * r.getMessages().size() + PER_REQUEST;
    }

    /** Prompt plus the completion the request allows (max_tokens, else {@code defaultCompletion}). */
    public static long totalTokens(PromptRequest r, int defaultCompletion) {
        return promptTokens(r) + (r.getMaxTokens() != null ? r.getMaxTokens() : defaultCompletion);
    }

    /**
     * The usage of an answer that reported none: the prompt estimated from the request, the
     * completion from the answer's text, marked as estimated.
     */
    public static TokenUsage estimatedUsage(PromptRequest r, String content) {
        long completion = content == null ? 0 : (content.length() + 3) / 4;
        return TokenUsage.newBuilder().setPromptTokens(promptTokens(r)).setCompletionTokens(completion).setCachedTokens(0)
                .setReasoningTokens(0).setEstimated(true).build();
    }
}
