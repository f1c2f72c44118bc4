package io.promptline.producer;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.PromptResult;

/** How a request ended: answered (a PromptResult from llm.results) or dead-lettered (a DeadLetter from llm.dlq). */
public sealed interface Outcome {
    String requestId();

    record Answered(PromptResult result) implements Outcome {
        @Override
        public String requestId() {
            return result.getRequestId();
        }
    }

    record DeadLettered(DeadLetter deadLetter) implements Outcome {
        @Override
        public String requestId() {
            return deadLetter.getRequestId();
        }
    }
}
