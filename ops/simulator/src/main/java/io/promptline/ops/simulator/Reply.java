package io.promptline.ops.simulator;

import io.vertx.core.json.JsonObject;

/**
 * What the simulator decided to do with one chat-completion request.
 *
 * @param outcome the outcome counted in the stats
 * @param status HTTP status (0 for hang and reset: no answer)
 * @param body JSON body, or null
 * @param retryAfterSeconds value of retry-after / retry-after-ms headers, or null
 * @param call the ledger entry of a successful call, or null
 * @param stream whether the request asked for the answer as a stream
 * @param includeUsage whether a streamed OpenAI answer ends with a usage chunk (stream_options.include_usage)
 */
record Reply(Outcome outcome, int status, JsonObject body, Integer retryAfterSeconds, RecordedCall call, boolean stream, boolean includeUsage) {

    Reply(Outcome outcome, int status, JsonObject body, Integer retryAfterSeconds, RecordedCall call) {
        this(outcome, status, body, retryAfterSeconds, call, false, false);
    }

    /** This answer sent as server-sent events (when it is a success; errors are answered whole, as providers do). */
    Reply streamed(boolean includeUsage) {
        return new Reply(outcome, status, body, retryAfterSeconds, call, true, includeUsage);
    }

    static Reply noAnswer(Outcome outcome) {
        return new Reply(outcome, 0, null, null, null);
    }

    static Reply success(JsonObject body, RecordedCall call) {
        return new Reply(Outcome.OK, 200, body, null, call);
    }

    static Reply badRequest(String message, String param) {
        return error(Outcome.BAD_REQUEST, 400, message, "invalid_request_error", param, null);
    }

    static Reply rateLimited(int retryAfterSeconds) {
        return new Reply(Outcome.RATE_LIMITED, 429, errorBody("Rate limit reached for requests", "requests", null,
                "rate_limit_exceeded"), retryAfterSeconds, null);
    }

    static Reply serverError() {
        return error(Outcome.SERVER_ERROR, 500, "The server had an error while processing your request.",
                "server_error", null, null);
    }

    static Reply overloaded(Integer retryAfterSeconds) {
        return new Reply(Outcome.OVERLOADED, 503, errorBody("The engine is currently overloaded, please try again later",
                "server_error", null, null), retryAfterSeconds, null);
    }

    static Reply unauthorized() {
        return error(Outcome.UNAUTHORIZED, 401, "Incorrect API key provided.", "invalid_request_error", null,
                "invalid_api_key");
    }

    static Reply contentPolicy() {
        return error(Outcome.CONTENT_POLICY, 400, "Your request was rejected as a result of our safety system. Your"
                + " prompt may contain text that is not allowed by our safety system.", "invalid_request_error", null,
                "content_policy_violation");
    }

    /** Context overflow of the messages alone (marker, rate, or prompt_tokens over the window). */
    static Reply contextLength(int window, int promptTokens) {
        return error(Outcome.CONTEXT_LENGTH, 400, "This model's maximum context length is " + window + " tokens."
                + " However, your messages resulted in " + promptTokens + " tokens. Please reduce the length of the"
                + " messages.", "invalid_request_error", "messages", "context_length_exceeded");
    }

    /** Context overflow of messages plus the requested completion. */
    static Reply contextLength(int window, int promptTokens, int maxTokens) {
        return error(Outcome.CONTEXT_LENGTH, 400, "This model's maximum context length is " + window + " tokens."
                + " However, you requested " + ((long) promptTokens + maxTokens) + " tokens (" + promptTokens
                + " in the messages, " + maxTokens + " in the completion). Please reduce the length of the messages or"
                + " completion.", "invalid_request_error", "messages", "context_length_exceeded");
    }

    private static Reply error(Outcome outcome, int status, String message, String type, String param, String code) {
        return new Reply(outcome, status, errorBody(message, type, param, code), null, null);
    }

    /** OpenAI error body: {@code {"error":{"message","type","param","code"}}}. */
    static JsonObject errorBody(String message, String type, String param, String code) {
        return new JsonObject().put("error", new JsonObject()
                .put("message", message).put("type", type).put("param", param).put("code", code));
    }
}
