package io.promptline.processor.intake;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptline.avro.ChatMessage;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.PromptRequest;

import java.util.Optional;
import java.util.Set;

/**
 * Checks a decoded request before anything is spent on it. Each rejection message names the
 * offending field and value, so the DLQ record alone tells the publisher what to fix.
 */
public final class RequestValidator {
    /** Larger than any model's output window; anything above is a bug in the publisher. */
    public static final int MAX_TOKENS_LIMIT = 1_000_000;
    public static final int MAX_ID_LENGTH = 256;
    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool", "developer");
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private RequestValidator() {
    }

    public static Optional<Rejection> validate(PromptRequest r) {
        if (blank(r.getRequestId())) return invalid("request_id must be a non-empty string");
        if (r.getRequestId().length() > MAX_ID_LENGTH) {
            return invalid("request_id is " + r.getRequestId().length() + " characters; at most " + MAX_ID_LENGTH + " allowed");
        }
        if (blank(r.getTenant())) return invalid("tenant must be a non-empty string");
        if (r.getMessages() == null || r.getMessages().isEmpty()) return invalid("messages must contain at least one message");
        for (int i = 0; i < r.getMessages().size(); i++) {
            ChatMessage m = r.getMessages().get(i);
            if (m.getRole() == null || !ROLES.contains(m.getRole())) {
                return invalid("messages[" + i + "].role '" + m.getRole() + "' must be one of " + ROLES);
            }
            if (blank(m.getContent())) return invalid("messages[" + i + "].content must not be empty");
        }
        Integer maxTokens = r.getMaxTokens();
        if (maxTokens != null && (maxTokens < 1 || maxTokens > MAX_TOKENS_LIMIT)) {
            return invalid("max_tokens " + maxTokens + " is outside [1, " + MAX_TOKENS_LIMIT + "]");
        }
        Double t = r.getTemperature();
        if (t != null && (t.isNaN() || t < 0 || t > 2)) return invalid("temperature " + t + " is outside [0, 2]");
        if (r.getResponseFormat() != null) {
            try {
                JsonNode rf = JSON.readTree(r.getResponseFormat());
                if (rf == null || !rf.isObject() || !rf.hasNonNull("type")) {
                    return invalid("response_format must be a JSON object with a 'type', was " + r.getResponseFormat());
                }
            } catch (JsonProcessingException e) {
                return invalid("response_format is not valid JSON: " + e.getOriginalMessage());
            }
        }
        return Optional.empty();
    }

    private static Optional<Rejection> invalid(String message) {
        return Optional.of(new Rejection(ErrorCategory.INVALID_REQUEST, message));
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
