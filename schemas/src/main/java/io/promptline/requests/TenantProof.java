package io.promptline.requests;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The proof that a request was published by someone holding its tenant's secret: header {@value
 * #HEADER} = {@code v1:} + base64(HMAC-SHA256(secret, topic + "\n" + value)), over the record's
 * exact value bytes (Confluent wire format: the tenant is inside) and its tier topic (a signed
 * request cannot be replayed to another tier). A Kafka principal that may write the topic but
 * lacks the tenant's secret cannot make one for that tenant, whatever it puts in the record.
 * The producer library signs ({@code PromptlineProducer.Builder#tenantSecret}); a processor in
 * tenant-auth mode checks, and dead-letters a request without a valid proof as UNAUTHORIZED.
 */
public final class TenantProof {
    public static final String HEADER = "promptline.tenant.proof";
    private static final String VERSION = "v1:";
    private static final String ALGORITHM = "HmacSHA256";

    private TenantProof() {
    }

    /** The header value for {@code value} published to {@code topic} by a holder of {@code secret}. */
    public static byte[] sign(byte[] secret, String topic, byte[] value) {
        return (VERSION + Base64.getEncoder().encodeToString(mac(secret, topic, value))).getBytes(StandardCharsets.US_ASCII);
    }

    /** Whether {@code proof} (a header value, may be null) was made with {@code secret} for exactly this topic and value. */
    public static boolean verify(byte[] secret, String topic, byte[] value, byte[] proof) {
        if (proof == null) return false;
        String text = new String(proof, StandardCharsets.US_ASCII);
        if (!text.startsWith(VERSION)) return false;
        byte[] claimed;
        try {
            claimed = Base64.getDecoder().decode(text.substring(VERSION.length()));
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(claimed, mac(secret, topic, value)); // constant time
    }

    /**
     * Reads a tenant secrets file: {@code tenant=base64 secret} lines (a mounted Kubernetes Secret),
     * as the processor ({@code promptline.tenant.auth.secrets.file}) and the CLI
     * ({@code PROMPTLINE_TENANT_AUTH_SECRETS_FILE}) take it. Never logged.
     */
    public static Map<String, byte[]> readSecrets(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the tenant secrets file " + file + ": " + e.getMessage(), e);
        }
        Map<String, byte[]> secrets = new HashMap<>();
        for (String tenant : p.stringPropertyNames()) {
            try {
                secrets.put(tenant, Base64.getDecoder().decode(p.getProperty(tenant).trim()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the secret of tenant " + tenant + " in " + file + " is not base64");
            }
        }
        return secrets;
    }

    private static byte[] mac(byte[] secret, String topic, byte[] value) {
        if (secret == null || secret.length < 16) throw new IllegalArgumentException("a tenant secret must have at least 16 bytes");
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(secret, ALGORITHM));
            mac.update(topic.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) '\n');
            return mac.doFinal(value == null ? new byte[0] : value);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available: " + e, e);
        }
    }
}
