package io.promptline.producer.imports;

import io.promptline.avro.Priority;
import io.promptline.producer.Prompt;
import io.promptline.requests.RequestRules;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * How an imported record becomes a prompt. Fields (case-sensitive names; CSV columns and SQL
 * column labels alike): {@code prompt} (or {@code text}) the user message, required;
 * {@code system}; {@code id} (or {@code request_id}), else {@code <importId>-<line>};
 * {@code tenant}, {@code model}, {@code task_type}, {@code max_tokens}, {@code temperature}, each
 * defaulting to the command's options; {@code metadata} (a JSON object, JSONL only). Every
 * refusal names the field; a record that breaks the processor's {@link RequestRules} is refused here.
 */
public record RowMapping(String importId, String tenant, Priority priority, String model, String taskType, String system,
                         Integer maxTokens) {

    /** The prompt, or an error naming what is wrong with the record. */
    public Object map(ImportRow row) {
        Map<String, Object> f = row.fields();
        String text = text(f, "prompt");
        if (text == null) text = text(f, "text");
        if (text == null || text.isBlank()) return "no 'prompt' (or 'text') field with the message";
        String t = orDefault(text(f, "tenant"), tenant);
        if (t == null || t.isBlank()) return "no 'tenant' field and no --tenant";
        String id = text(f, "id");
        if (id == null) id = text(f, "request_id");
        if (id == null) id = importId + "-" + row.line();
        Prompt.Builder b = Prompt.builder(t).requestId(id).priority(priority)
                .model(orDefault(text(f, "model"), model)).taskType(orDefault(text(f, "task_type"), taskType));
        String sys = orDefault(text(f, "system"), system);
        if (sys != null && !sys.isBlank()) b.system(sys);
        b.user(text);
        try {
            Integer mt = integer(f, "max_tokens");
            if (mt == null) mt = maxTokens;
            if (mt != null) b.maxTokens(mt);
            Double temperature = decimal(f, "temperature");
            if (temperature != null) b.temperature(temperature);
        } catch (NumberFormatException e) {
            return e.getMessage();
        }
        Object meta = f.get("metadata");
        if (meta instanceof Map<?, ?> m) m.forEach((k, v) -> b.metadata(String.valueOf(k), String.valueOf(v)));
        else if (meta != null && !(meta instanceof String s && s.isBlank())) return "'metadata' must be a JSON object";
        b.metadata("import", importId).metadata("import.line", Long.toString(row.line()));
        Prompt prompt = b.build();
        // The processor's own rules (ranges, lengths, roles): a line that breaks one is refused here, not dead-lettered later.
        Optional<String> problem = RequestRules.problem(prompt.toRequest(Clock.systemUTC()));
        return problem.isPresent() ? problem.get() : prompt;
    }

    private static String orDefault(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }

    private static String text(Map<String, Object> f, String name) {
        Object v = f.get(name);
        return v == null ? null : v.toString();
    }

    private static Integer integer(Map<String, Object> f, String name) {
        Object v = f.get(name);
        if (v == null || v.toString().isBlank()) return null;
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) return n.intValue();
        try {
            return Integer.valueOf(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new NumberFormatException("'" + name + "' must be an integer, was '" + v + "'");
        }
    }

    private static Double decimal(Map<String, Object> f, String name) {
        Object v = f.get(name);
        if (v == null || v.toString().isBlank()) return null;
        if (v instanceof Number n) return n.doubleValue();
        try {
            return Double.valueOf(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new NumberFormatException("'" + name + "' must be a number, was '" + v + "'");
        }
    }
}
