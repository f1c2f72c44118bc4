package io.promptline.serde;

import io.promptline.registry.SchemaRegistryClient;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;

/** Kafka Streams Serde for a generated Avro type over the Confluent wire format. */
public final class AvroSerde<T extends SpecificRecord> extends Serdes.WrapperSerde<T> {
    public AvroSerde(SchemaRegistryClient registry, Class<T> type, boolean autoRegister) {
        super(new AvroSerializer<>(registry, autoRegister), new AvroDeserializer<>(registry, type));
    }
}
