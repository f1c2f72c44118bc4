package io.promptline.ops.simulator;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Immutable configuration of the {@link LlmSimulator}. Build with {@link #builder()}, start from
 * {@link #defaults()}, or read the environment with {@link #fromEnv(Map)}.
 *
 * <p>Every field has a property name (used in validation messages) and an environment variable
 * (the property name upper-cased with '.' replaced by '_'):
 *
 * <table>
 *   <caption>Configuration keys</caption>
 *   <tr><th>Builder method</th><th>Property</th><th>Environment variable</th><th>Default</th></tr>
 *   <tr><td>host</td><td>promptline.simulator.host</td><td>PROMPTLINE_SIMULATOR_HOST</td><td>127.0.0.1</td></tr>
 *   <tr><td>port</td><td>promptline.simulator.port</td><td>PROMPTLINE_SIMULATOR_PORT</td><td>0 (ephemeral)</td></tr>
 *   <tr><td>instances</td><td>promptline.simulator.instances</td><td>PROMPTLINE_SIMULATOR_INSTANCES</td><td>1</td></tr>
 *   <tr><td>latency</td><td>promptline.simulator.latency</td><td>PROMPTLINE_SIMULATOR_LATENCY</td><td>fixed:50</td></tr>
 *   <tr><td>seed</td><td>promptline.simulator.seed</td><td>PROMPTLINE_SIMULATOR_SEED</td><td>42</td></tr>
 *   <tr><td>completionTokensMin</td><td>promptline.simulator.completion.tokens.min</td><td>PROMPTLINE_SIMULATOR_COMPLETION_TOKENS_MIN</td><td>20</td></tr>
 *   <tr><td>completionTokensMax</td><td>promptline.simulator.completion.tokens.max</td><td>PROMPTLINE_SIMULATOR_COMPLETION_TOKENS_MAX</td><td>200</td></tr>
 *   <tr><td>cachedFraction</td><td>promptline.simulator.cached.fraction</td><td>PROMPTLINE_SIMULATOR_CACHED_FRACTION</td><td>0.5</td></tr>
 *   <tr><td>cachedMinPromptTokens</td><td>promptline.simulator.cached.min.prompt.tokens</td><td>PROMPTLINE_SIMULATOR_CACHED_MIN_PROMPT_TOKENS</td><td>1024</td></tr>
 *   <tr><td>reasoningFraction</td><td>promptline.simulator.reasoning.fraction</td><td>PROMPTLINE_SIMULATOR_REASONING_FRACTION</td><td>0.0</td></tr>
 *   <tr><td>models</td><td>promptline.simulator.models</td><td>PROMPTLINE_SIMULATOR_MODELS (comma-separated)</td><td>gpt-4.1, gpt-4.1-mini, claude-sonnet-4.5, gemini-2.5-flash, deepseek-v3.2</td></tr>
 *   <tr><td>contextWindow(model, tokens) / contextWindows</td><td>promptline.simulator.context.windows</td><td>PROMPTLINE_SIMULATOR_CONTEXT_WINDOWS ({@code model=tokens,model=tokens})</td><td>empty</td></tr>
 *   <tr><td>defaultContextWindow</td><td>promptline.simulator.context.window.default</td><td>PROMPTLINE_SIMULATOR_CONTEXT_WINDOW_DEFAULT</td><td>128000</td></tr>
 *   <tr><td>rate429</td><td>promptline.simulator.fault.rate.429</td><td>PROMPTLINE_SIMULATOR_FAULT_RATE_429</td><td>0</td></tr>
 *   <tr><td>rate500</td><td>promptline.simulator.fault.rate.500</td><td>PROMPTLINE_SIMULATOR_FAULT_RATE_500</td><td>0</td></tr>
 *   <tr><td>rate503</td><td>promptline.simulator.fault.rate.503</td><td>PROMPTLINE_SIMULATOR_FAULT_RATE_503</td><td>0</td></tr>
 *   <tr><td>rateHang</td><td>promptline.simulator.fault.rate.hang</td><td>PROMPTLINE_SIMULATOR_FAULT_RATE_HANG</td><td>0</td></tr>
 *   <tr><td>rateReset</td><td>promptline.simulator.fault.rate.reset</td><td>PROMPTLINE_SIMULATOR_FAULT_RATE_RESET</td><td>0</td></tr>
 *   <tr><td>rateContextLength</td><td>promptline.simulator.fault.rate.context_length</td><td>PROMPTLINE_SIMULATOR_FAULT_RATE_CONTEXT_LENGTH</td><td>0</td></tr>
 *   <tr><td>rate401</td><td>promptline.simulator.fault.rate.401</td><td>PROMPTLINE_SIMULATOR_FAULT_RATE_401</td><td>0</td></tr>
 *   <tr><td>retryAfterSeconds</td><td>promptline.simulator.retry.after.seconds</td><td>PROMPTLINE_SIMULATOR_RETRY_AFTER_SECONDS</td><td>1</td></tr>
 *   <tr><td>hangMillis</td><td>promptline.simulator.hang.millis</td><td>PROMPTLINE_SIMULATOR_HANG_MILLIS</td><td>120000</td></tr>
 *   <tr><td>apiKey</td><td>promptline.simulator.api.key</td><td>PROMPTLINE_SIMULATOR_API_KEY</td><td>null (no check)</td></tr>
 *   <tr><td>recordCalls</td><td>promptline.simulator.record.calls</td><td>PROMPTLINE_SIMULATOR_RECORD_CALLS</td><td>true</td></tr>
 *   <tr><td>maxRecordedCalls</td><td>promptline.simulator.max.recorded.calls</td><td>PROMPTLINE_SIMULATOR_MAX_RECORDED_CALLS</td><td>2000000</td></tr>
 *   <tr><td>rateLimitRequests</td><td>promptline.simulator.ratelimit.requests</td><td>PROMPTLINE_SIMULATOR_RATELIMIT_REQUESTS</td><td>10000</td></tr>
 *   <tr><td>rateLimitTokens</td><td>promptline.simulator.ratelimit.tokens</td><td>PROMPTLINE_SIMULATOR_RATELIMIT_TOKENS</td><td>10000000</td></tr>
 *   <tr><td>batchCompletionMillis</td><td>promptline.simulator.batch.completion.millis</td><td>PROMPTLINE_SIMULATOR_BATCH_COMPLETION_MILLIS</td><td>5000</td></tr>
 *   <tr><td>streamPieceMillis</td><td>promptline.simulator.stream.piece.millis</td><td>PROMPTLINE_SIMULATOR_STREAM_PIECE_MILLIS</td><td>5</td></tr>
 * </table>
 *
 * <p>The seven fault rates are probabilities per request, each in [0,1] and together at most 1.
 *
 * @param host interface to bind; default 127.0.0.1
 * @param port TCP port; 0 (default) picks an ephemeral port
 * @param instances number of HTTP server instances (event loops) sharing the port; default 1
 * @param latency response latency distribution; default {@code fixed:50}
 * @param seed seed of the {@link java.util.Random} drawing latencies and fault rates; default 42
 * @param completionTokensMin smallest natural completion token count; default 20
 * @param completionTokensMax largest natural completion token count; default 200
 * @param cachedFraction share of prompt tokens reported as cached above the threshold; default 0.5
 * @param cachedMinPromptTokens prompt size from which tokens are reported as cached; default 1024
 * @param reasoningFraction share of completion tokens reported as reasoning tokens; default 0.0
 * @param models model ids listed by GET /v1/models (others are still served, and counted); default five models
 * @param contextWindows per-model context windows in tokens; default empty
 * @param defaultContextWindow context window of models absent from {@code contextWindows}; default 128000
 * @param rate429 probability of a 429 rate-limit answer; default 0
 * @param rate500 probability of a 500 answer; default 0
 * @param rate503 probability of a 503 answer; default 0
 * @param rateHang probability of holding the request without answer for {@code hangMillis}; default 0
 * @param rateReset probability of closing the connection without answer; default 0
 * @param rateContextLength probability of a 400 context_length_exceeded answer; default 0
 * @param rate401 probability of a 401 invalid_api_key answer; default 0
 * @param retryAfterSeconds retry-after of 429 answers; default 1
 * @param hangMillis how long a hang holds the request before closing the connection; default 120000
 * @param apiKey when non-null, requests without {@code Authorization: Bearer <apiKey>} get 401; default null
 * @param recordCalls whether successful calls are recorded in the ledger (GET /sim/calls); default true
 * @param maxRecordedCalls bound of the ledger (later calls are counted but not recorded); default 2000000
 * @param rateLimitRequests value of x-ratelimit-limit-requests; default 10000
 * @param rateLimitTokens value of x-ratelimit-limit-tokens; default 10000000
 * @param batchCompletionMillis time from a batch's creation (POST /v1/batches) to its completion; default 5000
 */
public record SimulatorConfig(
        String host,
        int port,
        int instances,
        LatencyDistribution latency,
        long seed,
        int completionTokensMin,
        int completionTokensMax,
        double cachedFraction,
        int cachedMinPromptTokens,
        double reasoningFraction,
        List<String> models,
        Map<String, Integer> contextWindows,
        int defaultContextWindow,
        double rate429,
        double rate500,
        double rate503,
        double rateHang,
        double rateReset,
        double rateContextLength,
        double rate401,
        int retryAfterSeconds,
        long hangMillis,
        String apiKey,
        boolean recordCalls,
        int maxRecordedCalls,
        long rateLimitRequests,
        long rateLimitTokens,
        long batchCompletionMillis,
        long streamPieceMillis) {

    /** Models listed by default. */
    public static final List<String> DEFAULT_MODELS =
            List.of("gpt-4.1", "gpt-4.1-mini", "claude-sonnet-4.5", "gemini-2.5-flash", "deepseek-v3.2");

    /** Prefix of every property name; environment variables use it upper-cased with '_' for '.'. */
    public static final String PREFIX = "promptline.simulator.";

    /**
     * Canonical constructor: validates every field and copies the collections. Prefer {@link #builder()}.
     *
     * @throws IllegalArgumentException naming the property and the offending value
     */
    public SimulatorConfig {
        ConfigChecks.notBlank("host", host);
        ConfigChecks.range("port", port, 0, 65535);
        ConfigChecks.range("instances", instances, 1, 64);
        if (latency == null) {
            throw new IllegalArgumentException(PREFIX + "latency must not be null");
        }
        ConfigChecks.range("completion.tokens.min", completionTokensMin, 1, Integer.MAX_VALUE);
        ConfigChecks.range("completion.tokens.max", completionTokensMax, completionTokensMin, Integer.MAX_VALUE);
        ConfigChecks.fraction("cached.fraction", cachedFraction);
        ConfigChecks.range("cached.min.prompt.tokens", cachedMinPromptTokens, 0, Integer.MAX_VALUE);
        ConfigChecks.fraction("reasoning.fraction", reasoningFraction);
        models = ConfigChecks.models(models);
        contextWindows = ConfigChecks.contextWindows(contextWindows);
        ConfigChecks.range("context.window.default", defaultContextWindow, 1, Integer.MAX_VALUE);
        ConfigChecks.rates(rate429, rate500, rate503, rateHang, rateReset, rateContextLength, rate401);
        ConfigChecks.range("retry.after.seconds", retryAfterSeconds, 0, 86_400);
        ConfigChecks.range("hang.millis", hangMillis, 1, 86_400_000L);
        ConfigChecks.range("max.recorded.calls", maxRecordedCalls, 0, Integer.MAX_VALUE);
        ConfigChecks.range("ratelimit.requests", rateLimitRequests, 1, Long.MAX_VALUE);
        ConfigChecks.range("ratelimit.tokens", rateLimitTokens, 1, Long.MAX_VALUE);
        ConfigChecks.range("stream.piece.millis", streamPieceMillis, 1, 60_000L);
        ConfigChecks.range("batch.completion.millis", batchCompletionMillis, 0, 86_400_000L);
    }

    /** All defaults (see the table above). */
    public static SimulatorConfig defaults() {
        return builder().build();
    }

    /** A builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Reads the PROMPTLINE_SIMULATOR_* variables of {@code env} (see the table above); absent keys keep
     * their defaults. Unknown PROMPTLINE_SIMULATOR_* keys and unparseable values are rejected.
     *
     * @throws IllegalArgumentException naming the variable and value
     */
    public static SimulatorConfig fromEnv(Map<String, String> env) {
        return SimulatorEnv.read(env);
    }

    /** The context window of {@code model}: its configured window or {@link #defaultContextWindow()}. */
    public int contextWindow(String model) {
        return contextWindows.getOrDefault(model, defaultContextWindow);
    }

    /** Sum of the seven fault rates (the probability that a request draws a random fault). */
    public double totalFaultRate() {
        return rate429 + rate500 + rate503 + rateHang + rateReset + rateContextLength + rate401;
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 0;
        private int instances = 1;
        private String latencySpec = "fixed:50";
        private long seed = 42L;
        private int completionTokensMin = 20;
        private int completionTokensMax = 200;
        private double cachedFraction = 0.5;
        private int cachedMinPromptTokens = 1024;
        private double reasoningFraction = 0.0;
        private List<String> models = DEFAULT_MODELS;
        private final Map<String, Integer> contextWindows = new LinkedHashMap<>();
        private int defaultContextWindow = 128_000;
        private double rate429;
        private double rate500;
        private double rate503;
        private double rateHang;
        private double rateReset;
        private double rateContextLength;
        private double rate401;
        private int retryAfterSeconds = 1;
        private long hangMillis = 120_000L;
        private String apiKey;
        private boolean recordCalls = true;
        private int maxRecordedCalls = 2_000_000;
        private long rateLimitRequests = 10_000L;
        private long rateLimitTokens = 10_000_000L;
        private long batchCompletionMillis = 5_000L;
        private long streamPieceMillis = 5L;

        private Builder() {}

        private Builder(SimulatorConfig c) {
            host = c.host; port = c.port; instances = c.instances; latencySpec = c.latency.spec();
            seed = c.seed; completionTokensMin = c.completionTokensMin; completionTokensMax = c.completionTokensMax;
            cachedFraction = c.cachedFraction; cachedMinPromptTokens = c.cachedMinPromptTokens;
            reasoningFraction = c.reasoningFraction; models = c.models; contextWindows.putAll(c.contextWindows);
            defaultContextWindow = c.defaultContextWindow; rate429 = c.rate429; rate500 = c.rate500;
            rate503 = c.rate503; rateHang = c.rateHang; rateReset = c.rateReset;
            rateContextLength = c.rateContextLength; rate401 = c.rate401; retryAfterSeconds = c.retryAfterSeconds;
            hangMillis = c.hangMillis; apiKey = c.apiKey; recordCalls = c.recordCalls;
            maxRecordedCalls = c.maxRecordedCalls; rateLimitRequests = c.rateLimitRequests;
            rateLimitTokens = c.rateLimitTokens; batchCompletionMillis = c.batchCompletionMillis;
            streamPieceMillis = c.streamPieceMillis;
        }

        public Builder host(String v) { host = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder instances(int v) { instances = v; return this; }
        /** Latency spec, e.g. {@code fixed:200}, {@code uniform:100-300}, {@code lognormal:200,800}. */
        public Builder latency(String spec) { latencySpec = spec; return this; }
        public Builder latency(LatencyDistribution v) { latencySpec = v.spec(); return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder completionTokensMin(int v) { completionTokensMin = v; return this; }
        public Builder completionTokensMax(int v) { completionTokensMax = v; return this; }
        public Builder cachedFraction(double v) { cachedFraction = v; return this; }
        public Builder cachedMinPromptTokens(int v) { cachedMinPromptTokens = v; return this; }
        public Builder reasoningFraction(double v) { reasoningFraction = v; return this; }
        public Builder models(List<String> v) { models = v; return this; }
        /** Sets the context window of one model (adds to the map). */
        public Builder contextWindow(String model, int tokens) { contextWindows.put(model, tokens); return this; }
        /** Replaces the per-model context windows. */
        public Builder contextWindows(Map<String, Integer> v) { contextWindows.clear(); contextWindows.putAll(v); return this; }
        public Builder defaultContextWindow(int v) { defaultContextWindow = v; return this; }
        public Builder rate429(double v) { rate429 = v; return this; }
        public Builder rate500(double v) { rate500 = v; return this; }
        public Builder rate503(double v) { rate503 = v; return this; }
        public Builder rateHang(double v) { rateHang = v; return this; }
        public Builder rateReset(double v) { rateReset = v; return this; }
        public Builder rateContextLength(double v) { rateContextLength = v; return this; }
        public Builder rate401(double v) { rate401 = v; return this; }
        public Builder retryAfterSeconds(int v) { retryAfterSeconds = v; return this; }
        public Builder hangMillis(long v) { hangMillis = v; return this; }
        /** API key to require as {@code Authorization: Bearer <key>}; null disables the check. */
        public Builder apiKey(String v) { apiKey = v; return this; }
        public Builder recordCalls(boolean v) { recordCalls = v; return this; }
        public Builder maxRecordedCalls(int v) { maxRecordedCalls = v; return this; }
        public Builder rateLimitRequests(long v) { rateLimitRequests = v; return this; }
        public Builder rateLimitTokens(long v) { rateLimitTokens = v; return this; }
        public Builder batchCompletionMillis(long v) { batchCompletionMillis = v; return this; }
        /** Time between the events of a streamed answer (its first comes after the call's latency). */
        public Builder streamPieceMillis(long v) { streamPieceMillis = v; return this; }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException naming the property and the offending value
         */
        public SimulatorConfig build() {
            LatencyDistribution latency = parseLatency();
            return new SimulatorConfig(host, port, instances, latency, seed, completionTokensMin,
                    completionTokensMax, cachedFraction, cachedMinPromptTokens, reasoningFraction,
                    models, contextWindows, defaultContextWindow, rate429, rate500,
                    rate503, rateHang, rateReset, rateContextLength, rate401, retryAfterSeconds, hangMillis,
                    apiKey, recordCalls, maxRecordedCalls, rateLimitRequests, rateLimitTokens, batchCompletionMillis, streamPieceMillis);
        }

        private LatencyDistribution parseLatency() {
            try {
                return LatencyDistribution.parse(latencySpec);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(PREFIX + "latency: " + e.getMessage(), e);
            }
        }
    }
}
