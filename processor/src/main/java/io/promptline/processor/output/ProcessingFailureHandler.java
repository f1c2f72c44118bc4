package io.promptline.processor.output;

import io.promptline.avro.ErrorCategory;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Kafka Streams' processing exception handler of a tier: a record whose processing threw goes to
 * the DLQ as MALFORMED_INPUT with its raw bytes and the exception, and its partition goes on. The
 * registry or broker being unreachable fails the thread instead (the record is read again). A
 * punctuation that throws fails the thread too: its task's pending calls are recovered.
 */
public final class ProcessingFailureHandler implements ProcessingExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(ProcessingFailureHandler.class);
    private FailureHandlers handlers;

    @Override
    public void configure(Map<String, ?> configs) {
        handlers = FailureHandlers.from(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        if (FailureHandlers.transientFailure(exception) || context.sourceRawValue() == null && record == null) {
            log.error("Task {} at {}-{}@{}: {} failed ({}); the stream thread restarts and tries again", context.taskId(), context.topic(),
                    context.partition(), context.offset(), context.processorNodeId(), FailureHandlers.describe(exception));
            return Response.fail();
        }
        String reason = "processing failed at " + context.processorNodeId() + ": " + FailureHandlers.describe(exception);
        log.error("Record {}-{}@{} of task {} goes to the DLQ: {}", context.topic(), context.partition(), context.offset(), context.taskId(),
                reason, exception);
        return Response.resume(handlers.deadLetter(context, ErrorCategory.MALFORMED_INPUT, reason));
    }
}
