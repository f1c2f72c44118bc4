package io.promptline.processor.dispatch;

import io.promptline.avro.ErrorCategory;
import io.promptline.avro.TokenUsage;

import java.time.Duration;

/** What one call produced: a completion or a classified failure. Calls never complete exceptionally. */
public sealed interface CallOutcome {
    long latencyMs();

    record Success(String model, String content, String finishReason, TokenUsage usage, long latencyMs)
            implements CallOutcome {
    }

    /**
     * @param httpStatus the provider's status, or null for transport failures
     * @param retryAfter how long the provider asked us to wait, or null
     */
    record Failure(ErrorCategory category, Integer httpStatus, String message, Duration retryAfter, long latencyMs)
            implements CallOutcome {
        public boolean retryable() {
            return ErrorClassifier.isRetryable(category);
        }
    }
}
