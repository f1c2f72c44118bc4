package io.promptline.processor.dispatch;

/** A finished call, handed from a Vert.x thread to the stream thread that owns its task. */
public record Completion(String requestId, int attempt, long startedAt, CallOutcome outcome) {
}
