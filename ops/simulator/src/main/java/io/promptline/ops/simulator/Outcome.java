package io.promptline.ops.simulator;

/**
 * How the simulator disposed of one chat-completion request; {@link #key()} is the key used in
 * {@link SimulatorStats#countsByOutcome()}.
 */
public enum Outcome {
    /** 200 with a completion. */
    OK("ok"),
    /** 429 rate_limit_exceeded (marker, rate). */
    RATE_LIMITED("429"),
    /** 500 server_error (marker, rate). */
    SERVER_ERROR("500"),
    /** 503 overloaded (marker, rate). */
    OVERLOADED("503"),
    /** Held without answer, connection closed after hangMillis (marker, rate). */
    HANG("hang"),
    /** Connection closed without answer (marker, rate). */
    RESET("reset"),
    /** 400 context_length_exceeded (marker, rate, or prompt + max_tokens over the model's window). */
    CONTEXT_LENGTH("context_length"),
    /** 400 content_policy_violation (marker). */
    CONTENT_POLICY("content_policy"),
    /** 401 invalid_api_key (marker, rate, or API key mismatch). */
    UNAUTHORIZED("401"),
    /** 400 invalid_request_error: malformed JSON, missing or invalid field, stream=true. */
    BAD_REQUEST("400"),
    /** The client closed the connection while the simulator was still delaying its answer. */
    CLIENT_CLOSED("client_closed");

    private final String key;

    Outcome(String key) {
        this.key = key;
    }

    /** Key in {@link SimulatorStats#countsByOutcome()}, e.g. "ok", "429", "context_length". */
    public String key() {
        return key;
    }
}
