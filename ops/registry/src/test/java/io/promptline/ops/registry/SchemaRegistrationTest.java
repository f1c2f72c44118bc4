package io.promptline.ops.registry;

import static io.promptline.ops.registry.Schemas.USER_V1;
import static io.promptline.ops.registry.Schemas.USER_WITH_DEFAULT;
import static io.promptline.ops.registry.Schemas.field;
import static io.promptline.ops.registry.Schemas.record;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.promptline.ops.registry.RegistryHttp.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SchemaRegistrationTest {
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
    void rootAnswersEmptyObjectWithRegistryContentType() {
        Response r = http.get("/");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{}");
        assertThat(r.contentType()).isEqualTo(RegistryHttp.V1);
        assertThat(server.url()).isEqualTo("http://127.0.0.1:" + server.port());
    }

    @Test
    void registerReturnsIdAndSchemaIsRetrievableById() {
        Response r = http.register("reg-by-id-value", USER_V1);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.contentType()).isEqualTo(RegistryHttp.V1);
        int id = r.json().get("id").intValue();
        assertThat(id).isPositive();
        assertThat(r.json().size()).isEqualTo(1);

        Response byId = http.get("/schemas/ids/" + id);
        assertThat(byId.status()).isEqualTo(200);
        assertThat(byId.contentType()).isEqualTo(RegistryHttp.V1);
        assertThat(byId.json().has("schemaType")).isFalse();
        Schema returned = new Schema.Parser().parse(byId.json().get("schema").textValue());
        assertThat(returned).isEqualTo(new Schema.Parser().parse(USER_V1));
    }

    @Test
    void sameSchemaInTwoSubjectsGetsSameId() {
        String schema = record("Shared", field("x", "long"));
        int first = http.registerOk("shared-a-value", schema);
        int second = http.registerOk("shared-b-value", schema);
        assertThat(second).isEqualTo(first);
        assertThat(http.registerOk("shared-c-value", record("Other", field("x", "long"))))
                .isNotEqualTo(first);

        Response subjects = http.get("/schemas/ids/" + first + "/subjects");
        assertThat(subjects.status()).isEqualTo(200);
        assertThat(texts(subjects.json())).containsExactly("shared-a-value", "shared-b-value");
    }

    @Test
    void reRegisteringIsIdempotentEvenWithDifferentWhitespace() {
        int id = http.registerOk("idem-value", USER_V1);
        String reformatted = USER_V1.replace(",", " ,\n  ").replace(":", " : ");
        assertThat(http.registerOk("idem-value", reformatted)).isEqualTo(id);
        assertThat(http.registerOk("idem-value", USER_V1)).isEqualTo(id);
        assertThat(ints(http.get("/subjects/idem-value/versions").json())).containsExactly(1);
    }

    @Test
    void versionsListLatestAndSpecificVersion() {
        int id1 = http.registerOk("versions-value", USER_V1);
        int id2 = http.registerOk("versions-value", USER_WITH_DEFAULT);
        assertThat(id2).isNotEqualTo(id1);

        Response versions = http.get("/subjects/versions-value/versions");
        assertThat(versions.status()).isEqualTo(200);
        assertThat(ints(versions.json())).containsExactly(1, 2);

        JsonNode latest = http.get("/subjects/versions-value/versions/latest").json();
        assertThat(latest.get("subject").textValue()).isEqualTo("versions-value");
        assertThat(latest.get("version").intValue()).isEqualTo(2);
        assertThat(latest.get("id").intValue()).isEqualTo(id2);
        assertThat(new Schema.Parser().parse(latest.get("schema").textValue()))
                .isEqualTo(new Schema.Parser().parse(USER_WITH_DEFAULT));
        assertThat(http.get("/subjects/versions-value/versions/-1").json().get("version").intValue())
                .isEqualTo(2);

        JsonNode first = http.get("/subjects/versions-value/versions/1").json();
        assertThat(first.get("version").intValue()).isEqualTo(1);
        assertThat(first.get("id").intValue()).isEqualTo(id1);

        Response raw = http.get("/subjects/versions-value/versions/1/schema");
        assertThat(raw.status()).isEqualTo(200);
        assertThat(new Schema.Parser().parse(raw.body())).isEqualTo(new Schema.Parser().parse(USER_V1));

        assertThat(texts(http.get("/subjects").json())).contains("versions-value");
    }

    @Test
    void lookupUnderSubject() {
        int id = http.registerOk("lookup-value", USER_V1);
        Response found = http.post("/subjects/lookup-value", RegistryHttp.schemaBody(USER_V1));
        assertThat(found.status()).isEqualTo(200);
        assertThat(found.json().get("subject").textValue()).isEqualTo("lookup-value");
        assertThat(found.json().get("id").intValue()).isEqualTo(id);
        assertThat(found.json().get("version").intValue()).isEqualTo(1);
        assertThat(found.json().get("schema").isTextual()).isTrue();

        Response noSubject = http.post("/subjects/lookup-missing", RegistryHttp.schemaBody(USER_V1));
        assertThat(noSubject.status()).isEqualTo(404);
        assertThat(noSubject.errorCode()).isEqualTo(40401);
        assertThat(noSubject.message()).isEqualTo("Subject 'lookup-missing' not found.");

        Response noSchema =
                http.post("/subjects/lookup-value", RegistryHttp.schemaBody(USER_WITH_DEFAULT));
        assertThat(noSchema.status()).isEqualTo(404);
        assertThat(noSchema.errorCode()).isEqualTo(40403);
        assertThat(noSchema.message()).isEqualTo("Schema not found");
    }

    @Test
    void notFoundErrors() {
        Response id = http.get("/schemas/ids/999999");
        assertThat(id.status()).isEqualTo(404);
        assertThat(id.contentType()).isEqualTo(RegistryHttp.V1);
        assertThat(id.errorCode()).isEqualTo(40403);
        assertThat(id.message()).contains("not found");

        Response subject = http.get("/subjects/nobody-value/versions");
        assertThat(subject.status()).isEqualTo(404);
        assertThat(subject.errorCode()).isEqualTo(40401);
        assertThat(http.get("/subjects/nobody-value/versions/latest").errorCode()).isEqualTo(40401);

        http.registerOk("one-version-value", USER_V1);
        Response version = http.get("/subjects/one-version-value/versions/7");
        assertThat(version.status()).isEqualTo(404);
        assertThat(version.errorCode()).isEqualTo(40402);
        assertThat(version.message()).isEqualTo("Version 7 not found.");

        Response route = http.get("/no/such/route");
        assertThat(route.status()).isEqualTo(404);
        assertThat(route.errorCode()).isEqualTo(404);
    }

    @Test
    void invalidVersionIsRejected() {
        http.registerOk("badversion-value", USER_V1);
        for (String version : List.of("abc", "0", "-2", "99999999999")) {
            Response r = http.get("/subjects/badversion-value/versions/" + version);
            assertThat(r.status()).as(version).isEqualTo(422);
            assertThat(r.errorCode()).as(version).isEqualTo(42202);
            assertThat(r.message()).isEqualTo("The specified version '" + version + "' is not a valid"
                    + " version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
        }
    }

    @Test
    void invalidSchemasAndBodiesAreRejectedWith42201() {
        List<String> bodies = List.of(
                RegistryHttp.schemaBody("{\"type\":\"record\",\"name\":\"Broken\"}"),
                RegistryHttp.schemaBody("not json at all"),
                RegistryHttp.json(Map.of("schema", USER_V1, "schemaType", "PROTOBUF")),
                RegistryHttp.json(Map.of("schemaType", "AVRO")),
                "{\"schema\": ",
                "[1,2]",
                "");
        for (String body : bodies) {
            Response r = http.post("/subjects/invalid-value/versions", body);
            assertThat(r.status()).as(body).isEqualTo(422);
            assertThat(r.errorCode()).as(body).isEqualTo(42201);
            assertThat(r.message()).as(body).isNotBlank();
        }
        assertThat(http.get("/subjects/invalid-value/versions").errorCode()).isEqualTo(40401);
        Response withType =
                http.post("/subjects/typed-value/versions",
                        RegistryHttp.json(Map.of("schema", USER_V1, "schemaType", "AVRO")));
        assertThat(withType.status()).isEqualTo(200);
    }

    @Test
    void acceptsRegistryAndJsonContentTypesButNotOthers() {
        String body = RegistryHttp.schemaBody(USER_V1);
        for (String type : List.of("application/vnd.schemaregistry.v1+json",
                "application/vnd.schemaregistry+json", "application/json; charset=utf-8")) {
            assertThat(http.post("/subjects/ctype-value/versions", body, type).status())
                    .as(type).isEqualTo(200);
        }
        assertThat(http.post("/subjects/ctype-value/versions", body, null).status()).isEqualTo(200);
        Response text = http.post("/subjects/ctype-value/versions", body, "text/plain");
        assertThat(text.status()).isEqualTo(415);
        assertThat(text.errorCode()).isEqualTo(415);
        assertThat(ints(http.get("/subjects/ctype-value/versions").json())).containsExactly(1);
    }

    @Test
    void deletingASubjectHidesItsVersionsButKeepsIds() {
        int id1 = http.registerOk("deleted-value", USER_V1);
        http.registerOk("deleted-value", USER_WITH_DEFAULT);
        Response deleted = http.delete("/subjects/deleted-value");
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(ints(deleted.json())).containsExactly(1, 2);
        assertThat(texts(http.get("/subjects").json())).doesNotContain("deleted-value");
        assertThat(http.get("/subjects/deleted-value/versions").errorCode()).isEqualTo(40401);
        assertThat(http.get("/schemas/ids/" + id1).status()).isEqualTo(200);
        assertThat(http.delete("/subjects/deleted-value").errorCode()).isEqualTo(40404);
        assertThat(http.delete("/subjects/never-value").errorCode()).isEqualTo(40401);

        assertThat(http.registerOk("deleted-value", USER_V1)).isEqualTo(id1);
        assertThat(ints(http.get("/subjects/deleted-value/versions").json())).containsExactly(3);
    }

    @Test
    void concurrentRegistrationsGetConsistentIds() throws Exception {
        http.setCompatibility("concurrent-all-value", "NONE");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> shared = new ArrayList<>();
            List<Future<Integer>> distinct = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String subject = "concurrent-" + i + "-value";
                String own = record("Own" + i, field("x", "int"));
                shared.add(pool.submit(() -> http.registerOk(subject, record("Same", field("y", "int")))));
                distinct.add(pool.submit(() -> http.registerOk("concurrent-all-value", own)));
            }
            Set<Integer> sharedIds = new HashSet<>();
            for (Future<Integer> f : shared) {
                sharedIds.add(f.get(30, TimeUnit.SECONDS));
            }
            Set<Integer> distinctIds = new HashSet<>();
            for (Future<Integer> f : distinct) {
                distinctIds.add(f.get(30, TimeUnit.SECONDS));
            }
            assertThat(sharedIds).hasSize(1);
            assertThat(distinctIds).hasSize(16).doesNotContainAnyElementsOf(sharedIds);
        } finally {
            pool.shutdownNow();
        }
        assertThat(ints(http.get("/subjects/concurrent-all-value/versions").json()))
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, 16).boxed().toList());
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.textValue()));
        return out;
    }

    static List<Integer> ints(JsonNode array) {
        List<Integer> out = new ArrayList<>();
        array.forEach(n -> out.add(n.intValue()));
        return out;
    }
}
