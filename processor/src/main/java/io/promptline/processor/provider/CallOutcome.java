package io.promptline.processor.provider;

import io.promptline.avro.ErrorCategory;
import io.promptline.avro.TokenUsage;
import io.promptline.avro.ToolCall;

import java.time.Duration;
import java.util.List;

/** What one call produced: a completion or a classified failure. Calls never complete exceptionally. */
public sealed interface CallOutcome {
    long latencyMs();

    /** How long the endpoint should get no new call (exhausted rate-limit window, Retry-After on 429/503), or null. */
    Duration holdOff();

    /**
     * @param usage     the provider's token counts, or null when the answer carried none (many local servers omit them)
     * @param toolCalls the functions the model asked to call (empty when none)
     * @param refusal   the model's refusal, when it gave one instead of content
     */
    record Success(String model, String content, String finishReason, TokenUsage usage, long latencyMs, Duration holdOff,
                   List<ToolCall> toolCalls, String refusal) implements CallOutcome {
        public Success {
            toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
        }

        /** A text answer. */
        public Success(String model, String content, String finishReason, TokenUsage usage, long latencyMs, Duration holdOff) {
            this(model, content, finishReason, usage, latencyMs, holdOff, List.of(), null);
        }

        /** Everything the model wrote (text, refusal, tool calls), for estimating its tokens when the provider reported none. */
        public String completionText() {
            StringBuilder sb = new StringBuilder(content == null ? "" : content);
            if (refusal != null) sb.append(refusal);
            for (ToolCall t : toolCalls) sb.append(t.getName()).append(t.getArguments());
            return sb.toString();
        }

        /** The same answer with {@code tokens} as its usage (an estimate, when the provider reported none). */
        public Success withUsage(TokenUsage tokens) {
            return new Success(model, content, finishReason, tokens, latencyMs, holdOff, toolCalls, refusal);
        }
    }

    /**
     * @param httpStatus the provider's status, or null for transport failures
     * @param retryAfter how long the provider asked us to wait before this request is tried again, or null
     * @param fault      whether the endpoint itself is misconfigured (credentials, base URL, model), which no retry of
     *                   this request can fix but fixing the configuration will
     */
    record Failure(ErrorCategory category, Integer httpStatus, String message, Duration retryAfter, long latencyMs, Duration holdOff,
                   EndpointFault fault) implements CallOutcome {
        public Failure(ErrorCategory category, Integer httpStatus, String message, long latencyMs) {
            this(category, httpStatus, message, null, latencyMs, null, EndpointFault.NONE);
        }

        public boolean retryable() {
            return ErrorClassifier.isRetryable(category);
        }
    }

    /** A failure that says the endpoint, not the request, is wrong. */
    enum EndpointFault {
        NONE,
        /** 401, 403, or an account without quota (insufficient_quota): the key or the account. */
        CREDENTIALS,
        /** 404 for the path: the base URL. */
        NOT_FOUND,
        /** 404 for the model: the endpoint does not serve this model. */
        MODEL_NOT_FOUND
    }
}
