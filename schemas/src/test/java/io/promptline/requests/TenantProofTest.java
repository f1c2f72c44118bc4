package io.promptline.requests;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TenantProofTest {
    private static final byte[] SECRET = "0123456789abcdef0123".getBytes(StandardCharsets.UTF_8);
    private static final byte[] VALUE = {0, 0, 0, 0, 7, 1, 2, 3};

    @Test
    void shouldHoldOnlyForTheSameSecretTopicAndBytes() {
        byte[] proof = TenantProof.sign(SECRET, "llm.requests.normal", VALUE);
        assertThat(new String(proof, StandardCharsets.US_ASCII)).startsWith("v1:");
        assertThat(TenantProof.verify(SECRET, "llm.requests.normal", VALUE, proof)).isTrue();
        assertThat(TenantProof.verify("another-secret-0123456".getBytes(StandardCharsets.UTF_8), "llm.requests.normal", VALUE, proof)).isFalse();
        assertThat(TenantProof.verify(SECRET, "llm.requests.urgent", VALUE, proof)).as("replayed to another tier").isFalse();
        byte[] changed = VALUE.clone();
        changed[7] = 4;
        assertThat(TenantProof.verify(SECRET, "llm.requests.normal", changed, proof)).as("one byte changed").isFalse();
    }

    @Test
    void shouldRefuseMissingOrGarbledProofsAndShortSecrets() {
        assertThat(TenantProof.verify(SECRET, "t", VALUE, null)).isFalse();
        assertThat(TenantProof.verify(SECRET, "t", VALUE, "v1:not base64!".getBytes(StandardCharsets.US_ASCII))).isFalse();
        assertThat(TenantProof.verify(SECRET, "t", VALUE, "v2:AAAA".getBytes(StandardCharsets.US_ASCII))).isFalse();
        assertThatThrownBy(() -> TenantProof.sign("short".getBytes(StandardCharsets.UTF_8), "t", VALUE)).hasMessageContaining("16 bytes");
    }
}
