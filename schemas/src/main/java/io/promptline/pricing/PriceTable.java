package io.promptline.pricing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A price table: for each (provider, model), rows of prices each with its own version and the
 * instant it took effect, so a price change mid-month prices each call by the time it was made.
 * Provider {@code *} prices a model at any provider not listed by name.
 *
 * <p>File format (JSON): {@code {"version": "2026-11-01", "prices": [{"provider", "model",
 * "currency", "input_per_mtok_micros", "cached_input_per_mtok_micros", "cache_write_per_mtok_micros"
 * (optional, default the input price), "output_per_mtok_micros", "batch_discount_percent"
 * (optional, 0), "version" (optional, the table's), "effective_from" (optional: an ISO date, taken
 * as 00:00 UTC, or instant; default: always)}]}}.
 */
public final class PriceTable {
    public static final String BUILT_IN = "/io/promptline/pricing/prices.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String version;
    /** provider NUL model → rows, latest effective_from first. */
    private final Map<String, List<Price>> prices;
    private final int rows;

    public PriceTable(String version, Iterable<Price> entries) {
        if (version == null || version.isBlank()) throw new IllegalArgumentException("price table version must be set");
        this.version = version;
        Map<String, List<Price>> m = new HashMap<>();
        int n = 0;
        for (Price p : entries) {
            List<Price> rowsOf = m.computeIfAbsent(key(p.provider(), p.model()), k -> new ArrayList<>());
            for (Price other : rowsOf) {
                if (other.effectiveFrom().equals(p.effectiveFrom())) {
                    throw new IllegalArgumentException("price table " + version + " lists " + p.provider() + "/" + p.model()
                            + " twice from " + p.effectiveFrom());
                }
            }
            rowsOf.add(p);
            n++;
        }
        m.values().forEach(l -> l.sort(Comparator.comparing(Price::effectiveFrom).reversed()));
        m.replaceAll((k, l) -> List.copyOf(l));
        this.prices = Map.copyOf(m);
        this.rows = n;
    }

    /** The table's version (rows without their own version carry it). */
    public String version() {
        return version;
    }

    public int rows() {
        return rows;
    }

    /**
     * The price of a model at a provider at an instant: the row of that provider, else of provider
     * {@code *}, that took effect last at or before {@code at}.
     */
    public Optional<Price> find(String provider, String model, Instant at) {
        Optional<Price> own = in(prices.get(key(provider, model)), at);
        return own.isPresent() ? own : in(prices.get(key("*", model)), at);
    }

    /** Whether the model has a price at the provider at any time. */
    public boolean prices(String provider, String model) {
        return prices.containsKey(key(provider, model)) || prices.containsKey(key("*", model));
    }

    private static Optional<Price> in(List<Price> rows, Instant at) {
        if (rows == null) return Optional.empty();
        for (Price p : rows) if (!p.effectiveFrom().isAfter(at)) return Optional.of(p);
        return Optional.empty();
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

    /** The table in {@code file}, or the built-in one when the path is blank. */
    public static PriceTable loadOrBuiltIn(String file) {
        return file == null || file.isBlank() ? builtIn() : load(Path.of(file));
    }

    public static PriceTable load(Path file) {
        try {
            return parse(JSON.readTree(Files.readString(file)), file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read price table " + file + ": " + e.getMessage(), e);
        }
    }

    public static PriceTable parse(JsonNode root, String source) {
        JsonNode v = root.path("version");
        JsonNode list = root.path("prices");
        if (!v.isTextual() || v.asText().isBlank() || !list.isArray()) {
            throw new IllegalArgumentException("price table " + source + " needs a 'version' string and a 'prices' array");
        }
        String version = v.asText();
        List<Price> entries = new ArrayList<>();
        int i = 0;
        for (JsonNode n : list) {
            String where = source + " prices[" + i++ + "]";
            long input = micros(n, "input_per_mtok_micros", where);
            JsonNode rowVersion = n.get("version");
            if (rowVersion != null && (!rowVersion.isTextual() || rowVersion.asText().isBlank())) {
                throw new IllegalArgumentException(where + ".version must be a non-empty string");
            }
            JsonNode discount = n.get("batch_discount_percent");
            if (discount != null && (!discount.canConvertToExactIntegral() || discount.asInt() < 0 || discount.asInt() > 100)) {
                throw new IllegalArgumentException(where + ".batch_discount_percent must be an integer in [0,100]");
            }
            try {
                entries.add(new Price(
                        text(n, "provider", where), text(n, "model", where), text(n, "currency", where),
                        input, micros(n, "cached_input_per_mtok_micros", where),
                        n.has("cache_write_per_mtok_micros") ? micros(n, "cache_write_per_mtok_micros", where) : input,
                        micros(n, "output_per_mtok_micros", where), discount == null ? 0 : discount.asInt(),
                        rowVersion == null ? version : rowVersion.asText(), effectiveFrom(n, where)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
        }
        return new PriceTable(version, entries);
    }

    private static Instant effectiveFrom(JsonNode n, String where) {
        JsonNode v = n.get("effective_from");
        if (v == null || v.isNull()) return Instant.EPOCH;
        if (!v.isTextual()) throw new IllegalArgumentException(where + ".effective_from must be an ISO date or instant, e.g. 2026-12-01");
        String s = v.asText();
        try {
            return s.length() == 10 ? LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(where + ".effective_from must be an ISO date or instant, e.g. 2026-12-01, was '" + s + "'");
        }
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
