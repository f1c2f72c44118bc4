package io.promptline.serde;

import io.promptline.avro.BatchCommand;
import io.promptline.avro.BatchJobStatus;
import io.promptline.avro.CostEvent;
import io.promptline.avro.CostRollup;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.avro.Quota;
import io.promptline.avro.ResultDelta;
import io.promptline.avro.SpendTotal;
import io.promptline.registry.SchemaRegistryClient;

/** The typed serdes of every Promptline value type, sharing one registry client (and so one cache). */
public record PromptlineSerdes(
        SchemaRegistryClient registry,
        AvroSerde<PromptRequest> request,
        AvroSerde<PromptResult> result,
        AvroSerde<CostEvent> cost,
        AvroSerde<DeadLetter> deadLetter,
        AvroSerde<Quota> quota,
        AvroSerde<CostRollup> costRollup,
        AvroSerde<SpendTotal> spend,
        AvroSerde<BatchJobStatus> batchJob,
        AvroSerde<BatchCommand> batchCommand,
        AvroSerde<ResultDelta> delta) {

    public static PromptlineSerdes create(SchemaRegistryClient registry, boolean autoRegister) {
        return new PromptlineSerdes(registry,
                new AvroSerde<>(registry, PromptRequest.class, autoRegister),
                new AvroSerde<>(registry, PromptResult.class, autoRegister),
                new AvroSerde<>(registry, CostEvent.class, autoRegister),
                new AvroSerde<>(registry, DeadLetter.class, autoRegister),
                new AvroSerde<>(registry, Quota.class, autoRegister),
                new AvroSerde<>(registry, CostRollup.class, autoRegister),
                new AvroSerde<>(registry, SpendTotal.class, autoRegister),
                new AvroSerde<>(registry, BatchJobStatus.class, autoRegister),
                new AvroSerde<>(registry, BatchCommand.class, autoRegister),
                new AvroSerde<>(registry, ResultDelta.class, autoRegister));
    }
}
