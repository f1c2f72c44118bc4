package io.promptline.ops.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RegistryMainTest {
    @Test
    void defaultsWhenEnvironmentIsEmpty() {
        RegistryConfig config = RegistryMain.configFromEnv(Map.of());
        assertThat(config.port()).isEqualTo(8081);
        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.dataDir()).isNull();
        assertThat(config.defaultCompatibility()).isEqualTo(CompatibilityLevel.BACKWARD);
    }

    @Test
    void readsEnvironment() {
        RegistryConfig config = RegistryMain.configFromEnv(Map.of(
                RegistryMain.ENV_PORT, "18081",
                RegistryMain.ENV_HOST, "0.0.0.0",
                RegistryMain.ENV_DATA_DIR, "/tmp/registry-data",
                RegistryMain.ENV_COMPATIBILITY, "full"));
        assertThat(config.port()).isEqualTo(18081);
        assertThat(config.host()).isEqualTo("0.0.0.0");
        assertThat(config.dataDir()).isEqualTo(Path.of("/tmp/registry-data"));
        assertThat(config.defaultCompatibility()).isEqualTo(CompatibilityLevel.FULL);
    }

    @Test
    void rejectsInvalidValues() {
        assertThatThrownBy(() -> RegistryMain.configFromEnv(Map.of(RegistryMain.ENV_PORT, "http")))
                .hasMessageContaining(RegistryMain.ENV_PORT);
        assertThatThrownBy(() -> RegistryMain.configFromEnv(Map.of(RegistryMain.ENV_PORT, "70000")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() ->
                RegistryMain.configFromEnv(Map.of(RegistryMain.ENV_COMPATIBILITY, "sideways")))
                .hasMessageContaining(RegistryMain.ENV_COMPATIBILITY);
    }

    @Test
    void wildcardHostYieldsLoopbackUrl() {
        try (SchemaRegistryServer server = SchemaRegistryServer.start(
                RegistryConfig.builder().host("0.0.0.0").build())) {
            assertThat(server.url()).isEqualTo("http://127.0.0.1:" + server.port());
            assertThat(new RegistryHttp(server).get("/").status()).isEqualTo(200);
        }
    }

    @Test
    void basicAuthFromTheEnvironmentOrAFile(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        assertThat(RegistryMain.configFromEnv(Map.of(RegistryMain.ENV_BASIC_AUTH, "ops:pw")).basicAuthUserInfo()).isEqualTo("ops:pw");
        Path file = java.nio.file.Files.writeString(dir.resolve("auth"), "ops:from-file\n");
        assertThat(RegistryMain.configFromEnv(Map.of(RegistryMain.ENV_BASIC_AUTH + "_FILE", file.toString())).basicAuthUserInfo())
                .isEqualTo("ops:from-file");
        assertThat(RegistryMain.configFromEnv(Map.of()).basicAuthUserInfo()).isNull();
        assertThatThrownBy(() -> RegistryMain.configFromEnv(Map.of(RegistryMain.ENV_BASIC_AUTH, "no-colon")))
                .hasMessageContaining("user:password");
        assertThat(RegistryMain.configFromEnv(Map.of(RegistryMain.ENV_BASIC_AUTH, "ops:pw")).toString()).doesNotContain("pw");
    }
}
