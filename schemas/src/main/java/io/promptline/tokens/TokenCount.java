package io.promptline.tokens;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import io.promptline.avro.ChatMessage;
import io.promptline.avro.ContentPart;
import io.promptline.avro.ToolCall;
import io.promptline.avro.ToolDefinition;

import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A request's prompt tokens before the call, as its model's provider will count them.
 *
 * <p>OpenAI's families are counted with their own tokenizer (jtokkit): {@code o200k_base} for
 * gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o1, o3, o4 and gpt-oss, {@code cl100k_base} for gpt-4 and
 * gpt-3.5; messages add OpenAI's documented overheads (3 per message, 1 per name, 3 to prime the
 * reply; tools as the cookbook counts them), which reproduce the API's own counts of its examples
 * (124 prompt tokens for gpt-4o, 129 for gpt-4, 101 and 105 with a tool).
 *
 * <p>Other families (Claude, Gemini, Llama, Qwen, ...) have no tokenizer here: the documented
 * per-script fallback counts a run of Latin, Cyrillic or Greek letters and digits as one token per
 * 10 characters (at least one), a Han character as 0.75 token (0.95 in text that also has kana:
 * Japanese), a kana as 0.7, a Hangul syllable as 0.6, other punctuation and symbols as 1, and
 * whitespace as nothing. Against o200k it is within ±10% on ordinary English, Chinese and
 * Japanese prose; formulaic Japanese (polite set phrases that one token covers) it overcounts.
 * Both replace the old characters / 4, which undercounts Japanese and Chinese about threefold.
 */
public final class TokenCount {
    /** An image as OpenAI counts a 1024×1024 one at high detail (85 + 4 × 170): the usual size, charged before the call. */
    public static final int PER_IMAGE = 765;
    private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenCount() {
    }

    /** The tokenizer of an OpenAI model family, or null for a model of another family. */
    static Encoding encodingFor(String model) {
        if (model == null) return REGISTRY.getEncoding(EncodingType.O200K_BASE);
        String m = model.toLowerCase(Locale.ROOT);
        int slash = m.lastIndexOf('/');
        if (slash >= 0) m = m.substring(slash + 1); // openai/gpt-4o as routers name it
        if (m.startsWith("gpt-4o") || m.startsWith("gpt-4.1") || m.startsWith("gpt-4.5") || m.startsWith("gpt-5") || m.startsWith("gpt-oss")
                || m.startsWith("chatgpt-") || m.matches("o[1-9]([-.].*)?")) {
            return REGISTRY.getEncoding(EncodingType.O200K_BASE);
        }
        if (m.startsWith("gpt-4") || m.startsWith("gpt-3.5")) return REGISTRY.getEncoding(EncodingType.CL100K_BASE);
        return null;
    }

    /**
     * Loads both tokenizers now (their vocabularies take a second or two to read): a service calls
     * this before it takes work, so that the first count does not stall a thread that holds a turn.
     */
    public static void load() {
        REGISTRY.getEncoding(EncodingType.O200K_BASE).countTokensOrdinary("warm up");
        REGISTRY.getEncoding(EncodingType.CL100K_BASE).countTokensOrdinary("warm up");
    }

    /** Whether {@code model} is counted with its family's own tokenizer (else by the per-script fallback). */
    public static boolean exact(String model) {
        return model == null || encodingFor(model) != null;
    }

    /** The tokens of {@code text} for {@code model}. */
    public static long text(String model, String text) {
        if (text == null || text.isEmpty()) return 0;
        Encoding e = encodingFor(model);
        return e != null ? e.countTokensOrdinary(text) : Math.round(perScript(text));
    }

    /** The prompt tokens of a call: its messages and the tools it offers. */
    public static long prompt(String model, List<ChatMessage> messages, List<ToolDefinition> tools) {
        Encoding e = encodingFor(model);
        boolean cl100k = e != null && e.getName().equals("cl100k_base");
        long tokens = 3; // every reply is primed with <|start|>assistant<|message|>
        for (ChatMessage m : messages) {
            tokens += 3 + text(model, m.getRole()) + text(model, m.getContent());
            if (m.getName() != null) tokens += 1 + text(model, m.getName());
            if (m.getParts() != null) {
                for (ContentPart p : m.getParts()) tokens += p.getImageUrl() != null ? PER_IMAGE : text(model, p.getText());
            }
            for (ToolCall c : m.getToolCalls()) tokens += 3 + text(model, c.getName()) + text(model, c.getArguments());
            if (m.getToolCallId() != null) tokens += text(model, m.getToolCallId());
        }
        if (!tools.isEmpty()) {
            for (ToolDefinition t : tools) tokens += tool(model, t, cl100k ? 10 : 7);
            tokens += 12;
        }
        return tokens;
    }

    /** One tool as OpenAI's cookbook counts it: "name:description", then "property:type:description" per property. */
    private static long tool(String model, ToolDefinition t, int functionStart) {
        long tokens = functionStart + text(model, t.getName() + ":" + strip(t.getDescription()));
        JsonNode properties;
        try {
            properties = JSON.readTree(t.getParameters()).path("properties");
        } catch (java.io.IOException e) {
            return tokens + text(model, t.getParameters());
        }
        if (properties.isObject() && !properties.isEmpty()) {
            tokens += 3;
            for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> p = it.next();
                tokens += 3;
                JsonNode values = p.getValue().path("enum");
                if (values.isArray()) {
                    tokens -= 3;
                    for (JsonNode v : values) tokens += 3 + text(model, v.asText());
                }
                tokens += text(model, p.getKey() + ":" + p.getValue().path("type").asText() + ":" + strip(p.getValue().path("description").asText(null)));
            }
        }
        return tokens;
    }

    private static String strip(String description) {
        if (description == null) return "";
        return description.endsWith(".") ? description.substring(0, description.length() - 1) : description;
    }

    /** The per-script fallback (see the class documentation). */
    static double perScript(String s) {
        boolean japanese = s.codePoints().anyMatch(c -> script(c) == Character.UnicodeScript.HIRAGANA || script(c) == Character.UnicodeScript.KATAKANA);
        double tokens = 0;
        int i = 0;
        int n = s.length();
        while (i < n) {
            int cp = s.codePointAt(i);
            Character.UnicodeScript sc = script(cp);
            if (Character.isLetterOrDigit(cp) && alphabetic(sc)) {
                int chars = 0;
                while (i < n && Character.isLetterOrDigit(s.codePointAt(i)) && alphabetic(script(s.codePointAt(i)))) {
                    i += Character.charCount(s.codePointAt(i));
                    chars++;
                }
                tokens += Math.max(1, Math.ceil(chars / 10.0));
                continue;
            }
            if (sc == Character.UnicodeScript.HAN) tokens += japanese ? 0.95 : 0.75;
            else if (sc == Character.UnicodeScript.HIRAGANA || sc == Character.UnicodeScript.KATAKANA) tokens += 0.7;
            else if (sc == Character.UnicodeScript.HANGUL) tokens += 0.6;
            else if (!Character.isWhitespace(cp)) tokens += 1;
            i += Character.charCount(cp);
        }
        return tokens;
    }

    private static boolean alphabetic(Character.UnicodeScript sc) {
        return sc == Character.UnicodeScript.LATIN || sc == Character.UnicodeScript.COMMON || sc == Character.UnicodeScript.CYRILLIC
                || sc == Character.UnicodeScript.GREEK;
    }

    private static Character.UnicodeScript script(int cp) {
        return Character.UnicodeScript.of(cp);
    }
}
