package io.promptline.processor.provider;

/**
 * A finished call, handed from a Vert.x thread to the stream thread that owns its task.
 *
 * @param provider         the provider that was called (a fallback endpoint's, if one was used)
 * @param fallbackReason   why a fallback endpoint was called instead of the primary, or null
 * @param endpointAnswers  how many calls the endpoint had answered when this one ended (tells whether it answered
 *                         others between two refusals of one request)
 */
public record Completion(String requestId, int attempt, long startedAt, CallOutcome outcome, String provider,
                         String fallbackReason, long endpointAnswers) {
    public Completion(String requestId, int attempt, long startedAt, CallOutcome outcome, String provider, String fallbackReason) {
        this(requestId, attempt, startedAt, outcome, provider, fallbackReason, 0);
    }
}
