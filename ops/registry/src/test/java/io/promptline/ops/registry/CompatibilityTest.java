package io.promptline.ops.registry;

import static io.promptline.ops.registry.SchemaRegistrationTest.ints;
import static io.promptline.ops.registry.SchemaRegistrationTest.texts;
import static io.promptline.ops.registry.Schemas.USER_V1;
import static io.promptline.ops.registry.Schemas.USER_WITHOUT_DEFAULT;
import static io.promptline.ops.registry.Schemas.USER_WITH_DEFAULT;
import static io.promptline.ops.registry.Schemas.field;
import static io.promptline.ops.registry.Schemas.fieldWithDefault;
import static io.promptline.ops.registry.Schemas.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptline.ops.registry.RegistryHttp.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CompatibilityTest {
    /** v1 has f:string, v2 drops it, v3 brings f back as int with a default. */
    private static final String T_V1 = record("T", field("id", "long"), field("f", "string"));
    private static final String T_V2 = record("T", field("id", "long"));
    private static final String T_V3 =
            record("T", field("id", "long"), fieldWithDefault("f", "int", "0"));

    private static SchemaRegistryServer server;
    private static RegistryHttp http;

    @BeforeAll
    static void start() {
        server = SchemaRegistryServer.start(RegistryConfig.defaults());
        http = new RegistryHttp(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void backwardAcceptsAddingAFieldWithDefault() {
        int id1 = http.registerOk("bw-add-value", USER_V1);
        int id2 = http.registerOk("bw-add-value", USER_WITH_DEFAULT);
        assertThat(id2).isNotEqualTo(id1);
        assertThat(ints(http.get("/subjects/bw-add-value/versions").json())).containsExactly(1, 2);
    }

    @Test
    void backwardRejectsAddingAFieldWithoutDefault() {
        http.registerOk("bw-reject-value", USER_V1);
        Response r = http.register("bw-reject-value", USER_WITHOUT_DEFAULT);
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.contentType()).isEqualTo(RegistryHttp.V1);
        assertThat(r.errorCode()).isEqualTo(409);
        assertThat(r.message())
                .startsWith("Schema being registered is incompatible with an earlier schema for subject"
                        + " \"bw-reject-value\", details: [")
                .contains("READER_FIELD_MISSING_DEFAULT_VALUE")
                .contains("email")
                .contains("{oldSchemaVersion: 1}");
        assertThat(ints(http.get("/subjects/bw-reject-value/versions").json())).containsExactly(1);
    }

    @Test
    void removingAFieldIsBackwardButNotForwardCompatible() {
        String withNick = record("U", field("name", "string"), field("nick", "string"));
        String withoutNick = record("U", field("name", "string"));

        http.registerOk("rm-bw-value", withNick);
        http.registerOk("rm-bw-value", withoutNick);

        http.registerOk("rm-fw-value", withNick);
        assertThat(http.setCompatibility("rm-fw-value", "FORWARD").status()).isEqualTo(200);
        Response r = http.register("rm-fw-value", withoutNick);
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.message()).contains("nick").contains("FORWARD");
    }

    @Test
    void noneAcceptsAnything() {
        http.registerOk("none-value", USER_V1);
        assertThat(http.setCompatibility("none-value", "NONE").status()).isEqualTo(200);
        http.registerOk("none-value", USER_WITHOUT_DEFAULT);
        http.registerOk("none-value", "\"string\"");
        assertThat(ints(http.get("/subjects/none-value/versions").json())).containsExactly(1, 2, 3);
    }

    @Test
    void fullRequiresBothDirections() {
        http.registerOk("full-value", USER_V1);
        http.setCompatibility("full-value", "FULL");
        assertThat(http.register("full-value", USER_WITHOUT_DEFAULT).status()).isEqualTo(409);
        assertThat(http.register("full-value", record("User")).status()).isEqualTo(409);
        http.registerOk("full-value", USER_WITH_DEFAULT);
    }

    @Test
    void transitiveLevelsCheckEveryVersion() {
        for (String subject : new String[] {"trans-plain-value", "trans-value"}) {
            http.setCompatibility(subject, subject.equals("trans-value") ? "BACKWARD_TRANSITIVE"
                    : "BACKWARD");
            http.registerOk(subject, T_V1);
            http.registerOk(subject, T_V2);
        }
        http.registerOk("trans-plain-value", T_V3);

        Response r = http.register("trans-value", T_V3);
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.message()).contains("TYPE_MISMATCH").contains("{oldSchemaVersion: 1}")
                .doesNotContain("{oldSchemaVersion: 2}").contains("BACKWARD_TRANSITIVE");

        // The compatibility endpoint checks one version, or all of them for "latest".
        assertThat(isCompatible("trans-value", "2", T_V3)).isTrue();
        assertThat(isCompatible("trans-value", "1", T_V3)).isFalse();
        assertThat(isCompatible("trans-value", "latest", T_V3)).isFalse();
        assertThat(isCompatible("trans-plain-value", "latest", T_V3)).isTrue();
    }

    @Test
    void compatibilityEndpoint() {
        http.registerOk("compat-value", USER_V1);
        Response ok = http.post("/compatibility/subjects/compat-value/versions/latest",
                RegistryHttp.schemaBody(USER_WITH_DEFAULT));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.contentType()).isEqualTo(RegistryHttp.V1);
        assertThat(ok.json().get("is_compatible").booleanValue()).isTrue();
        assertThat(ok.json().has("messages")).isFalse();

        Response bad = http.post("/compatibility/subjects/compat-value/versions/latest",
                RegistryHttp.schemaBody(USER_WITHOUT_DEFAULT));
        assertThat(bad.json().get("is_compatible").booleanValue()).isFalse();
        assertThat(bad.json().has("messages")).isFalse();

        Response verbose = http.post(
                "/compatibility/subjects/compat-value/versions/1?verbose=true",
                RegistryHttp.schemaBody(USER_WITHOUT_DEFAULT));
        assertThat(verbose.json().get("is_compatible").booleanValue()).isFalse();
        assertThat(texts(verbose.json().get("messages")))
                .anySatisfy(m -> assertThat(m).contains("READER_FIELD_MISSING_DEFAULT_VALUE"));

        Response verboseOk = http.post(
                "/compatibility/subjects/compat-value/versions/latest?verbose=true",
                RegistryHttp.schemaBody(USER_WITH_DEFAULT));
        assertThat(verboseOk.json().get("is_compatible").booleanValue()).isTrue();
        assertThat(verboseOk.json().get("messages")).isEmpty();

        // Testing registers nothing.
        assertThat(ints(http.get("/subjects/compat-value/versions").json())).containsExactly(1);
    }

    @Test
    void compatibilityEndpointErrors() {
        http.registerOk("compat-err-value", USER_V1);
        String body = RegistryHttp.schemaBody(USER_WITH_DEFAULT);
        Response subject = http.post("/compatibility/subjects/compat-missing/versions/latest", body);
        assertThat(subject.status()).isEqualTo(404);
        assertThat(subject.errorCode()).isEqualTo(40401);

        Response version = http.post("/compatibility/subjects/compat-err-value/versions/5", body);
        assertThat(version.status()).isEqualTo(404);
        assertThat(version.errorCode()).isEqualTo(40402);

        Response invalidVersion =
                http.post("/compatibility/subjects/compat-err-value/versions/first", body);
        assertThat(invalidVersion.status()).isEqualTo(422);
        assertThat(invalidVersion.errorCode()).isEqualTo(42202);

        Response invalidSchema = http.post("/compatibility/subjects/compat-err-value/versions/latest",
                RegistryHttp.schemaBody("{\"type\":\"nope\"}"));
        assertThat(invalidSchema.status()).isEqualTo(422);
        assertThat(invalidSchema.errorCode()).isEqualTo(42201);

        Response newSubject = http.post("/compatibility/subjects/compat-new/versions", body);
        assertThat(newSubject.status()).isEqualTo(200);
        assertThat(newSubject.json().get("is_compatible").booleanValue()).isTrue();
    }

    private static boolean isCompatible(String subject, String version, String schema) {
        Response r = http.post("/compatibility/subjects/" + subject + "/versions/" + version,
                RegistryHttp.schemaBody(schema));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("is_compatible").booleanValue();
    }
}
