package io.promptline.processor.intake;

import io.promptline.requests.TenantProof;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.nio.file.Path;
import java.util.Map;

/**
 * Tenant authorization: every request of a tier must carry a {@link TenantProof} made with its
 * tenant's secret for the tier's topic, or it is dead-lettered as UNAUTHORIZED before anything
 * else happens to it (no claim of its request_id, no rate-limit turn, no call, no cost). A request
 * the processor itself sends through the delay ladder is signed again on the way (the processor
 * holds every tenant's secret), so it passes the check when it comes back. Thread-safe (immutable).
 */
public final class TenantAuth {
    private final Map<String, byte[]> secrets;
    /** The tier topic the proofs are made for (null until {@link #forTopic}). */
    private final String topic;

    public TenantAuth(Map<String, byte[]> secrets) {
        this(validated(secrets), null);
    }

    private TenantAuth(Map<String, byte[]> secrets, String topic) {
        this.secrets = secrets;
        this.topic = topic;
    }

    private static Map<String, byte[]> validated(Map<String, byte[]> secrets) {
        if (secrets.isEmpty()) throw new IllegalArgumentException("tenant auth needs at least one tenant secret");
        secrets.forEach((t, s) -> {
            if (s.length < 16) throw new IllegalArgumentException("the secret of tenant " + t + " has " + s.length + " bytes; at least 16 are needed");
        });
        return Map.copyOf(secrets);
    }

    /** The same secrets, checking proofs made for one tier's topic (the topic is fixed here, never taken from the record). */
    public TenantAuth forTopic(String tierTopic) {
        return new TenantAuth(secrets, tierTopic);
    }

    /**
     * Reads {@code tenant=base64 secret} lines (a mounted Kubernetes Secret, a properties file);
     * the secrets are never logged.
     */
    public static TenantAuth fromFile(Path file) {
        return new TenantAuth(TenantProof.readSecrets(file));
    }

    /** Why the request's proof does not hold, or null when it does. */
    public String refusal(String tenant, byte[] value, Headers headers) {
        byte[] secret = secrets.get(tenant);
        if (secret == null) return "tenant '" + tenant + "' has no secret configured (promptline.tenant.auth.secrets.file)";
        Header proof = headers.lastHeader(TenantProof.HEADER);
        if (proof == null) return "no " + TenantProof.HEADER + " header: publish with the tenant's secret (PromptlineProducer.Builder#tenantSecret)";
        if (!TenantProof.verify(secret, topic, value, proof.value())) {
            return TenantProof.HEADER + " does not match tenant '" + tenant + "' and this request on " + topic;
        }
        return null;
    }

    /** The proof of a request the processor sends on (through the ladder) to come back to its tier's topic. */
    public byte[] sign(String tenant, byte[] value) {
        byte[] secret = secrets.get(tenant);
        if (secret == null) throw new IllegalStateException("no secret for tenant " + tenant + " (its request was admitted without one)");
        return TenantProof.sign(secret, topic, value);
    }
}
