package io.promptline.serde;

import io.promptline.registry.SchemaRegistryClient;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes Avro specific records in the Confluent wire format: magic byte {@code 0x00}, the
 * schema id as a big-endian int32, then Avro binary. The subject follows TopicNameStrategy:
 * {@code <topic>-value} (or {@code -key}).
 */
public final class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {
    static final byte MAGIC_BYTE = 0x0;

    private SchemaRegistryClient registry;
    private boolean autoRegister = true;
    private boolean isKey;
    private final Map<String, Integer> idBySubject = new ConcurrentHashMap<>();
    private final Map<Schema, SpecificDatumWriter<T>> writers = new ConcurrentHashMap<>();

    /** For Kafka's reflective construction; {@link #configure} must follow. */
    public AvroSerializer() {
    }

    public AvroSerializer(SchemaRegistryClient registry, boolean autoRegister) {
        this.registry = registry;
        this.autoRegister = autoRegister;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        if (registry == null) {
            this.registry = AvroSerdeConfig.clientFrom(configs);
            this.autoRegister = AvroSerdeConfig.autoRegister(configs);
        }
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) return null;
        if (registry == null) {
            throw new IllegalStateException("AvroSerializer is not configured: set " + AvroSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG);
        }
        Schema schema = data.getSchema();
        String subject = topic + (isKey ? "-key" : "-value");
        int id = idBySubject.computeIfAbsent(subject + '\u0000' + schema.getFullName(),
                k -> autoRegister ? registry.register(subject, schema) : registry.lookup(subject, schema));
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(MAGIC_BYTE);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writers.computeIfAbsent(schema, SpecificDatumWriter::new).write(data, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new WireFormatException("Cannot encode " + schema.getName() + " for topic " + topic + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }
}
