package io.promptline.ops.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** One durable state change of the registry: a line of the append-only log. */
public sealed interface LogEvent {

    /** A schema became version {@code version} of {@code subject} under global id {@code id}. */
    record SchemaRegistered(String subject, int version, int id, String schema)
            implements LogEvent {}

    /**
     * A compatibility level was set ({@code level} non-null) or removed ({@code level} null);
     * {@code subject} null means the global level.
     */
    record ConfigChanged(String subject, CompatibilityLevel level) implements LogEvent {}

    /** A subject was soft-deleted, or permanently deleted when {@code permanent}. */
    record SubjectDeleted(String subject, boolean permanent) implements LogEvent {}

    /** Encodes this event as one JSON object. */
    default ObjectNode toJson(ObjectMapper mapper) {
        ObjectNode node = mapper.createObjectNode();
        if (this instanceof SchemaRegistered e) {
            node.put("type", "schema").put("subject", e.subject()).put("version", e.version())
                    .put("id", e.id()).put("schema", e.schema());
        } else if (this instanceof ConfigChanged e) {
            node.put("type", "config").put("subject", e.subject())
                    .put("compatibility", e.level() == null ? null : e.level().name());
        } else if (this instanceof SubjectDeleted e) {
            node.put("type", "delete_subject").put("subject", e.subject())
                    .put("permanent", e.permanent());
        }
        return node;
    }

    /** Decodes one event; throws {@link IllegalArgumentException} naming what is wrong. */
    static LogEvent fromJson(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        String type = text(node, "type", false);
        switch (type) {
            case "schema":
                return new SchemaRegistered(text(node, "subject", false), positiveInt(node, "version"),
                        positiveInt(node, "id"), text(node, "schema", false));
            case "config": {
                String level = text(node, "compatibility", true);
                CompatibilityLevel parsed = null;
                if (level != null) {
                    parsed = CompatibilityLevel.parse(level).orElseThrow(
                            () -> new IllegalArgumentException("unknown compatibility level '" + level + "'"));
                }
                String subject = text(node, "subject", true);
                if (subject == null && parsed == null) {
                    throw new IllegalArgumentException("the global compatibility level cannot be removed");
                }
                return new ConfigChanged(subject, parsed);
            }
            case "delete_subject": {
                JsonNode permanent = node.get("permanent");
                if (permanent == null || !permanent.isBoolean()) {
                    throw new IllegalArgumentException("field 'permanent' must be a boolean");
                }
                return new SubjectDeleted(text(node, "subject", false), permanent.booleanValue());
            }
            default:
                throw new IllegalArgumentException("unknown event type '" + type + "'");
        }
    }

    private static String text(JsonNode node, String field, boolean nullable) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (nullable) {
                return null;
            }
            throw new IllegalArgumentException("missing field '" + field + "'");
        }
        if (!value.isTextual() || (!nullable && value.textValue().isEmpty())) {
            throw new IllegalArgumentException("field '" + field + "' must be a non-empty string");
        }
        return value.textValue();
    }

    private static int positiveInt(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isInt() || value.intValue() < 1) {
            throw new IllegalArgumentException("field '" + field + "' must be a positive integer");
        }
        return value.intValue();
    }
}
