package io.promptline.processor.provider;

import io.promptline.avro.ErrorCategory;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

class ErrorClassifierTest {
    private static JsonObject error(String code, String type, String message) {
        return new JsonObject().put("error", new JsonObject().put("code", code).put("type", type).put("message", message));
    }

    @Test
    void shouldClassifyStatusesAndProviderErrorBodies() {
        assertThat(ErrorClassifier.fromHttp(429, error("rate_limit_exceeded", "requests", "slow down"))).isEqualTo(ErrorCategory.RATE_LIMIT);
        assertThat(ErrorClassifier.fromHttp(429, error("insufficient_quota", "insufficient_quota", "You exceeded your current quota")))
                .as("an empty account is not fixed by waiting").isEqualTo(ErrorCategory.AUTHENTICATION);
        assertThat(ErrorClassifier.fromHttp(401, null)).isEqualTo(ErrorCategory.AUTHENTICATION);
        assertThat(ErrorClassifier.fromHttp(403, null)).isEqualTo(ErrorCategory.AUTHENTICATION);
        assertThat(ErrorClassifier.fromHttp(408, null)).isEqualTo(ErrorCategory.TIMEOUT);
        assertThat(ErrorClassifier.fromHttp(504, null)).isEqualTo(ErrorCategory.TIMEOUT);
        assertThat(ErrorClassifier.fromHttp(500, null)).isEqualTo(ErrorCategory.PROVIDER_ERROR);
        assertThat(ErrorClassifier.fromHttp(529, error(null, "overloaded_error", "Overloaded"))).isEqualTo(ErrorCategory.PROVIDER_ERROR);
        assertThat(ErrorClassifier.fromHttp(400, error("context_length_exceeded", "invalid_request_error", "too long")))
                .isEqualTo(ErrorCategory.CONTEXT_LENGTH);
        assertThat(ErrorClassifier.fromHttp(400, error(null, "invalid_request_error", "This model's maximum context length is 8192 tokens")))
                .isEqualTo(ErrorCategory.CONTEXT_LENGTH);
        assertThat(ErrorClassifier.fromHttp(400, error("content_policy_violation", "invalid_request_error", "rejected")))
                .isEqualTo(ErrorCategory.CONTENT_POLICY);
        assertThat(ErrorClassifier.fromHttp(400, error("content_filter", null, "filtered"))).as("Azure's code").isEqualTo(ErrorCategory.CONTENT_POLICY);
        assertThat(ErrorClassifier.fromHttp(404, error("model_not_found", "invalid_request_error", "no such model")))
                .isEqualTo(ErrorCategory.INVALID_REQUEST);
        assertThat(ErrorClassifier.fromHttp(413, null)).isEqualTo(ErrorCategory.INVALID_REQUEST);
        assertThat(ErrorClassifier.fromHttp(422, null)).isEqualTo(ErrorCategory.INVALID_REQUEST);
    }

    @Test
    void shouldClassifyTransportFailures() {
        assertThat(ErrorClassifier.fromTransport(new TimeoutException("The timeout period of 1000ms has been exceeded"))).isEqualTo(ErrorCategory.TIMEOUT);
        assertThat(ErrorClassifier.fromTransport(new RuntimeException(new ConnectException("Connection refused")))).isEqualTo(ErrorCategory.NETWORK);
        assertThat(ErrorClassifier.fromTransport(new java.io.IOException("Connection reset by peer"))).isEqualTo(ErrorCategory.NETWORK);
    }

    @Test
    void shouldRetryOnlyWhatWaitingCanFix() {
        for (ErrorCategory c : ErrorCategory.values()) {
            boolean expected = c == ErrorCategory.RATE_LIMIT || c == ErrorCategory.TIMEOUT || c == ErrorCategory.NETWORK
                    || c == ErrorCategory.PROVIDER_ERROR;
            assertThat(ErrorClassifier.isRetryable(c)).as(c.name()).isEqualTo(expected);
        }
    }
}
