package io.promptline.processor.batch;

import io.promptline.avro.BatchJobStatus;
import io.promptline.avro.ErrorCategory;
import io.promptline.processor.provider.CallOutcome;
import io.vertx.core.json.JsonObject;

/**
 * What a task does with the members of its batch jobs, implemented by the task (which forwards the
 * outputs): where each member ends, and the chat-completions body each member's JSONL line carries.
 */
public interface JobEnds {
    /** The member's line answered: its result and a cost event at the batch price. */
    void answered(byte[] member, CallOutcome.Success answer, BatchJob job);

    /** The member's line was refused for the request itself, or the policy dead-letters it. */
    void deadLetter(byte[] member, ErrorCategory category, Integer httpStatus, String message, BatchJob job);

    /** The member's line did not answer: it is called synchronously (at the full price). */
    void toSync(byte[] member, String reason, BatchJob job);

    /** A job's state changed (published for operators). */
    void status(BatchJobStatus status);

    /** The {@code /v1/chat/completions} body of a member's request, as its JSONL line carries it. */
    JsonObject body(byte[] member);
}
