package io.promptline.processor.provider;

import java.util.concurrent.CompletionStage;

/** Makes chat-completion calls without blocking the caller. The stage always completes normally. */
public interface ChatClient extends AutoCloseable {
    CompletionStage<CallOutcome> call(ChatCall call);

    /**
     * The call, its answer streamed: each piece of text goes to {@code listener} as it arrives, and
     * the stage completes with the whole answer as {@link #call(ChatCall)} would. A client that
     * cannot stream answers whole (the listener then hears nothing).
     */
    default CompletionStage<CallOutcome> call(ChatCall call, StreamListener listener) {
        return call(call);
    }

    /** Provider name recorded on results and used for prices. */
    String provider();

    @Override
    void close();
}
