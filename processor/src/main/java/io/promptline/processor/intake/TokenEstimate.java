package io.promptline.processor.intake;

import io.promptline.avro.PromptRequest;
import io.promptline.avro.TokenUsage;
import io.promptline.tokens.TokenCount;

/**
 * A request's tokens before the call, for rate limits, context-window routing and the bill of a
 * call whose answer was lost: counted as the model's provider counts them ({@link TokenCount}:
 * OpenAI's tokenizers for its families, a per-script estimate for others). Rate limits are
 * corrected with the real usage after the call.
 */
public final class TokenEstimate {
    private TokenEstimate() {
    }

    /** The prompt tokens of {@code r} sent to {@code model} (null: the request's own model, else OpenAI's current tokenizer). */
    public static long promptTokens(PromptRequest r, String model) {
        return TokenCount.prompt(model != null ? model : r.getModel(), r.getMessages(), r.getTools());
    }

    public static long promptTokens(PromptRequest r) {
        return promptTokens(r, null);
    }

    /** Prompt plus the completion the request allows (max_tokens, else {@code defaultCompletion}). */
    public static long totalTokens(PromptRequest r, String model, int defaultCompletion) {
        return promptTokens(r, model) + (r.getMaxTokens() != null ? r.getMaxTokens() : defaultCompletion);
    }

    public static long totalTokens(PromptRequest r, int defaultCompletion) {
        return totalTokens(r, null, defaultCompletion);
    }

    /**
     * The usage of an answer that reported none: the prompt estimated from the request, the
     * completion from the answer's text, marked as estimated.
     */
    public static TokenUsage estimatedUsage(PromptRequest r, String model, String content) {
        return TokenUsage.newBuilder().setPromptTokens(promptTokens(r, model)).setCompletionTokens(TokenCount.text(model, content))
                .setCachedTokens(0).setReasoningTokens(0).setEstimated(true).build();
    }
}
