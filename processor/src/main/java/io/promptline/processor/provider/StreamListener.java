package io.promptline.processor.provider;

/**
 * Where the pieces of a streamed answer go as they arrive: called on an event-loop thread, in
 * order, so it must not block. {@link #end} comes only after a stream that finished (the provider
 * said why it stopped); a stream cut short ends its call as a failure, to be made again.
 */
public interface StreamListener {
    /** Text the answer gained (never empty). */
    void piece(String text);

    /** The answer is complete; {@code finishReason} in OpenAI's terms (stop, length, tool_calls, content_filter). */
    void end(String finishReason);
}
