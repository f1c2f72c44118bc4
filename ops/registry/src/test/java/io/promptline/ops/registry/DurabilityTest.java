package io.promptline.ops.registry;

import static io.promptline.ops.registry.SchemaRegistrationTest.ints;
import static io.promptline.ops.registry.SchemaRegistrationTest.texts;
import static io.promptline.ops.registry.Schemas.USER_V1;
import static io.promptline.ops.registry.Schemas.USER_WITHOUT_DEFAULT;
import static io.promptline.ops.registry.Schemas.USER_WITH_DEFAULT;
import static io.promptline.ops.registry.Schemas.field;
import static io.promptline.ops.registry.Schemas.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurabilityTest {
    @TempDir
    Path dataDir;

    private SchemaRegistryServer start() {
        return SchemaRegistryServer.start(RegistryConfig.builder().dataDir(dataDir).build());
    }

    private Path logFile() {
        return dataDir.resolve(RegistryLog.FILE_NAME);
    }

    @Test
    void stateSurvivesARestart() {
        int ordersV1;
        int ordersV2;
        int usersV1;
        try (SchemaRegistryServer server = start()) {
            RegistryHttp http = new RegistryHttp(server);
            ordersV1 = http.registerOk("orders-value", USER_V1);
            ordersV2 = http.registerOk("orders-value", USER_WITH_DEFAULT);
            usersV1 = http.registerOk("users-value", USER_V1);
            http.registerOk("gone-value", record("Gone", field("g", "int")));
            http.delete("/subjects/gone-value");
            http.setCompatibility(null, "FULL");
            http.setCompatibility("users-value", "NONE");
        }
        assertThat(logFile()).exists();

        try (SchemaRegistryServer server = start()) {
            RegistryHttp http = new RegistryHttp(server);
            assertThat(texts(http.get("/subjects").json()))
                    .containsExactly("orders-value", "users-value");
            assertThat(ints(http.get("/subjects/orders-value/versions").json())).containsExactly(1, 2);
            JsonNode latest = http.get("/subjects/orders-value/versions/latest").json();
            assertThat(latest.get("version").intValue()).isEqualTo(2);
            assertThat(latest.get("id").intValue()).isEqualTo(ordersV2);
            assertThat(usersV1).isEqualTo(ordersV1);
            assertThat(http.get("/schemas/ids/" + ordersV1).status()).isEqualTo(200);
            assertThat(http.get("/config").json().get("compatibilityLevel").textValue())
                    .isEqualTo("FULL");
            assertThat(http.get("/config/users-value").json().get("compatibilityLevel").textValue())
                    .isEqualTo("NONE");

            // Re-registering answers the old id; a new schema continues the id sequence.
            assertThat(http.registerOk("orders-value", USER_V1)).isEqualTo(ordersV1);
            int next = http.registerOk("users-value", USER_WITHOUT_DEFAULT);
            assertThat(next).isEqualTo(4);
            assertThat(ints(http.get("/subjects/users-value/versions").json())).containsExactly(1, 2);
            // Soft-deleted subject numbering continues after the restart too.
            http.registerOk("gone-value", record("Gone", field("g", "int")));
            assertThat(ints(http.get("/subjects/gone-value/versions").json())).containsExactly(2);
        }
    }

    @Test
    void truncatedLastLineIsIgnored() throws IOException {
        int id;
        try (SchemaRegistryServer server = start()) {
            id = new RegistryHttp(server).registerOk("t-value", USER_V1);
        }
        String partial = "{\"type\":\"schema\",\"subject\":\"t-value\",\"version\":2,\"id\":9,\"sch";
        Files.writeString(logFile(), partial, StandardOpenOption.APPEND);

        try (SchemaRegistryServer server = start()) {
            RegistryHttp http = new RegistryHttp(server);
            assertThat(ints(http.get("/subjects/t-value/versions").json())).containsExactly(1);
            assertThat(http.get("/schemas/ids/" + id).status()).isEqualTo(200);
            assertThat(http.registerOk("t-value", USER_WITH_DEFAULT)).isEqualTo(id + 1);
        }
        assertThat(Files.readString(logFile())).doesNotContain(partial).endsWith("\n");

        try (SchemaRegistryServer server = start()) {
            RegistryHttp http = new RegistryHttp(server);
            assertThat(ints(http.get("/subjects/t-value/versions").json())).containsExactly(1, 2);
        }
    }

    @Test
    void completeLastLineWithoutNewlineIsKept() throws IOException {
        Files.writeString(logFile(), line("s-value", 1, 1, "\"string\"") + "\n"
                + line("s-value", 2, 2, "\"long\""));
        try (SchemaRegistryServer server = start()) {
            RegistryHttp http = new RegistryHttp(server);
            http.setCompatibility("s-value", "NONE");
            assertThat(ints(http.get("/subjects/s-value/versions").json())).containsExactly(1, 2);
            assertThat(http.registerOk("s-value", "\"int\"")).isEqualTo(3);
        }
        assertThat(Files.readAllLines(logFile())).hasSize(4);
    }

    @Test
    void corruptMiddleLineFailsStartNamingFileAndLine() throws IOException {
        Files.writeString(logFile(), line("a-value", 1, 1, "\"string\"") + "\n"
                + "{\"type\":\"schema\",\"subject\":\"a-val\n"
                + line("a-value", 2, 2, "\"long\"") + "\n");
        assertThatThrownBy(this::start)
                .isInstanceOf(RegistryStoreException.class)
                .hasMessageContaining(logFile().toString())
                .hasMessageContaining("line 2");
    }

    @Test
    void corruptTerminatedLastLineFailsStart() throws IOException {
        Files.writeString(logFile(), line("a-value", 1, 1, "\"string\"") + "\n"
                + "{\"type\":\"mystery\"}\n");
        assertThatThrownBy(this::start)
                .isInstanceOf(RegistryStoreException.class)
                .hasMessageContaining(logFile().toString())
                .hasMessageContaining("line 2")
                .hasMessageContaining("mystery");
    }

    @Test
    void inconsistentEventFailsStart() throws IOException {
        Files.writeString(logFile(), line("a-value", 1, 1, "\"string\"") + "\n"
                + line("b-value", 1, 1, "\"long\"") + "\n"
                + line("c-value", 1, 3, "\"int\"") + "\n");
        assertThatThrownBy(this::start)
                .isInstanceOf(RegistryStoreException.class)
                .hasMessageContaining("line 2")
                .hasMessageContaining("id 1");
    }

    @Test
    void dataDirectoryCannotBeSharedByTwoServers() {
        try (SchemaRegistryServer first = start()) {
            assertThatThrownBy(this::start)
                    .isInstanceOf(RegistryStoreException.class)
                    .hasMessageContaining("in use");
            assertThat(new RegistryHttp(first).registerOk("x-value", USER_V1)).isEqualTo(1);
        }
        try (SchemaRegistryServer again = start()) {
            assertThat(new RegistryHttp(again).registerOk("x-value", USER_V1)).isEqualTo(1);
        }
    }

    @Test
    void inMemoryServerWritesNothing() throws IOException {
        try (SchemaRegistryServer server = SchemaRegistryServer.start(RegistryConfig.defaults())) {
            new RegistryHttp(server).registerOk("mem-value", USER_V1);
        }
        try (var files = Files.list(dataDir)) {
            assertThat(files).isEmpty();
        }
    }

    private static String line(String subject, int version, int id, String schema) {
        return RegistryHttp.json(new java.util.LinkedHashMap<>(Map.of("type", "schema",
                "subject", subject, "version", version, "id", id, "schema", schema)));
    }
}
