package io.promptline.processor.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptline.processor.provider.ProviderApi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The provider deployments a processor calls, read from the JSON file named by
 * {@code promptline.llm.deployments.file}: each a base URL with its key, the models it serves and
 * the limits the provider gives that account or deployment. The limits hold for all instances
 * together (each instance takes a share). A model is served by every deployment that lists it (or
 * lists none); calls are balanced between them and spill to a sibling when one is throttled.
 *
 * <pre>{@code
 * {"deployments": [
 *   {"name": "openai-a", "provider": "openai", "base_url": "https://api.openai.com/v1", "api_key_env": "OPENAI_KEY_A",
 *    "models": ["gpt-4.1", "gpt-4.1-mini"], "rpm": 10000, "tpm": 2000000, "max_concurrency": 512, "urgent_reserve": 0.2},
 *   {"name": "openai-b", "provider": "openai", "base_url": "https://api.openai.com/v1", "api_key_file": "/run/secrets/openai-b"},
 *   {"name": "claude", "provider": "anthropic", "api": "anthropic", "base_url": "https://api.anthropic.com/v1",
 *    "api_key_env": "ANTHROPIC_KEY", "models": ["claude-sonnet-4.5"]},
 *   {"name": "azure-eu", "provider": "azure", "api": "azure", "api_key_env": "AZURE_KEY", "models": ["gpt-4.1"],
 *    "base_url": "https://eu.openai.azure.com/openai/deployments/gpt-41?api-version=2024-10-21"}
 * ]}
 * }</pre>
 *
 * {@code api} is the API the deployment speaks: openai (the default; any OpenAI-compatible server),
 * anthropic or azure ({@link ProviderApi}). Keys come from the environment ({@code api_key_env}) or
 * a file ({@code api_key_file}), never from the file itself. {@code rpm}, {@code tpm} and {@code max_concurrency} are optional (0 or
 * absent: no limit of that kind); {@code urgent_reserve} (default 0.2) is the share of each limit
 * only urgent calls may use.
 */
public record Deployments(List<Deployment> all) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> KNOWN = Set.of("name", "provider", "api", "base_url", "api_key_env", "api_key_file", "models", "rpm", "tpm",
            "max_concurrency", "urgent_reserve");

    /**
     * One deployment.
     *
     * @param models the models it serves; empty: any
     */
    public record Deployment(String name, String provider, ProviderApi api, String baseUrl, String apiKey, Set<String> models, long rpm,
                             long tpm, int maxConcurrency, double urgentReserve) {
        public boolean serves(String model) {
            return models.isEmpty() || models.contains(model);
        }

        /** Never prints the key. */
        @Override
        public String toString() {
            return name + "[" + provider + " (" + api.name() + ") " + baseUrl + ", models " + (models.isEmpty() ? "any" : models) + ", rpm " + rpm + ", tpm " + tpm
                    + ", max concurrency " + maxConcurrency + ", urgent reserve " + urgentReserve + ", key " + (apiKey == null ? "none" : "****") + "]";
        }
    }

    /** Reads and checks the file; every problem names the file, the deployment and the field. */
    public static Deployments load(Path file, Map<String, String> env) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the deployments file " + file + ": " + e.getMessage());
        }
        JsonNode list = root == null ? null : root.get("deployments");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new IllegalArgumentException(file + ": needs a non-empty \"deployments\" array");
        }
        List<Deployment> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode d = list.get(i);
            String at = file + ": deployments[" + i + "]";
            if (!d.isObject()) throw new IllegalArgumentException(at + " is not an object");
            if (d.has("api_key")) throw new IllegalArgumentException(at + ": keys are not kept in the file; use api_key_env or api_key_file");
            d.fieldNames().forEachRemaining(f -> {
                if (!KNOWN.contains(f)) throw new IllegalArgumentException(at + ": unknown field '" + f + "'; known: " + new java.util.TreeSet<>(KNOWN));
            });
            String name = text(d, "name", at, true);
            String where = file + ": deployment '" + name + "'";
            if (!names.add(name)) throw new IllegalArgumentException(where + ": the name is used twice");
            String provider = text(d, "provider", where, true);
            String baseUrl = text(d, "base_url", where, true);
            if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
                throw new IllegalArgumentException(where + ": base_url must be an http(s) URL, was '" + baseUrl + "'");
            }
            ProviderApi api;
            try {
                api = ProviderApi.of(d.has("api") ? d.get("api").asText() : "openai");
                api.check(java.net.URI.create(baseUrl));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
            String key = key(d, where, env);
            Set<String> models = new LinkedHashSet<>();
            JsonNode m = d.get("models");
            if (m != null) {
                if (!m.isArray()) throw new IllegalArgumentException(where + ": models must be an array of model names");
                m.forEach(x -> models.add(x.asText()));
            }
            long rpm = number(d, "rpm", where);
            long tpm = number(d, "tpm", where);
            long conc = number(d, "max_concurrency", where);
            if (conc > 100_000) throw new IllegalArgumentException(where + ": max_concurrency must be at most 100000, was " + conc);
            double reserve = d.has("urgent_reserve") ? d.get("urgent_reserve").asDouble(-1) : 0.2;
            if (reserve < 0 || reserve >= 1) throw new IllegalArgumentException(where + ": urgent_reserve must be in [0, 1), was " + d.get("urgent_reserve"));
            out.add(new Deployment(name, provider, api, baseUrl, key, Set.copyOf(models), rpm, tpm, (int) conc, reserve));
        }
        return new Deployments(List.copyOf(out));
    }

    /** The deployments that serve {@code model}, in file order. */
    public List<Deployment> serving(String model) {
        return all.stream().filter(d -> d.serves(model)).toList();
    }

    private static String text(JsonNode d, String field, String where, boolean required) {
        JsonNode v = d.get(field);
        if (v == null || v.isNull() || v.asText().isBlank()) {
            if (required) throw new IllegalArgumentException(where + ": '" + field + "' is required");
            return null;
        }
        if (!v.isTextual()) throw new IllegalArgumentException(where + ": '" + field + "' must be a string");
        return v.asText().trim();
    }

    private static long number(JsonNode d, String field, String where) {
        JsonNode v = d.get(field);
        if (v == null || v.isNull()) return 0;
        if (!v.isIntegralNumber() || v.asLong() < 0) {
            throw new IllegalArgumentException(where + ": '" + field + "' must be a whole number >= 0, was " + v);
        }
        return v.asLong();
    }

    private static String key(JsonNode d, String where, Map<String, String> env) {
        if (d.has("api_key")) throw new IllegalArgumentException(where + ": keys are not kept in the file; use api_key_env or api_key_file");
        String fromEnv = text(d, "api_key_env", where, false);
        String fromFile = text(d, "api_key_file", where, false);
        if (fromEnv != null && fromFile != null) throw new IllegalArgumentException(where + ": give api_key_env or api_key_file, not both");
        if (fromEnv != null) {
            String v = env.get(fromEnv);
            if (v == null || v.isBlank()) throw new IllegalArgumentException(where + ": the environment variable " + fromEnv + " (api_key_env) is not set");
            return v.trim();
        }
        if (fromFile != null) {
            try {
                return Files.readString(Path.of(fromFile)).trim();
            } catch (IOException e) {
                throw new IllegalArgumentException(where + ": cannot read api_key_file " + fromFile + ": " + e.getMessage());
            }
        }
        return null;
    }
}
