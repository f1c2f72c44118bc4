package io.promptline.processor.intake;

import io.promptline.avro.PromptRequest;
import io.promptline.processor.output.Origin;
import io.promptline.processor.retry.RetryHeaders;
import io.promptline.registry.RegistryException;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.serde.AvroDeserializer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;

/**
 * Turns a tier topic's record (bytes, as read) into a request and, when it comes back from the
 * delay ladder, its retry state. A record that is not a PromptRequest in the Confluent wire format
 * (bad bytes, an unknown schema id, a null value, unreadable retry headers) is {@link Malformed},
 * with the reason, for the DLQ; one larger than the limit is {@link Oversized}, so that nothing
 * the task writes for it (pending entry, ladder record, dead letter) can exceed what Kafka takes.
 * A registry that is down or refuses is not the record's fault: that error is thrown, the task
 * fails and reads the record again, and nothing is lost.
 */
public final class RequestDecoder {
    /** What a record turned out to be. */
    public sealed interface Intake {
    }

    /** @param back the retry state when the record comes back from the delay ladder, else null */
    public record Decoded(PromptRequest request, RetryHeaders.State back) implements Intake {
    }

    public record Malformed(String reason) implements Intake {
    }

    /** @param request the request if it decodes, else null */
    public record Oversized(PromptRequest request, int bytes, int limit) implements Intake {
        public String reason() {
            return "request of " + bytes + " bytes exceeds the limit of " + limit + " bytes (promptline.processor.max.request.bytes)";
        }
    }

    private final AvroDeserializer<PromptRequest> decoder;
    private final int maxBytes;

    public RequestDecoder(SchemaRegistryClient registry, int maxBytes) {
        this.decoder = new AvroDeserializer<>(registry, PromptRequest.class);
        this.maxBytes = maxBytes;
    }

    public Intake decode(byte[] value, Headers headers, Origin origin) {
        if (value != null && value.length > maxBytes) return oversized(value, origin);
        PromptRequest request;
        RetryHeaders.State back;
        try {
            request = value == null ? null : decoder.deserialize(origin.topic(), value);
            back = RetryHeaders.read(headers);
        } catch (RegistryException e) {
            if (!(e instanceof RegistryException.UnknownSchemaId)) throw e;
            return new Malformed(e.getMessage());
        } catch (SerializationException | IllegalArgumentException e) {
            return new Malformed(e.getMessage());
        }
        if (request == null) return new Malformed("record value is null; a PromptRequest is required");
        return new Decoded(request, back);
    }

    private Oversized oversized(byte[] value, Origin origin) {
        try {
            return new Oversized(decoder.deserialize(origin.topic(), value), value.length, maxBytes);
        } catch (RegistryException e) {
            if (!(e instanceof RegistryException.UnknownSchemaId)) throw e;
            return new Oversized(null, value.length, maxBytes);
        } catch (SerializationException | IllegalArgumentException e) {
            return new Oversized(null, value.length, maxBytes);
        }
    }

    /** The tenant of a record, or null when it is not a request this decoder can read (it is then dealt with where it is). */
    public String tenant(byte[] value, String topic) {
        if (value == null || value.length > maxBytes) return null;
        try {
            return decoder.deserialize(topic, value).getTenant();
        } catch (RegistryException e) {
            if (!(e instanceof RegistryException.UnknownSchemaId)) throw e;
            return null;
        } catch (SerializationException | IllegalArgumentException e) {
            return null;
        }
    }

    /** Decodes the request bytes of a stored entry (their schema id is looked up like any record's). */
    public PromptRequest request(String topic, byte[] wire) {
        return decoder.deserialize(topic, wire);
    }
}
