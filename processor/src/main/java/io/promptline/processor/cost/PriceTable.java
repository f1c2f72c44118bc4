package io.promptline.processor.cost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A versioned price table: the price of each (provider, model), with provider {@code *} as the
 * price of a model at any provider not listed by name. Every cost event records the version
 * it was priced with.
 */
public final class PriceTable {
    public static final String BUILT_IN = "/io/promptline/processor/cost/prices.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String version;
    private final Map<String, Price> prices;

    public PriceTable(String version, Iterable<Price> entries) {
        if (version == null || version.isBlank()) throw new IllegalArgumentException("price table version must be set");
        this.version = version;
        Map<String, Price> m = new HashMap<>();
        for (Price p : entries) {
            if (m.put(key(p.provider(), p.model()), p) != null) {
                throw new IllegalArgumentException("price table " + version + " lists " + p.provider() + "/" + p.model() + " twice");
            }
        }
        this.prices = Map.copyOf(m);
    }

    public String version() {
        return version;
    }

    /** The price of a model at a provider, falling back to the provider-independent entry. */
    public Optional<Price> find(String provider, String model) {
        Price p = prices.get(key(provider, model));
        return Optional.ofNullable(p != null ? p : prices.get(key("*", model)));
    }

    private static String key(String provider, String model) {
        return provider + "\u0000" + model;
    }

    public static PriceTable builtIn() {
        try (InputStream in = PriceTable.class.getResourceAsStream(BUILT_IN)) {
            if (in == null) throw new IllegalStateException("built-in price table " + BUILT_IN + " is missing from the classpath");
            return parse(JSON.readTree(in), BUILT_IN);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read built-in price table: " + e.getMessage(), e);
        }
    }

    public static PriceTable load(Path file) {
        try {
            return parse(JSON.readTree(Files.readString(file)), file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read price table " + file + ": " + e.getMessage(), e);
        }
    }

    static PriceTable parse(JsonNode root, String source) {
        String version = root.path("version").asText(null);
        JsonNode list = root.path("prices");
        if (version == null || !list.isArray()) {
            throw new IllegalArgumentException("price table " + source + " needs a 'version' and a 'prices' array");
        }
        java.util.List<Price> entries = new java.util.ArrayList<>();
        int i = 0;
        for (JsonNode n : list) {
            String where = source + " prices[" + i++ + "]";
            entries.add(new Price(
                    text(n, "provider", where), text(n, "model", where), text(n, "currency", where),
                    micros(n, "input_per_mtok_micros", where), micros(n, "cached_input_per_mtok_micros", where),
                    micros(n, "output_per_mtok_micros", where), n.path("batch_discount_percent").asInt(0)));
        }
        return new PriceTable(version, entries);
    }

    private static String text(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(where + "." + field + " must be a non-empty string");
        }
        return v.asText();
    }

    private static long micros(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToExactIntegral() || v.asLong() < 0) {
            throw new IllegalArgumentException(where + "." + field + " must be a non-negative integer of micro-units per million tokens");
        }
        return v.asLong();
    }
}
