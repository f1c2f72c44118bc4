package io.promptline.processor.routing;

import io.promptline.avro.PromptRequest;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Chooses the model of a request, in this order: the model the request names; else the first
 * {@link RoutingRules routing rule} that matches it (keywords or a regex on its text, metadata,
 * tenant, task type, prompt-length tiers); else its task_type's route; else, without a task_type,
 * the default model. An unknown task_type no rule catches is the publisher's error. The route
 * taken is recorded on the result ({@code route}).
 */
public final class Router {
    /** A model and how it was chosen: {@code model}, {@code rule:<name>}, {@code task_type:<type>} or {@code default}. */
    public record Route(String model, String how) {
    }

    private final Map<String, String> modelByTaskType;
    private final String defaultModel;
    private final RoutingRules rules;

    public Router(Map<String, String> modelByTaskType, String defaultModel) {
        this(modelByTaskType, defaultModel, RoutingRules.NONE);
    }

    public Router(Map<String, String> modelByTaskType, String defaultModel, RoutingRules rules) {
        this.modelByTaskType = Map.copyOf(modelByTaskType);
        this.defaultModel = defaultModel;
        this.rules = rules;
    }

    /** The route, or empty when the request's task_type has no route and no rule matched. */
    public Optional<Route> route(PromptRequest r) {
        if (r.getModel() != null && !r.getModel().isBlank()) return Optional.of(new Route(r.getModel(), "model"));
        Optional<RoutingRules.Rule> rule = rules.match(r);
        if (rule.isPresent()) return Optional.of(new Route(rule.get().model(), "rule:" + rule.get().name()));
        if (r.getTaskType() == null) return Optional.of(new Route(defaultModel, "default"));
        String model = modelByTaskType.get(r.getTaskType());
        return model == null ? Optional.empty() : Optional.of(new Route(model, "task_type:" + r.getTaskType()));
    }

    /** The model, or empty when the request's task_type has no route. */
    public Optional<String> model(PromptRequest r) {
        return route(r).map(Route::model);
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
