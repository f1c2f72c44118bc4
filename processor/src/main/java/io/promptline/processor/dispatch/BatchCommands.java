package io.promptline.processor.dispatch;

import io.promptline.avro.BatchCommand;
import io.promptline.processor.batch.BatchJobs;
import io.promptline.processor.output.Origin;
import io.promptline.serde.AvroDeserializer;

/**
 * Operators' commands for a task's batch jobs, read from the batch-commands topic
 * ({@code promptline batches cancel}): CANCEL; an unreadable or unknown command is dead-lettered
 * as malformed. Stream thread only.
 */
final class BatchCommands {
    private final String topic;
    private final AvroDeserializer<BatchCommand> decoder;
    private final RequestEnds ends;
    private final BatchJobs jobs;

    BatchCommands(String topic, AvroDeserializer<BatchCommand> decoder, RequestEnds ends, BatchJobs jobs) {
        this.topic = topic;
        this.decoder = decoder;
        this.ends = ends;
        this.jobs = jobs;
    }

    boolean reads(String recordTopic) {
        return topic.equals(recordTopic);
    }

    void apply(byte[] key, byte[] value, Origin here) {
        BatchCommand command;
        try {
            command = decoder.deserialize(topic, value);
        } catch (RuntimeException e) {
            ends.malformed(key, value, "unreadable batch command: " + e.getMessage(), here);
            return;
        }
        if (command == null || !"CANCEL".equalsIgnoreCase(command.getAction())) {
            ends.malformed(key, value, "unknown batch command " + (command == null ? "(empty)" : command.getAction()) + "; known: CANCEL",
                    here);
            return;
        }
        jobs.cancel(command.getJobId(), command.getRequestedBy() == null ? "an operator" : command.getRequestedBy());
    }
}
