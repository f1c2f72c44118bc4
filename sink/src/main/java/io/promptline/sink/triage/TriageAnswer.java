package io.promptline.sink.triage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Locale;

/** A model's triage of one pattern, read from its structured answer. */
record TriageAnswer(String severity, String rootCause, String suggestedAction) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FIELD_CHARS = 2_000;

    /** The answer in {@code content}; an {@link IllegalArgumentException} naming what is wrong when it is not one. */
    static TriageAnswer parse(String content) {
        JsonNode root;
        try {
            root = JSON.readTree(content == null ? "" : content);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the answer is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException("the answer is not a JSON object");
        String severity = text(root, "severity").toLowerCase(Locale.ROOT);
        if (!TriageRequest.SEVERITIES.contains(severity)) {
            throw new IllegalArgumentException("severity must be one of " + TriageRequest.SEVERITIES + ", was '" + severity + "'");
        }
        return new TriageAnswer(severity, text(root, "root_cause"), text(root, "suggested_action"));
    }

    private static String text(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) throw new IllegalArgumentException(field + " is missing or not a non-empty string");
        String s = v.asText().strip();
        return s.length() > FIELD_CHARS ? s.substring(0, FIELD_CHARS) + "…" : s;
    }
}
