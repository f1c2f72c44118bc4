package io.promptline.ops.registry;

import static io.promptline.ops.registry.Schemas.USER_V1;
import static io.promptline.ops.registry.Schemas.USER_WITHOUT_DEFAULT;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptline.ops.registry.RegistryHttp.Response;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each test gets a fresh server (on one shared Vert.x) because the global level is shared. */
class ConfigTest {
    private static Vertx vertx;
    private SchemaRegistryServer server;
    private RegistryHttp http;

    @BeforeAll
    static void createVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void closeVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get();
    }

    @BeforeEach
    void start() {
        server = SchemaRegistryServer.start(vertx, RegistryConfig.defaults());
        http = new RegistryHttp(server);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void globalLevelDefaultsToBackwardAndCanBeChanged() {
        Response initial = http.get("/config");
        assertThat(initial.status()).isEqualTo(200);
        assertThat(initial.contentType()).isEqualTo(RegistryHttp.V1);
        assertThat(initial.json().get("compatibilityLevel").textValue()).isEqualTo("BACKWARD");

        Response put = http.setCompatibility(null, "FULL");
        assertThat(put.status()).isEqualTo(200);
        assertThat(put.body()).isEqualTo("{\"compatibility\":\"FULL\"}");
        assertThat(http.get("/config").json().get("compatibilityLevel").textValue())
                .isEqualTo("FULL");

        assertThat(http.setCompatibility(null, "forward_transitive").json()
                .get("compatibility").textValue()).isEqualTo("FORWARD_TRANSITIVE");
    }

    @Test
    void invalidLevelsAreRejectedWith42203() {
        for (String body : new String[] {"{\"compatibility\":\"SIDEWAYS\"}", "{}",
                "{\"compatibility\":7}"}) {
            for (String path : new String[] {"/config", "/config/some-value"}) {
                Response r = http.put(path, body);
                assertThat(r.status()).as(path + " " + body).isEqualTo(422);
                assertThat(r.errorCode()).isEqualTo(42203);
                assertThat(r.message()).isEqualTo("Invalid compatibility level. Valid values are none,"
                        + " backward, forward, full, backward_transitive, forward_transitive, and"
                        + " full_transitive");
            }
        }
        assertThat(http.get("/config").json().get("compatibilityLevel").textValue())
                .isEqualTo("BACKWARD");
    }

    @Test
    void subjectLevelConfig() {
        Response missing = http.get("/config/orders-value");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.errorCode()).isEqualTo(40408);
        assertThat(missing.message())
                .isEqualTo("Subject 'orders-value' does not have subject-level compatibility configured");

        Response defaulted = http.get("/config/orders-value?defaultToGlobal=true");
        assertThat(defaulted.status()).isEqualTo(200);
        assertThat(defaulted.json().get("compatibilityLevel").textValue()).isEqualTo("BACKWARD");

        Response put = http.setCompatibility("orders-value", "NONE");
        assertThat(put.status()).isEqualTo(200);
        assertThat(put.json().get("compatibility").textValue()).isEqualTo("NONE");
        assertThat(http.get("/config/orders-value").json().get("compatibilityLevel").textValue())
                .isEqualTo("NONE");
        assertThat(http.get("/config").json().get("compatibilityLevel").textValue())
                .isEqualTo("BACKWARD");

        Response deleted = http.delete("/config/orders-value");
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.json().get("compatibilityLevel").textValue()).isEqualTo("NONE");
        assertThat(http.get("/config/orders-value").errorCode()).isEqualTo(40408);
    }

    @Test
    void subjectLevelOverridesGlobalLevel() {
        http.setCompatibility(null, "NONE");
        http.registerOk("strict-value", USER_V1);
        http.registerOk("loose-value", USER_V1);
        http.setCompatibility("strict-value", "BACKWARD");

        assertThat(http.register("strict-value", USER_WITHOUT_DEFAULT).status()).isEqualTo(409);
        assertThat(http.register("loose-value", USER_WITHOUT_DEFAULT).status()).isEqualTo(200);
    }

    @Test
    void configuredDefaultCompatibilityIsTheInitialGlobalLevel() {
        try (SchemaRegistryServer none = SchemaRegistryServer.start(vertx,
                RegistryConfig.builder().defaultCompatibility(CompatibilityLevel.NONE).build())) {
            RegistryHttp client = new RegistryHttp(none);
            assertThat(client.get("/config").json().get("compatibilityLevel").textValue())
                    .isEqualTo("NONE");
            client.registerOk("any-value", USER_V1);
            client.registerOk("any-value", USER_WITHOUT_DEFAULT);
        }
        // The shared Vert.x is still usable after a server on it closed.
        assertThat(http.get("/").status()).isEqualTo(200);
    }
}
