package io.promptline.requests;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptline.avro.ChatMessage;
import io.promptline.avro.PromptRequest;

import java.util.Optional;
import java.util.Set;

/**
 * What makes a PromptRequest valid, beyond its schema: the processor refuses a request that breaks
 * a rule (INVALID_REQUEST), and publishers (the CLI's import) check the same rules before
 * publishing. Each message names the offending field and value, so it alone tells the publisher
 * what to fix.
 */
public final class RequestRules {
    /** Larger than any model's output window; anything above is a bug in the publisher. */
    public static final int MAX_TOKENS_LIMIT = 1_000_000;
    public static final int MAX_ID_LENGTH = 256;
    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool", "developer");
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private RequestRules() {
    }

    /** The first rule the request breaks, as a message naming the field, or empty when it keeps them all. */
    public static Optional<String> problem(PromptRequest r) {
        if (blank(r.getRequestId())) return Optional.of("request_id must be a non-empty string");
        if (r.getRequestId().length() > MAX_ID_LENGTH) {
            return Optional.of("request_id is " + r.getRequestId().length() + " characters; at most " + MAX_ID_LENGTH + " allowed");
        }
        if (blank(r.getTenant())) return Optional.of("tenant must be a non-empty string");
        if (r.getMessages() == null || r.getMessages().isEmpty()) return Optional.of("messages must contain at least one message");
        for (int i = 0; i < r.getMessages().size(); i++) {
            ChatMessage m = r.getMessages().get(i);
            if (m.getRole() == null || !ROLES.contains(m.getRole())) {
                return Optional.of("messages[" + i + "].role '" + m.getRole() + "' must be one of " + ROLES);
            }
            if (blank(m.getContent())) return Optional.of("messages[" + i + "].content must not be empty");
        }
        Integer maxTokens = r.getMaxTokens();
        if (maxTokens != null && (maxTokens < 1 || maxTokens > MAX_TOKENS_LIMIT)) {
            return Optional.of("max_tokens " + maxTokens + " is outside [1, " + MAX_TOKENS_LIMIT + "]");
        }
        Double t = r.getTemperature();
        if (t != null && (t.isNaN() || t < 0 || t > 2)) return Optional.of("temperature " + t + " is outside [0, 2]");
        return responseFormatProblem(r.getResponseFormat());
    }

    private static Optional<String> responseFormatProblem(String responseFormat) {
        if (responseFormat == null) return Optional.empty();
        try {
            JsonNode rf = JSON.readTree(responseFormat);
            if (rf == null || !rf.isObject() || !rf.hasNonNull("type")) {
                return Optional.of("response_format must be a JSON object with a 'type', was " + responseFormat);
            }
            return Optional.empty();
        } catch (JsonProcessingException e) {
            return Optional.of("response_format is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
