package io.promptline.ops.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What ops/run-local.sh runs, driven in-process on free ports: a broker process, registry,
 * simulator, PostgreSQL, processor and sink start; a sample workload completes; everything stops.
 */
class LocalStackIntegrationTest {
    @TempDir
    Path dir;



    @Test
    void shouldRunTheSampleWorkloadToCompletionAndStopEverything() throws Exception {
        int kafkaPort = Ports.freePair();
        LocalStackSettings settings = LocalStackSettings.parse(new String[]{"--requests", "40", "--timeout-seconds", "120"}, Map.of(
                "PROMPTLINE_LOCAL_DIR", dir.toString(),
                "PROMPTLINE_LOCAL_KAFKA_PORT", String.valueOf(kafkaPort),
                "PROMPTLINE_LOCAL_REGISTRY_PORT", String.valueOf(Ports.free()),
                "PROMPTLINE_LOCAL_SIMULATOR_PORT", String.valueOf(Ports.free()),
                "PROMPTLINE_LOCAL_POSTGRES_PORT", String.valueOf(Ports.free()),
                "PROMPTLINE_SIMULATOR_LATENCY", "fixed:50"));
        assertThat(settings.realProvider()).isFalse();

        try (LocalStack stack = new LocalStack(settings)) {
            stack.startAll();
            assertThat(stack.runWorkload()).as("every sample request ends in a result or a dead letter").isTrue();
            assertThat(Files.exists(dir.resolve("registry").resolve("registry-log.jsonl"))).as("registry is durable").isTrue();
        }

        // Then the broker process is gone: its port refuses connections
        assertThatThrownBy(() -> new Socket("127.0.0.1", kafkaPort).close()).isInstanceOf(java.net.ConnectException.class);
    }

    @Test
    void shouldRefuseABaseUrlWithoutAKeyAndNeverPrintTheKey() {
        assertThatThrownBy(() -> LocalStackSettings.parse(new String[0], Map.of("PROMPTLINE_LLM_BASE_URL", "https://api.example.com/v1")))
                .hasMessageContaining("PROMPTLINE_LLM_API_KEY");
        LocalStackSettings real = LocalStackSettings.parse(new String[0], Map.of(
                "PROMPTLINE_LLM_BASE_URL", "https://api.example.com/v1", "PROMPTLINE_LLM_API_KEY", "sk-secret-123"));
        assertThat(real.realProvider()).isTrue();
        assertThat(real.provider()).isEqualTo("example");
        assertThat(real.requests()).isEqualTo(10);
        assertThat(real.toString()).doesNotContain("sk-secret-123");
        assertThatThrownBy(() -> LocalStackSettings.parse(new String[]{"--requests", "many"}, Map.of()))
                .hasMessageContaining("--requests");
        assertThat(real.api()).as("the API when none is named").isEqualTo("openai");
        LocalStackSettings claude = LocalStackSettings.parse(new String[0], Map.of("PROMPTLINE_LLM_BASE_URL", "https://api.anthropic.com/v1",
                "PROMPTLINE_LLM_API_KEY", "sk-ant", "PROMPTLINE_LLM_API", "anthropic"));
        assertThat(claude.api()).isEqualTo("anthropic");
        assertThat(claude.provider()).isEqualTo("anthropic");
    }
}
