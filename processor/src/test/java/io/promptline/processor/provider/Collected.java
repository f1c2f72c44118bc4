package io.promptline.processor.provider;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link StreamListener} that keeps what it heard, for tests: the pieces in order, and each end's finish reason. */
final class Collected implements StreamListener {
    final List<String> pieces = new CopyOnWriteArrayList<>();
    final List<String> ends = new CopyOnWriteArrayList<>();

    @Override
    public void piece(String text) {
        pieces.add(text);
    }

    @Override
    public void end(String finishReason) {
        ends.add(finishReason);
    }
}
