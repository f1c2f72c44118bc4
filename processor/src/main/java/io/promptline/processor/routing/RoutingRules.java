package io.promptline.processor.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptline.avro.ChatMessage;
import io.promptline.avro.ContentPart;
import io.promptline.avro.PromptRequest;
import io.promptline.tokens.TokenCount;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The routing rules of {@code promptline.routing.rules.file}, tried in the file's order for a
 * request that names no model; the first rule whose every condition holds chooses the model:
 *
 * <pre>{@code
 * {"rules": [
 *   {"name": "long-documents", "model": "gemini-2.5-pro", "when": {"min_prompt_tokens": 100000}},
 *   {"name": "code", "model": "deepseek-v3.2", "when": {"regex": "(?i)\\b(stack ?trace|exception|def |class )"}},
 *   {"name": "legal", "model": "claude-sonnet-4.5", "when": {"keywords": ["contract", "liability", "契約"]}},
 *   {"name": "vip", "model": "gpt-4.1", "when": {"metadata": {"plan": "enterprise"}, "max_prompt_tokens": 8000}}
 * ]}
 * }</pre>
 *
 * Conditions: {@code keywords} (any of them, case-insensitive, in the text of the user messages),
 * {@code regex} (found in that text), {@code metadata} (every key has that value),
 * {@code task_type}, {@code tenant}, {@code min_prompt_tokens} / {@code max_prompt_tokens} (the
 * prompt as {@code o200k_base} counts it, before a model is chosen). A rule without conditions
 * matches every request. A mistake names the rule and the field when the processor starts.
 */
public final class RoutingRules {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> RULE_FIELDS = Set.of("name", "model", "when");
    private static final Set<String> CONDITIONS = Set.of("keywords", "regex", "metadata", "task_type", "tenant", "min_prompt_tokens",
            "max_prompt_tokens");
    public static final RoutingRules NONE = new RoutingRules(List.of());

    /** One rule; null conditions are not checked. */
    public record Rule(String name, String model, List<String> keywords, Pattern regex, Map<String, String> metadata, String taskType,
                       String tenant, Long minPromptTokens, Long maxPromptTokens) {
        boolean matches(PromptRequest r, Request lazy) {
            if (taskType != null && !taskType.equals(r.getTaskType())) return false;
            if (tenant != null && !tenant.equals(r.getTenant())) return false;
            if (metadata != null) {
                for (Map.Entry<String, String> e : metadata.entrySet()) {
                    if (!e.getValue().equals(r.getMetadata().get(e.getKey()))) return false;
                }
            }
            if (minPromptTokens != null && lazy.tokens() < minPromptTokens) return false;
            if (maxPromptTokens != null && lazy.tokens() > maxPromptTokens) return false;
            if (keywords != null && keywords.stream().noneMatch(k -> lazy.lowerText().contains(k))) return false;
            return regex == null || regex.matcher(lazy.text()).find();
        }
    }

    /** The request's text and token count, computed once and only when a rule asks. */
    static final class Request {
        private final PromptRequest r;
        private String text;
        private String lower;
        private long tokens = -1;

        Request(PromptRequest r) {
            this.r = r;
        }

        String text() {
            if (text == null) {
                StringBuilder sb = new StringBuilder();
                for (ChatMessage m : r.getMessages()) {
                    if (!"user".equals(m.getRole())) continue;
                    sb.append(m.getContent()).append('\n');
                    if (m.getParts() != null) {
                        for (ContentPart p : m.getParts()) if (p.getText() != null) sb.append(p.getText()).append('\n');
                    }
                }
                text = sb.toString();
            }
            return text;
        }

        String lowerText() {
            if (lower == null) lower = text().toLowerCase(Locale.ROOT);
            return lower;
        }

        long tokens() {
            if (tokens < 0) tokens = TokenCount.prompt(null, r.getMessages(), r.getTools());
            return tokens;
        }
    }

    private final List<Rule> rules;

    public RoutingRules(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    public List<Rule> rules() {
        return rules;
    }

    /** The first rule that matches, or empty. */
    public Optional<Rule> match(PromptRequest r) {
        if (rules.isEmpty()) return Optional.empty();
        Request lazy = new Request(r);
        for (Rule rule : rules) if (rule.matches(r, lazy)) return Optional.of(rule);
        return Optional.empty();
    }

    /** Reads and checks the file; every problem names the file, the rule and the field. */
    public static RoutingRules load(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the routing rules file " + file + ": " + e.getMessage());
        }
        JsonNode list = root == null ? null : root.get("rules");
        if (list == null || !list.isArray()) throw new IllegalArgumentException(file + ": needs a \"rules\" array");
        List<Rule> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode n = list.get(i);
            String at = file + ": rules[" + i + "]";
            if (!n.isObject()) throw new IllegalArgumentException(at + " is not an object");
            unknown(n, RULE_FIELDS, at);
            String name = text(n, "name", at);
            String where = file + ": rule '" + name + "'";
            if (!names.add(name)) throw new IllegalArgumentException(where + ": the name is used twice");
            String model = text(n, "model", where);
            JsonNode when = n.path("when");
            if (!when.isMissingNode() && !when.isObject()) throw new IllegalArgumentException(where + ": when must be an object");
            unknown(when, CONDITIONS, where + ": when");
            List<String> keywords = null;
            if (when.has("keywords")) {
                JsonNode k = when.get("keywords");
                if (!k.isArray() || k.isEmpty()) throw new IllegalArgumentException(where + ": keywords must be a non-empty array of strings");
                keywords = new ArrayList<>();
                for (JsonNode x : k) {
                    if (!x.isTextual() || x.asText().isBlank()) throw new IllegalArgumentException(where + ": keywords must be non-empty strings");
                    keywords.add(x.asText().toLowerCase(Locale.ROOT));
                }
            }
            Pattern regex = null;
            if (when.has("regex")) {
                try {
                    regex = Pattern.compile(when.get("regex").asText());
                } catch (PatternSyntaxException e) {
                    throw new IllegalArgumentException(where + ": regex is not a valid Java regular expression: " + e.getDescription());
                }
            }
            Map<String, String> metadata = null;
            if (when.has("metadata")) {
                if (!when.get("metadata").isObject()) throw new IllegalArgumentException(where + ": metadata must be an object of strings");
                metadata = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = when.get("metadata").fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    metadata.put(e.getKey(), e.getValue().asText());
                }
            }
            Long min = tokens(when, "min_prompt_tokens", where);
            Long max = tokens(when, "max_prompt_tokens", where);
            if (min != null && max != null && min > max) {
                throw new IllegalArgumentException(where + ": min_prompt_tokens " + min + " is above max_prompt_tokens " + max);
            }
            out.add(new Rule(name, model, keywords, regex, metadata, when.has("task_type") ? when.get("task_type").asText() : null,
                    when.has("tenant") ? when.get("tenant").asText() : null, min, max));
        }
        return new RoutingRules(out);
    }

    private static void unknown(JsonNode n, Set<String> known, String at) {
        n.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) throw new IllegalArgumentException(at + ": unknown field '" + f + "'; known: " + new java.util.TreeSet<>(known));
        });
    }

    private static String text(JsonNode n, String field, String at) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) throw new IllegalArgumentException(at + ": '" + field + "' must be a non-empty string");
        return v.asText();
    }

    private static Long tokens(JsonNode when, String field, String at) {
        if (!when.has(field)) return null;
        JsonNode v = when.get(field);
        if (!v.canConvertToLong() || v.asLong() < 0) throw new IllegalArgumentException(at + ": " + field + " must be a whole number >= 0");
        return v.asLong();
    }
}
