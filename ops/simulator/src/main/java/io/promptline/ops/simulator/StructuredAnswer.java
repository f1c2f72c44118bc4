package io.promptline.ops.simulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * The simulator's answer to a request for structured output: for {@code json_schema}, an instance
 * of the schema (every property, required or not: a string is the text answer for the first
 * string property and {@code "simulated <name>"} after it, an enum its first value, a number 0, a
 * boolean false, an array one item, an object recursively); for {@code json_object}, the text
 * answer as {@code {"answer": ...}}.
 */
final class StructuredAnswer {
    private StructuredAnswer() {
    }

    static JsonObject of(JsonObject responseFormat, String text) {
        JsonObject schema = responseFormat.getJsonObject("json_schema", new JsonObject()).getJsonObject("schema");
        if (!"json_schema".equals(responseFormat.getValue("type")) || schema == null) return new JsonObject().put("answer", text);
        Object value = instance(schema, "answer", new String[] {text});
        return value instanceof JsonObject o ? o : new JsonObject().put("answer", value);
    }

    /** {@code text[0]} is the text answer, used once (then null). */
    private static Object instance(JsonObject schema, String name, String[] text) {
        if (schema.getValue("enum") instanceof JsonArray values && !values.isEmpty()) return values.getValue(0);
        Object type = schema.getValue("type");
        if (type instanceof JsonArray types) type = types.stream().filter(t -> !"null".equals(t)).findFirst().orElse("null");
        switch (String.valueOf(type)) {
            case "object": {
                JsonObject out = new JsonObject();
                JsonObject properties = schema.getJsonObject("properties", new JsonObject());
                for (Map.Entry<String, Object> p : properties) {
                    out.put(p.getKey(), p.getValue() instanceof JsonObject s ? instance(s, p.getKey(), text) : null);
                }
                return out;
            }
            case "array":
                return new JsonArray().add(schema.getValue("items") instanceof JsonObject items ? instance(items, name, text) : "simulated " + name);
            case "integer":
            case "number":
                return 0;
            case "boolean":
                return false;
            case "null":
                return null;
            default:
                if (text[0] != null) {
                    String answer = text[0];
                    text[0] = null;
                    return answer;
                }
                return "simulated " + name;
        }
    }
}
