package io.promptline.processor.provider;

import java.util.concurrent.CompletionStage;

/** Makes chat-completion calls without blocking the caller. The stage always completes normally. */
public interface ChatClient extends AutoCloseable {
    CompletionStage<CallOutcome> call(ChatCall call);

    /** Provider name recorded on results and used for prices. */
    String provider();

    @Override
    void close();
}
