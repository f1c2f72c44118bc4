package io.promptline.ops.simulator;

/** A request the simulator rejects with 400 invalid_request_error; {@link #param()} names the field. */
final class InvalidRequestException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String param;

    InvalidRequestException(String param, String message) {
        super(message, null, false, false);
        this.param = param;
    }

    /** The offending field (OpenAI's "param"), or null for a body that is not JSON. */
    String param() {
        return param;
    }
}
