package io.promptline.ops.simulator;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * Reads a {@link SimulatorConfig} from PROMPTLINE_SIMULATOR_* environment variables (see the table on
 * {@link SimulatorConfig}). Blank values count as absent.
 */
final class SimulatorEnv {

    /** Prefix of the environment variables. */
    static final String ENV_PREFIX = "PROMPTLINE_SIMULATOR_";

    private static final Map<String, BiConsumer<SimulatorConfig.Builder, String>> SETTERS = setters();

    private SimulatorEnv() {}

    /** The known environment variable names, sorted. */
    static List<String> knownVariables() {
        return List.copyOf(new TreeMap<>(SETTERS).keySet());
    }

    static SimulatorConfig read(Map<String, String> env) {
        SimulatorConfig.Builder builder = SimulatorConfig.builder();
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            String key = e.getKey();
            if (!key.startsWith(ENV_PREFIX)) {
                continue;
            }
            BiConsumer<SimulatorConfig.Builder, String> setter = SETTERS.get(key);
            if (setter == null) {
                throw new IllegalArgumentException("unknown simulator variable " + key + " (known: " + knownVariables() + ")");
            }
            String value = e.getValue() == null ? "" : e.getValue().trim();
            if (!value.isEmpty()) {
                setter.accept(builder, value);
            }
        }
        return builder.build();
    }

    private static Map<String, BiConsumer<SimulatorConfig.Builder, String>> setters() {
        Map<String, BiConsumer<SimulatorConfig.Builder, String>> m = new LinkedHashMap<>();
        m.put(env("host"), (b, v) -> b.host(v));
        m.put(env("port"), (b, v) -> b.port(integer("port", v)));
        m.put(env("instances"), (b, v) -> b.instances(integer("instances", v)));
        m.put(env("latency"), (b, v) -> b.latency(v));
        m.put(env("seed"), (b, v) -> b.seed(longValue("seed", v)));
        m.put(env("completion.tokens.min"), (b, v) -> b.completionTokensMin(integer("completion.tokens.min", v)));
        m.put(env("completion.tokens.max"), (b, v) -> b.completionTokensMax(integer("completion.tokens.max", v)));
        m.put(env("cached.fraction"), (b, v) -> b.cachedFraction(decimal("cached.fraction", v)));
        m.put(env("cached.min.prompt.tokens"), (b, v) -> b.cachedMinPromptTokens(integer("cached.min.prompt.tokens", v)));
        m.put(env("reasoning.fraction"), (b, v) -> b.reasoningFraction(decimal("reasoning.fraction", v)));
        m.put(env("models"), (b, v) -> b.models(list(v)));
        m.put(env("context.windows"), (b, v) -> b.contextWindows(windows(v)));
        m.put(env("context.window.default"), (b, v) -> b.defaultContextWindow(integer("context.window.default", v)));
        m.put(env("fault.rate.429"), (b, v) -> b.rate429(decimal("fault.rate.429", v)));
        m.put(env("fault.rate.500"), (b, v) -> b.rate500(decimal("fault.rate.500", v)));
        m.put(env("fault.rate.503"), (b, v) -> b.rate503(decimal("fault.rate.503", v)));
        m.put(env("fault.rate.hang"), (b, v) -> b.rateHang(decimal("fault.rate.hang", v)));
        m.put(env("fault.rate.reset"), (b, v) -> b.rateReset(decimal("fault.rate.reset", v)));
        m.put(env("fault.rate.context_length"), (b, v) -> b.rateContextLength(decimal("fault.rate.context_length", v)));
        m.put(env("fault.rate.401"), (b, v) -> b.rate401(decimal("fault.rate.401", v)));
        m.put(env("retry.after.seconds"), (b, v) -> b.retryAfterSeconds(integer("retry.after.seconds", v)));
        m.put(env("hang.millis"), (b, v) -> b.hangMillis(longValue("hang.millis", v)));
        m.put(env("stream.piece.millis"), (b, v) -> b.streamPieceMillis(longValue("stream.piece.millis", v)));
        m.put(env("api.key"), (b, v) -> b.apiKey(v));
        m.put(env("record.calls"), (b, v) -> b.recordCalls(bool("record.calls", v)));
        m.put(env("max.recorded.calls"), (b, v) -> b.maxRecordedCalls(integer("max.recorded.calls", v)));
        m.put(env("ratelimit.requests"), (b, v) -> b.rateLimitRequests(longValue("ratelimit.requests", v)));
        m.put(env("ratelimit.tokens"), (b, v) -> b.rateLimitTokens(longValue("ratelimit.tokens", v)));
        m.put(env("batch.completion.millis"), (b, v) -> b.batchCompletionMillis(longValue("batch.completion.millis", v)));
        return m;
    }

    /** The environment variable of a property suffix: PROMPTLINE_SIMULATOR_ + upper-case, '.' to '_'. */
    static String env(String suffix) {
        return ENV_PREFIX + suffix.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    private static int integer(String suffix, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw bad(suffix, "an integer", v);
        }
    }

    private static long longValue(String suffix, String v) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw bad(suffix, "an integer", v);
        }
    }

    private static double decimal(String suffix, String v) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw bad(suffix, "a number", v);
        }
    }

    private static boolean bool(String suffix, String v) {
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw bad(suffix, "true or false", v);
    }

    private static List<String> list(String v) {
        return Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static Map<String, Integer> windows(String v) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (String entry : list(v)) {
            int eq = entry.lastIndexOf('=');
            if (eq <= 0) {
                throw bad("context.windows", "a list of model=tokens", v);
            }
            m.put(entry.substring(0, eq).trim(), integer("context.windows", entry.substring(eq + 1).trim()));
        }
        return m;
    }

    private static IllegalArgumentException bad(String suffix, String expected, String value) {
        return new IllegalArgumentException(env(suffix) + " must be " + expected + ", was '" + value + "'");
    }
}
