package io.promptline.processor.routing;

import io.promptline.avro.PromptRequest;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Chooses the model of a request: an explicit model wins, else the task_type map, else the
 * default model when no task_type is given. An unknown task_type is the publisher's error.
 */
public final class Router {
    private final Map<String, String> modelByTaskType;
    private final String defaultModel;

    public Router(Map<String, String> modelByTaskType, String defaultModel) {
        this.modelByTaskType = Map.copyOf(modelByTaskType);
        this.defaultModel = defaultModel;
    }

    /** The model, or empty when the request's task_type has no route. */
    public Optional<String> model(PromptRequest r) {
        if (r.getModel() != null && !r.getModel().isBlank()) return Optional.of(r.getModel());
        if (r.getTaskType() == null) return Optional.of(defaultModel);
        return Optional.ofNullable(modelByTaskType.get(r.getTaskType()));
    }

    public String describeRoutes() {
        return new TreeMap<>(modelByTaskType).toString();
    }

    /** Parses {@code code=deepseek-v3.2,quick=gemini-2.5-flash}; the message names a bad entry. */
    public static Map<String, String> parseRoutes(Iterable<String> entries) {
        return parsePairs(entries, "task_type=model");
    }

    /** Parses {@code key=value} entries; the message names a bad entry and the expected {@code shape}. */
    public static Map<String, String> parsePairs(Iterable<String> entries, String shape) {
        Map<String, String> out = new TreeMap<>();
        for (String e : entries) {
            String[] kv = e.split("=", 2);
            if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
                throw new IllegalArgumentException("entry '" + e + "' must look like " + shape);
            }
            out.put(kv[0].trim(), kv[1].trim());
        }
        return out;
    }
}
