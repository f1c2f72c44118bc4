package io.promptline.producer;

import io.promptline.avro.PromptRequest;
import io.promptline.requests.TenantProof;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

import java.util.Map;

/**
 * Serializes a request and, for a tenant whose secret this producer holds, adds its {@link
 * TenantProof} over the exact bytes written (the serializer is the one place that has them and may
 * still add headers). Requests of other tenants go unsigned (a processor in tenant-auth mode
 * dead-letters them as UNAUTHORIZED).
 */
public final class TenantSigning implements Serializer<PromptRequest> {
    private final Serializer<PromptRequest> avro;
    private final Map<String, byte[]> secrets;

    public TenantSigning(Serializer<PromptRequest> avro, Map<String, byte[]> secrets) {
        this.avro = avro;
        this.secrets = Map.copyOf(secrets);
    }

    @Override
    public byte[] serialize(String topic, PromptRequest request) {
        return avro.serialize(topic, request);
    }

    @Override
    public byte[] serialize(String topic, Headers headers, PromptRequest request) {
        byte[] value = avro.serialize(topic, headers, request);
        byte[] secret = request == null ? null : secrets.get(request.getTenant());
        if (secret != null) {
            headers.remove(TenantProof.HEADER);
            headers.add(TenantProof.HEADER, TenantProof.sign(secret, topic, value));
        }
        return value;
    }

    @Override
    public void close() {
        avro.close();
    }
}
