package io.promptline.serde;

import io.promptline.registry.SchemaRegistryClient;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads Confluent wire-format Avro into a specific record type. The writer schema comes from
 * the registry by the id in the payload (cached); the reader schema is the generated class's,
 * so records written with an older or newer compatible schema resolve to the current class.
 */
public final class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
    private SchemaRegistryClient registry;
    private Schema readerSchema;
    private final Map<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();

    /** For Kafka's reflective construction; reads each record into the class named by its writer schema. */
    public AvroDeserializer() {
    }

    public AvroDeserializer(SchemaRegistryClient registry, Class<T> type) {
        this.registry = registry;
        this.readerSchema = SpecificData.get().getSchema(type);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (registry == null) {
            this.registry = AvroSerdeConfig.clientFrom(configs);
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) return null;
        if (registry == null) {
            throw new IllegalStateException("AvroDeserializer is not configured: set " + AvroSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG);
        }
        if (data.length < 5) {
            throw new WireFormatException("Record on topic " + topic + " has " + data.length
                    + " bytes; a Confluent wire-format payload needs at least 5 (magic byte + schema id)");
        }
        ByteBuffer buf = ByteBuffer.wrap(data);
        byte magic = buf.get();
        if (magic != AvroSerializer.MAGIC_BYTE) {
            throw new WireFormatException(String.format(
                    "Unknown magic byte 0x%02x on topic %s: expected 0x00 (Confluent wire format); was it written without a Schema Registry serializer?",
                    magic & 0xff, topic));
        }
        int id = buf.getInt();
        SpecificDatumReader<T> reader = readers.computeIfAbsent(id, this::readerFor);
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, null);
            return reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new WireFormatException("Cannot decode Avro payload with schema id " + id + " on topic " + topic
                    + ": " + e.getMessage(), e);
        }
    }

    private SpecificDatumReader<T> readerFor(int id) {
        Schema writer = registry.schemaById(id);
        if (readerSchema != null) return new SpecificDatumReader<>(writer, readerSchema);
        Class<?> type = SpecificData.get().getClass(writer);
        if (type == null) {
            throw new WireFormatException("No generated class for writer schema " + writer.getFullName() + " (id " + id + ")");
        }
        return new SpecificDatumReader<>(writer, SpecificData.get().getSchema(type));
    }
}
