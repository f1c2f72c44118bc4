package io.promptline.serde;

import io.promptline.requests.Messages;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.ops.registry.RegistryConfig;
import io.promptline.ops.registry.SchemaRegistryServer;
import io.promptline.registry.RegistryException;
import io.promptline.registry.RestSchemaRegistryClient;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The serdes against a real registry server speaking the Confluent REST protocol. */
class ConfluentWireFormatTest {
    private static SchemaRegistryServer registry;

    @BeforeAll
    static void startRegistry() {
        registry = SchemaRegistryServer.start(RegistryConfig.builder().build());
    }

    @AfterAll
    static void stopRegistry() {
        registry.close();
    }

    private static String topic() {
        return "wire-" + UUID.randomUUID();
    }

    static PromptRequest request(String id) {
        return PromptRequest.newBuilder().setRequestId(id).setTenant("acme").setPriority(Priority.NORMAL)
                .setMessages(List.of(Messages.text("user", "hello"))).setCreatedAt(Instant.ofEpochMilli(1_700_000_000_000L))
                .setMetadata(Map.of("k", "v")).build();
    }

    @Test
    void shouldWriteMagicByteSchemaIdAndAvroAndReadItBack() {
        String topic = topic();
        var client = new RestSchemaRegistryClient(registry.url());
        AvroSerializer<PromptRequest> ser = new AvroSerializer<>(client, true);
        byte[] bytes = ser.serialize(topic, request("r1"));

        // Given the subject follows TopicNameStrategy, the id in bytes 1-4 is the one registered under <topic>-value.
        int id = client.lookup(topic + "-value", PromptRequest.getClassSchema());
        assertThat(bytes[0]).isEqualTo((byte) 0);
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);

        // A fresh client (empty cache) resolves the id through GET /schemas/ids/{id}.
        var reader = new AvroDeserializer<>(new RestSchemaRegistryClient(registry.url()), PromptRequest.class);
        assertThat(reader.deserialize(topic, bytes)).isEqualTo(request("r1"));
    }

    @Test
    void shouldConfigureFromKafkaPropertiesLikeConfluentSerializers() {
        String topic = topic();
        AvroSerializer<PromptRequest> ser = new AvroSerializer<>();
        ser.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url()), false);
        AvroDeserializer<PromptRequest> de = new AvroDeserializer<>();
        de.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url()), false);

        assertThat(de.deserialize(topic, ser.serialize(topic, request("r2"))).getRequestId()).isEqualTo("r2");
    }

    @Test
    void shouldNameAnUnknownMagicByte() {
        var de = new AvroDeserializer<>(new RestSchemaRegistryClient(registry.url()), PromptRequest.class);
        assertThatThrownBy(() -> de.deserialize("t", "{\"json\":true}".getBytes()))
                .isInstanceOf(WireFormatException.class).hasMessageContaining("Unknown magic byte 0x7b").hasMessageContaining("topic t");
        assertThatThrownBy(() -> de.deserialize("t", new byte[]{0, 1}))
                .isInstanceOf(WireFormatException.class).hasMessageContaining("2 bytes");
    }

    @Test
    void shouldNameAnUnknownSchemaId() {
        var de = new AvroDeserializer<>(new RestSchemaRegistryClient(registry.url()), PromptRequest.class);
        byte[] bytes = ByteBuffer.allocate(6).put((byte) 0).putInt(987_654).put((byte) 0).array();
        assertThatThrownBy(() -> de.deserialize("t", bytes))
                .isInstanceOf(RegistryException.UnknownSchemaId.class).hasMessageContaining("987654")
                .hasMessageContaining(registry.url());
    }

    @Test
    void shouldNameTheUrlOfAnUnreachableRegistry() throws Exception {
        int freePort;
        try (ServerSocket s = new ServerSocket(0)) {
            freePort = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + freePort;
        AvroSerializer<PromptRequest> ser = new AvroSerializer<>(new RestSchemaRegistryClient(url), true);
        assertThatThrownBy(() -> ser.serialize(topic(), request("r3")))
                .isInstanceOf(RegistryException.Unreachable.class).hasMessageContaining(url).hasMessageContaining("unreachable");
    }

    @Test
    void shouldRequireRegistrationWhenAutoRegisterIsOff() {
        String topic = topic();
        var client = new RestSchemaRegistryClient(registry.url());
        AvroSerializer<PromptRequest> strict = new AvroSerializer<>(client, false);
        assertThatThrownBy(() -> strict.serialize(topic, request("r4")))
                .isInstanceOf(RegistryException.NotRegistered.class).hasMessageContaining(topic + "-value")
                .hasMessageContaining("auto.register.schemas is false");

        int id = client.register(topic + "-value", PromptRequest.getClassSchema());
        byte[] bytes = new AvroSerializer<PromptRequest>(new RestSchemaRegistryClient(registry.url()), false).serialize(topic, request("r4"));
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
    }

    @Test
    void shouldRefuseAnIncompatibleSchemaWith409() {
        String subject = topic() + "-value";
        var client = new RestSchemaRegistryClient(registry.url());
        client.register(subject, PromptRequest.getClassSchema());
        Schema incompatible = new Schema.Parser().parse(PromptRequest.getClassSchema().toString()
                .replace("{\"name\":\"tenant\"", "{\"name\":\"region\",\"type\":\"string\"},{\"name\":\"tenant\""));

        assertThat(client.isCompatible(subject, incompatible)).isFalse();
        assertThatThrownBy(() -> client.register(subject, incompatible))
                .isInstanceOf(RegistryException.IncompatibleSchema.class)
                .hasMessageContaining(subject)
                .satisfies(e -> assertThat(((RegistryException) e).errorCode()).isEqualTo(409));
    }

    @Test
    void shouldReadRecordsWrittenWithAnOlderCompatibleSchema() throws Exception {
        // Given a writer schema from before `fallback_reason`, `metadata`, `usage.estimated`, the billing mode and the cache writes existed
        String topic = topic();
        Schema current = PromptResult.getClassSchema();
        Schema currentUsage = current.getField("usage").schema();
        Schema oldUsage = Schema.createRecord(currentUsage.getName(), currentUsage.getDoc(), currentUsage.getNamespace(), false,
                currentUsage.getFields().stream().filter(f -> !f.name().equals("estimated") && !f.name().equals("cache_write_tokens")).map(f -> new Schema.Field(f, f.schema())).toList());
        List<Schema.Field> fields = current.getFields().stream()
                .filter(f -> !List.of("fallback_reason", "metadata", "calls_unconfirmed", "billing_mode", "batch_id", "tool_calls", "refusal")
                        .contains(f.name()))
                .map(f -> f.name().equals("usage") ? new Schema.Field(f, oldUsage) : new Schema.Field(f, f.schema())).toList();
        Schema old = Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false, fields);
        assertThat(old.getField("metadata")).isNull();
        var client = new RestSchemaRegistryClient(registry.url());
        int id = client.register(topic + "-value", old);

        GenericRecord usage = new GenericData.Record(old.getField("usage").schema());
        usage.put("prompt_tokens", 10L);
        usage.put("completion_tokens", 5L);
        usage.put("cached_tokens", 0L);
        usage.put("reasoning_tokens", 0L);
        GenericRecord r = new GenericData.Record(old);
        r.put("request_id", "old-1");
        r.put("tenant", "acme");
        r.put("priority", new GenericData.EnumSymbol(old.getField("priority").schema(), "BATCH"));
        r.put("model", "gpt-4.1");
        r.put("provider", "openai");
        r.put("usage", usage);
        r.put("attempts", 1);
        r.put("queue_time_ms", 3L);
        r.put("call_latency_ms", 4L);
        r.put("completed_at", 1_700_000_000_000L);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(old).write(r, enc);
        enc.flush();

        // When read with today's class, the new fields take their defaults
        PromptResult read = new AvroDeserializer<>(client, PromptResult.class).deserialize(topic, out.toByteArray());
        assertThat(read.getRequestId()).isEqualTo("old-1");
        assertThat(read.getPriority()).isEqualTo(Priority.BATCH);
        assertThat(read.getMetadata()).isEmpty();
        assertThat(read.getFallbackReason()).isNull();
        assertThat(read.getUsage().getPromptTokens()).isEqualTo(10L);
        assertThat(read.getUsage().getEstimated()).isFalse();
        assertThat(read.getUsage().getCacheWriteTokens()).isZero();
        assertThat(read.getBillingMode()).isEqualTo(io.promptline.avro.BillingMode.SYNC);
        assertThat(read.getCallsUnconfirmed()).isZero();
        assertThat(read.getBatchId()).isNull();
        assertThat(read.getToolCalls()).isEmpty();
        assertThat(read.getRefusal()).isNull();
    }
}
