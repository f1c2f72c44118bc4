package io.promptline.processor.provider;

import io.promptline.avro.ErrorCategory;
import io.promptline.avro.TokenUsage;

import java.time.Duration;

/** What one call produced: a completion or a classified failure. Calls never complete exceptionally. */
public sealed interface CallOutcome {
    long latencyMs();

    /** How long the endpoint should get no new call (exhausted rate-limit window, Retry-After on 429/503), or null. */
    Duration holdOff();

    record Success(String model, String content, String finishReason, TokenUsage usage, long latencyMs, Duration holdOff)
            implements CallOutcome {
    }

    /**
     * @param httpStatus the provider's status, or null for transport failures
     * @param retryAfter how long the provider asked us to wait before this request is tried again, or null
     */
    record Failure(ErrorCategory category, Integer httpStatus, String message, Duration retryAfter, long latencyMs, Duration holdOff)
            implements CallOutcome {
        public Failure(ErrorCategory category, Integer httpStatus, String message, long latencyMs) {
            this(category, httpStatus, message, null, latencyMs, null);
        }

        public boolean retryable() {
            return ErrorClassifier.isRetryable(category);
        }
    }
}
