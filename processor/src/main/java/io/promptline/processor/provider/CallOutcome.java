package io.promptline.processor.provider;

import io.promptline.avro.ErrorCategory;
import io.promptline.avro.TokenUsage;

import java.time.Duration;

/** What one call produced: a completion or a classified failure. Calls never complete exceptionally. */
public sealed interface CallOutcome {
    long latencyMs();

    /** How long the endpoint should get no new call (exhausted rate-limit window, Retry-After on 429/503), or null. */
    Duration holdOff();

    /** @param usage the provider's token counts, or null when the answer carried none (many local servers omit them) */
    record Success(String model, String content, String finishReason, TokenUsage usage, long latencyMs, Duration holdOff)
            implements CallOutcome {
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
