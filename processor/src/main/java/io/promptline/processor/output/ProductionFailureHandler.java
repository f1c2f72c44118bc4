package io.promptline.processor.output;

import io.promptline.avro.ErrorCategory;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Kafka Streams' production exception handler of a tier. An output that cannot be serialized
 * dead-letters the record being processed (with its bytes and the reason), and the partition goes
 * on. A send the broker or the client refuses fails the thread: under exactly-once such an error
 * aborts the transaction anyway, so the task is recovered and tries again; records too large to
 * send are kept out at intake (promptline.processor.max.request.bytes) for this reason.
 */
public final class ProductionFailureHandler implements ProductionExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(ProductionFailureHandler.class);
    private FailureHandlers handlers;

    @Override
    public void configure(Map<String, ?> configs) {
        handlers = FailureHandlers.from(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
        log.error("Task {}: sending to {} failed ({}); the task restarts from its last commit", context.taskId(), record.topic(),
                FailureHandlers.describe(exception));
        return Response.fail();
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record, Exception exception,
                                             SerializationExceptionOrigin origin) {
        if (FailureHandlers.transientFailure(exception) || context.sourceRawValue() == null) {
            log.error("Task {}: an output for {} cannot be serialized ({}); the task restarts and tries again", context.taskId(),
                    record.topic(), FailureHandlers.describe(exception));
            return Response.fail();
        }
        String reason = "its output to " + record.topic() + " cannot be serialized (" + origin + "): " + FailureHandlers.describe(exception);
        log.error("Record {}-{}@{} goes to the DLQ: {}", context.topic(), context.partition(), context.offset(), reason, exception);
        return Response.resume(handlers.deadLetter(context, ErrorCategory.MALFORMED_INPUT, reason));
    }
}
