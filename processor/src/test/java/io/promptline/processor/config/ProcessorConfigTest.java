package io.promptline.processor.config;

import io.promptline.avro.Priority;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProcessorConfigTest {
    @TempDir
    Path dir;

    @Test
    void shouldReadTheFileThenLetTheEnvironmentOverride() throws Exception {
        Path file = dir.resolve("p.properties");
        Files.writeString(file, "bootstrap.servers=file:9092\nschema.registry.url=http://file:8081\n"
                + "promptline.processor.max.in.flight=64\nkafka.linger.ms=20\n");
        ProcessorConfig c = ProcessorConfig.load(file, Map.of("PROMPTLINE_BOOTSTRAP_SERVERS", "env:9092",
                "PROMPTLINE_LLM_BASE_URL", "https://api.example.com/v1/"));

        assertThat(c.bootstrapServers()).isEqualTo("env:9092");
        assertThat(c.maxInFlight()).isEqualTo(64);
        assertThat(c.llmBaseUrl()).isEqualTo("https://api.example.com/v1");
        assertThat(c.kafkaOverrides()).containsEntry("linger.ms", "20");
        assertThat(c.tiers()).containsExactly(Priority.URGENT, Priority.NORMAL, Priority.BATCH);
        assertThat(c.applicationId(Priority.BATCH)).isEqualTo("promptline-processor-batch");
    }

    @Test
    void shouldReadTheApiKeyFromAFileAndNeverPrintIt() throws Exception {
        Path secret = dir.resolve("key");
        Files.writeString(secret, "sk-very-secret\n");
        ProcessorConfig c = ProcessorConfig.load(null, Map.of("PROMPTLINE_BOOTSTRAP_SERVERS", "b:9092",
                "PROMPTLINE_SCHEMA_REGISTRY_URL", "http://r:8081", "PROMPTLINE_LLM_API_KEY_FILE", secret.toString()));

        assertThat(c.llmApiKey().value()).isEqualTo("sk-very-secret");
        assertThat(c.llmApiKey().toString()).doesNotContain("sk-very-secret");
        assertThat(c.values().toString()).doesNotContain("sk-very-secret");
    }

    @Test
    void shouldRejectBadValuesNamingTheKey() {
        Map<String, String> base = Map.of("bootstrap.servers", "b:9092", "schema.registry.url", "http://r:8081");
        assertThatThrownBy(() -> new ProcessorConfig(with(base, "promptline.processor.max.in.flight", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("promptline.processor.max.in.flight");
        assertThatThrownBy(() -> new ProcessorConfig(with(base, "promptline.processor.tiers", "URGENT,SOMETIMES")))
                .hasMessageContaining("unknown tier 'SOMETIMES'");
        assertThatThrownBy(() -> new ProcessorConfig(with(base, "promptline.llm.base.url", "api.openai.com")))
                .hasMessageContaining("promptline.llm.base.url");
        assertThatThrownBy(() -> new ProcessorConfig(with(base, "promptline.routing.task.types", "code")))
                .hasMessageContaining("task_type=model");
        assertThatThrownBy(() -> new ProcessorConfig(Map.of("schema.registry.url", "http://r:8081")))
                .hasMessageContaining("bootstrap.servers");
    }

    @Test
    void shouldCheckTheApiOfEveryEndpointAgainstItsBaseUrl() {
        Map<String, String> base = Map.of("bootstrap.servers", "b:9092", "schema.registry.url", "http://r:8081");
        Map<String, String> anthropic = with(with(base, "promptline.llm.api", "anthropic"), "promptline.llm.base.url", "https://api.anthropic.com/v1");
        assertThat(new ProcessorConfig(anthropic).llmApi().name()).isEqualTo("anthropic");
        assertThat(new ProcessorConfig(base).llmApi().name()).as("the default").isEqualTo("openai");
        assertThatThrownBy(() -> new ProcessorConfig(with(base, "promptline.llm.api", "bedrock")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("promptline.llm.api");
        assertThatThrownBy(() -> new ProcessorConfig(with(with(base, "promptline.llm.api", "azure"), "promptline.llm.base.url",
                "https://x.openai.azure.com/openai/deployments/gpt-4o"))).hasMessageContaining("promptline.llm.base.url")
                .hasMessageContaining("api-version");
        assertThatThrownBy(() -> new ProcessorConfig(with(anthropic, "promptline.processor.batch.api.mode", "opt-in")))
                .hasMessageContaining("promptline.processor.batch.api.mode").hasMessageContaining("the Batch API is OpenAI's");
        Map<String, String> fallbacks = with(base, "promptline.llm.fallback.base.urls", "https://api.anthropic.com/v1,https://b/v1");
        assertThat(new ProcessorConfig(with(fallbacks, "promptline.llm.fallback.apis", "anthropic,openai")).fallbackEndpoints())
                .extracting(f -> f.api().name()).containsExactly("anthropic", "openai");
        assertThatThrownBy(() -> new ProcessorConfig(with(fallbacks, "promptline.llm.fallback.apis", "anthropic")))
                .hasMessageContaining("promptline.llm.fallback.apis").hasMessageContaining("one API per entry");
        assertThatThrownBy(() -> new ProcessorConfig(with(fallbacks, "promptline.llm.fallback.apis", "anthropic,grok")))
                .hasMessageContaining("'grok' is not one of");
    }

    private static Map<String, String> with(Map<String, String> base, String k, String v) {
        var m = new java.util.HashMap<>(base);
        m.put(k, v);
        return m;
    }
}
