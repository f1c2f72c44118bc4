package io.promptline.ops.registry;

/** Avro schemas the tests register. */
final class Schemas {
    private Schemas() {}

    /** A record named {@code name} with the given field JSON fragments. */
    static String record(String name, String... fields) {
        return "{\"type\":\"record\",\"name\":\"" + name + "\",\"namespace\":\"io.promptline.test\","
                + "\"fields\":[" + String.join(",", fields) + "]}";
    }

    static String field(String name, String type) {
        return "{\"name\":\"" + name + "\",\"type\":\"" + type + "\"}";
    }

    static String fieldWithDefault(String name, String type, String defaultJson) {
        return "{\"name\":\"" + name + "\",\"type\":\"" + type + "\",\"default\":" + defaultJson + "}";
    }

    static final String USER_V1 = record("User", field("name", "string"));
    static final String USER_WITH_DEFAULT =
            record("User", field("name", "string"), fieldWithDefault("age", "int", "0"));
    static final String USER_WITHOUT_DEFAULT =
            record("User", field("name", "string"), field("email", "string"));
}
