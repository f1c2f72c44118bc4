package io.promptline.requests;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptline.avro.ChatMessage;
import io.promptline.avro.ContentPart;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.ToolDefinition;

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
    /** OpenAI's limit on stop sequences, the tightest of the providers'. */
    public static final int MAX_STOP = 4;
    private static final java.util.regex.Pattern TOOL_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,64}");
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
            Optional<String> problem = messageProblem(m, "messages[" + i + "]");
            if (problem.isPresent()) return problem;
        }
        Optional<String> tools = toolsProblem(r);
        if (tools.isPresent()) return tools;
        Double topP = r.getTopP();
        if (topP != null && (topP.isNaN() || topP < 0 || topP > 1)) return Optional.of("top_p " + topP + " is outside [0, 1]");
        if (r.getStop().size() > MAX_STOP) return Optional.of("stop has " + r.getStop().size() + " sequences; at most " + MAX_STOP + " allowed");
        for (int i = 0; i < r.getStop().size(); i++) {
            if (r.getStop().get(i).isEmpty()) return Optional.of("stop[" + i + "] must not be empty");
        }
        Integer maxTokens = r.getMaxTokens();
        if (maxTokens != null && (maxTokens < 1 || maxTokens > MAX_TOKENS_LIMIT)) {
            return Optional.of("max_tokens " + maxTokens + " is outside [1, " + MAX_TOKENS_LIMIT + "]");
        }
        Double t = r.getTemperature();
        if (t != null && (t.isNaN() || t < 0 || t > 2)) return Optional.of("temperature " + t + " is outside [0, 2]");
        return responseFormatProblem(r.getResponseFormat());
    }

    /** A message's content: text, or parts (user), or tool calls (assistant); a tool message answers a call by its id. */
    private static Optional<String> messageProblem(ChatMessage m, String at) {
        boolean parts = m.getParts() != null && !m.getParts().isEmpty();
        boolean calls = !m.getToolCalls().isEmpty();
        if (calls && !"assistant".equals(m.getRole())) return Optional.of(at + ".tool_calls: only an assistant message has tool calls");
        if ("tool".equals(m.getRole()) && blank(m.getToolCallId())) return Optional.of(at + ".tool_call_id must name the call a tool message answers");
        if (blank(m.getContent()) && !parts && !calls && !"tool".equals(m.getRole())) return Optional.of(at + ".content must not be empty");
        if (parts) {
            for (int j = 0; j < m.getParts().size(); j++) {
                ContentPart p = m.getParts().get(j);
                String where = at + ".parts[" + j + "]";
                switch (p.getType()) {
                    case "text" -> {
                        if (p.getText() == null) return Optional.of(where + ": a text part needs text");
                    }
                    case "image_url" -> {
                        String url = p.getImageUrl();
                        if (url == null || !(url.startsWith("https://") || url.startsWith("http://") || (url.startsWith("data:image/") && url.contains(";base64,")))) {
                            return Optional.of(where + ".image_url must be an http(s) URL or data:image/<type>;base64,<bytes>");
                        }
                    }
                    default -> {
                        return Optional.of(where + ".type '" + p.getType() + "' must be text or image_url");
                    }
                }
            }
        }
        for (int j = 0; j < m.getToolCalls().size(); j++) {
            Optional<String> args = jsonObjectProblem(m.getToolCalls().get(j).getArguments(), at + ".tool_calls[" + j + "].arguments");
            if (args.isPresent()) return args;
        }
        return Optional.empty();
    }

    /** Tools with names a provider takes, JSON Schema objects as parameters, and a tool_choice among them. */
    private static Optional<String> toolsProblem(PromptRequest r) {
        Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < r.getTools().size(); i++) {
            ToolDefinition t = r.getTools().get(i);
            if (t.getName() == null || !TOOL_NAME.matcher(t.getName()).matches()) {
                return Optional.of("tools[" + i + "].name '" + t.getName() + "' must be 1 to 64 letters, digits, _ or -");
            }
            if (!names.add(t.getName())) return Optional.of("tools[" + i + "].name '" + t.getName() + "' is used twice");
            Optional<String> params = jsonObjectProblem(t.getParameters(), "tools[" + i + "].parameters");
            if (params.isPresent()) return params;
        }
        String choice = r.getToolChoice();
        if (choice == null || choice.equals("auto") || choice.equals("none")) return Optional.empty();
        if (names.isEmpty()) return Optional.of("tool_choice '" + choice + "' needs tools");
        if (!choice.equals("required") && !names.contains(choice)) {
            return Optional.of("tool_choice '" + choice + "' must be auto, none, required or one of the tools " + new java.util.TreeSet<>(names));
        }
        return Optional.empty();
    }

    private static Optional<String> jsonObjectProblem(String text, String field) {
        try {
            JsonNode n = JSON.readTree(text);
            return n != null && n.isObject() ? Optional.empty() : Optional.of(field + " must be a JSON object, was " + text);
        } catch (JsonProcessingException e) {
            return Optional.of(field + " is not valid JSON: " + e.getOriginalMessage());
        }
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
