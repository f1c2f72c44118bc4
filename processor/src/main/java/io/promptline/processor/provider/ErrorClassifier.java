package io.promptline.processor.provider;

import io.promptline.avro.ErrorCategory;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.json.JsonObject;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;

/** Maps provider answers and transport failures to the error categories of the design. */
final class ErrorClassifier {
    private ErrorClassifier() {
    }

    public static boolean isRetryable(ErrorCategory c) {
        return c == ErrorCategory.RATE_LIMIT || c == ErrorCategory.TIMEOUT
                || c == ErrorCategory.NETWORK || c == ErrorCategory.PROVIDER_ERROR;
    }

    /**
     * Classifies an HTTP error answer from its status and error body ({@code error.code},
     * {@code error.type}, {@code error.message}: OpenAI's, Azure's and Anthropic's): 429 is RATE_LIMIT (but {@code insufficient_quota}, an empty account, is
     * AUTHENTICATION), 401/403 AUTHENTICATION, 408/504 TIMEOUT, other 5xx PROVIDER_ERROR; among other
     * 4xx, context-length and content-policy codes have their categories and the rest (400, 404
     * unknown model, 413, 422) are INVALID_REQUEST.
     */
    public static ErrorCategory fromHttp(int status, JsonObject body) {
        String code = errorField(body, "code");
        String type = errorField(body, "type");
        String message = errorField(body, "message");
        // OpenAI answers 429 insufficient_quota when the account has no credit: no retry helps.
        if (status == 429) return contains(code, "insufficient_quota") || contains(type, "insufficient_quota")
                ? ErrorCategory.AUTHENTICATION : ErrorCategory.RATE_LIMIT;
        if (status == 401 || status == 403 || creditExhausted(message)) return ErrorCategory.AUTHENTICATION;
        if (status == 408 || status == 504) return ErrorCategory.TIMEOUT;
        if (status >= 500) return ErrorCategory.PROVIDER_ERROR;
        if (contains(code, "context_length") || contains(message, "maximum context length")
                // Anthropic: "prompt is too long: 210000 tokens > 200000 maximum", "input length and `max_tokens` exceed context limit"
                || contains(message, "prompt is too long") || contains(message, "exceed context limit")) {
            return ErrorCategory.CONTEXT_LENGTH;
        }
        if (contains(code, "content_policy") || contains(code, "content_filter") || contains(type, "content_policy")) {
            return ErrorCategory.CONTENT_POLICY;
        }
        return ErrorCategory.INVALID_REQUEST;
    }

    /**
     * Whether an error answer says the endpoint is misconfigured: 401/403 and {@code insufficient_quota}
     * (credentials or account), 404 (base URL, or a model the endpoint does not serve).
     */
    public static CallOutcome.EndpointFault fault(int status, JsonObject body) {
        if (status == 401 || status == 403 || creditExhausted(errorField(body, "message"))) return CallOutcome.EndpointFault.CREDENTIALS;
        if (status == 429 && (contains(errorField(body, "code"), "insufficient_quota") || contains(errorField(body, "type"), "insufficient_quota"))) {
            return CallOutcome.EndpointFault.CREDENTIALS;
        }
        if (status == 404) {
            String code = errorField(body, "code");
            String message = errorField(body, "message");
            boolean model = contains(code, "model") || contains(message, "model");
            return model ? CallOutcome.EndpointFault.MODEL_NOT_FOUND : CallOutcome.EndpointFault.NOT_FOUND;
        }
        return CallOutcome.EndpointFault.NONE;
    }

    /** Anthropic answers 400 "Your credit balance is too low …" when the account has no credit: no retry helps. */
    private static boolean creditExhausted(String message) {
        return contains(message, "credit balance is too low");
    }

    /** Classifies a failure that produced no HTTP answer. */
    public static ErrorCategory fromTransport(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TimeoutException || c instanceof io.netty.handler.timeout.TimeoutException) return ErrorCategory.TIMEOUT;
            String msg = c.getMessage() == null ? "" : c.getMessage().toLowerCase(Locale.ROOT);
            if (msg.contains("timeout") || msg.contains("timed out")) return ErrorCategory.TIMEOUT;
            if (c instanceof ConnectException || c instanceof UnknownHostException || c instanceof NoRouteToHostException
                    || c instanceof HttpClosedException || c instanceof ClosedChannelException) {
                return ErrorCategory.NETWORK;
            }
        }
        return ErrorCategory.NETWORK; // no answer and no timeout: the connection failed (reset, refused, closed)
    }

    static String errorField(JsonObject body, String field) {
        if (body == null) return null;
        Object err = body.getValue("error");
        if (err instanceof JsonObject o) {
            Object v = o.getValue(field);
            return v == null ? null : v.toString();
        }
        return null;
    }

    private static boolean contains(String s, String part) {
        return s != null && s.toLowerCase(Locale.ROOT).contains(part);
    }
}
