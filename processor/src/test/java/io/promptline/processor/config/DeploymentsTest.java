package io.promptline.processor.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeploymentsTest {
    @TempDir
    Path dir;

    private Path file(String json) throws Exception {
        Path f = dir.resolve("deployments.json");
        Files.writeString(f, json);
        return f;
    }

    @Test
    void shouldReadDeploymentsWithKeysFromTheEnvironmentAndFiles() throws Exception {
        Path keyFile = dir.resolve("key-b");
        Files.writeString(keyFile, "sk-b\n");
        Deployments d = Deployments.load(file("""
                {"deployments": [
                  {"name": "a", "provider": "openai", "base_url": "https://api.openai.com/v1", "api_key_env": "KEY_A",
                   "models": ["gpt-4.1"], "rpm": 600, "tpm": 100000, "max_concurrency": 64, "urgent_reserve": 0.25},
                  {"name": "b", "provider": "azure", "base_url": "https://x.openai.azure.com/openai", "api_key_file": "%s"}
                ]}""".formatted(keyFile)), Map.of("KEY_A", "sk-a"));

        assertThat(d.all()).hasSize(2);
        Deployments.Deployment a = d.all().get(0);
        assertThat(a.apiKey()).isEqualTo("sk-a");
        assertThat(a.rpm()).isEqualTo(600);
        assertThat(a.urgentReserve()).isEqualTo(0.25);
        assertThat(a.toString()).doesNotContain("sk-a").contains("****");
        assertThat(d.all().get(1).apiKey()).isEqualTo("sk-b");
        assertThat(d.all().get(1).urgentReserve()).isEqualTo(0.2);
        assertThat(d.serving("gpt-4.1")).extracting(Deployments.Deployment::name).containsExactly("a", "b");
        assertThat(d.serving("claude-sonnet-4.5")).extracting(Deployments.Deployment::name).containsExactly("b");
        assertThat(a.api().name()).as("the API when none is named").isEqualTo("openai");
    }

    @Test
    void shouldReadTheApiOfEachDeploymentAndCheckItsBaseUrl() throws Exception {
        Deployments d = Deployments.load(file("""
                {"deployments": [
                  {"name": "claude", "provider": "anthropic", "api": "anthropic", "base_url": "https://api.anthropic.com/v1", "api_key_env": "K"},
                  {"name": "eu", "provider": "azure", "api": "azure", "api_key_env": "K",
                   "base_url": "https://eu.openai.azure.com/openai/deployments/gpt-4o?api-version=2024-10-21"}
                ]}"""), Map.of("K", "secret"));
        assertThat(d.all()).extracting(x -> x.api().name()).containsExactly("anthropic", "azure");
        assertThat(d.all().get(1).toString()).contains("(azure)").doesNotContain("secret");
        assertThatThrownBy(() -> Deployments.load(file("""
                {"deployments": [{"name": "eu", "provider": "azure", "api": "azure", "base_url": "https://eu.openai.azure.com/openai/deployments/x"}]}"""),
                Map.of())).hasMessageContaining("deployment 'eu'").hasMessageContaining("api-version");
        assertThatThrownBy(() -> Deployments.load(file("""
                {"deployments": [{"name": "b", "provider": "aws", "api": "bedrock", "base_url": "https://b"}]}"""), Map.of()))
                .hasMessageContaining("deployment 'b'").hasMessageContaining("unknown provider API 'bedrock'");
    }

    @Test
    void shouldNameTheDeploymentAndFieldOfEveryMistake() throws Exception {
        String base = "{\"name\": \"a\", \"provider\": \"openai\", \"base_url\": \"https://h/v1\"";
        assertThatThrownBy(() -> Deployments.load(file("{\"deployments\": []}"), Map.of())).hasMessageContaining("non-empty \"deployments\"");
        assertThatThrownBy(() -> Deployments.load(file("{\"deployments\": [" + base + ", \"rpm\": -1}]}"), Map.of()))
                .hasMessageContaining("deployment 'a'").hasMessageContaining("'rpm' must be a whole number >= 0");
        assertThatThrownBy(() -> Deployments.load(file("{\"deployments\": [" + base + ", \"api_key\": \"sk\"}]}"), Map.of()))
                .hasMessageContaining("keys are not kept in the file");
        assertThatThrownBy(() -> Deployments.load(file("{\"deployments\": [" + base + ", \"api_key_env\": \"NOPE\"}]}"), Map.of()))
                .hasMessageContaining("NOPE (api_key_env) is not set");
        assertThatThrownBy(() -> Deployments.load(file("{\"deployments\": [" + base + ", \"rmp\": 5}]}"), Map.of()))
                .hasMessageContaining("unknown field 'rmp'");
        assertThatThrownBy(() -> Deployments.load(file("{\"deployments\": [" + base + "}, " + base + "}]}"), Map.of()))
                .hasMessageContaining("used twice");
        assertThatThrownBy(() -> Deployments.load(file("{\"deployments\": [" + base + ", \"urgent_reserve\": 1.5}]}"), Map.of()))
                .hasMessageContaining("urgent_reserve must be in [0, 1)");
        assertThatThrownBy(() -> Deployments.load(file("{\"deployments\": [{\"name\": \"x\", \"provider\": \"p\", \"base_url\": \"h\"}]}"),
                Map.of())).hasMessageContaining("base_url must be an http(s) URL");
    }
}
