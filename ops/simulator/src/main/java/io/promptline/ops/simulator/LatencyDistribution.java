package io.promptline.ops.simulator;

import java.util.Random;

/**
 * Distribution of the simulated response latency, parsed from a spec string.
 *
 * <table>
 *   <caption>Supported specs</caption>
 *   <tr><th>Spec</th><th>Meaning</th></tr>
 *   <tr><td>{@code fixed:200}</td><td>always 200 ms (0 allowed: answer without a timer)</td></tr>
 *   <tr><td>{@code uniform:100-300}</td><td>uniform integer in [100, 300] ms</td></tr>
 *   <tr><td>{@code lognormal:200,800}</td><td>log-normal with median 200 ms and 99th percentile 800 ms
 *       (sigma = ln(p99/median) / 2.3263); samples are capped at {@link #MAX_MILLIS}</td></tr>
 * </table>
 *
 * <p>Sampling uses the caller's {@link Random} (the simulator's seeded instance), so a run with the
 * same seed and the same arrival order draws the same latencies.
 */
public sealed interface LatencyDistribution
        permits LatencyDistribution.Fixed, LatencyDistribution.Uniform, LatencyDistribution.LogNormal {

    /** Upper bound of any sample, in milliseconds (one hour). */
    long MAX_MILLIS = 3_600_000L;

    /** z-score of the 99th percentile of the standard normal distribution. */
    double Z_99 = 2.3263478740408408;

    /** Draws one latency in milliseconds, in [0, {@link #MAX_MILLIS}]. */
    long sampleMillis(Random random);

    /** The canonical spec string, parseable by {@link #parse(String)}. */
    String spec();

    /**
     * Parses a spec ({@code fixed:MS}, {@code uniform:MIN-MAX}, {@code lognormal:MEDIAN,P99}).
     *
     * @throws IllegalArgumentException naming the spec when it is malformed or out of range
     */
    static LatencyDistribution parse(String spec) {
        if (spec == null) {
            throw new IllegalArgumentException("latency spec must not be null");
        }
        String s = spec.trim();
        int colon = s.indexOf(':');
        if (colon < 0) {
            throw invalid(spec, "expected fixed:MS, uniform:MIN-MAX or lognormal:MEDIAN,P99");
        }
        String kind = s.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT);
        String args = s.substring(colon + 1).trim();
        switch (kind) {
            case "fixed":
                return new Fixed(number(spec, args));
            case "uniform":
                return parseUniform(spec, args);
            case "lognormal":
                return parseLogNormal(spec, args);
            default:
                throw invalid(spec, "unknown kind '" + kind + "' (expected fixed, uniform or lognormal)");
        }
    }

    private static LatencyDistribution parseUniform(String spec, String args) {
        long[] minMax = pair(spec, args, "-", "expected uniform:MIN-MAX");
        if (minMax[0] > minMax[1]) {
            throw invalid(spec, "MIN must be <= MAX");
        }
        return new Uniform(minMax[0], minMax[1]);
    }

    private static LatencyDistribution parseLogNormal(String spec, String args) {
        long[] medianP99 = pair(spec, args, ",", "expected lognormal:MEDIAN,P99");
        if (medianP99[0] <= 0) {
            throw invalid(spec, "MEDIAN must be > 0");
        }
        if (medianP99[1] < medianP99[0]) {
            throw invalid(spec, "P99 must be >= MEDIAN");
        }
        return new LogNormal(medianP99[0], medianP99[1]);
    }

    /** Two numbers of milliseconds separated by {@code separator}. */
    private static long[] pair(String spec, String args, String separator, String expected) {
        String[] parts = args.split(separator, -1);
        if (parts.length != 2) {
            throw invalid(spec, expected);
        }
        return new long[]{number(spec, parts[0]), number(spec, parts[1])};
    }

    private static long number(String spec, String text) {
        long value;
        try {
            value = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw invalid(spec, "'" + text.trim() + "' is not a whole number of milliseconds");
        }
        if (value < 0 || value > MAX_MILLIS) {
            throw invalid(spec, "milliseconds must be in [0," + MAX_MILLIS + "], was " + value);
        }
        return value;
    }

    private static IllegalArgumentException invalid(String spec, String why) {
        return new IllegalArgumentException("invalid latency spec '" + spec + "': " + why);
    }

    /** Always {@code millis}. */
    record Fixed(long millis) implements LatencyDistribution {
        @Override
        public long sampleMillis(Random random) {
            return millis;
        }

        @Override
        public String spec() {
            return "fixed:" + millis;
        }
    }

    /** Uniform integer in [{@code minMillis}, {@code maxMillis}]. */
    record Uniform(long minMillis, long maxMillis) implements LatencyDistribution {
        @Override
        public long sampleMillis(Random random) {
            long span = maxMillis - minMillis + 1;
            return minMillis + (long) Math.floor(random.nextDouble() * span);
        }

        @Override
        public String spec() {
            return "uniform:" + minMillis + "-" + maxMillis;
        }
    }

    /** Log-normal with the given median and 99th percentile, in milliseconds. */
    record LogNormal(long medianMillis, long p99Millis) implements LatencyDistribution {
        @Override
        public long sampleMillis(Random random) {
            double mu = Math.log(medianMillis);
            double sigma = (Math.log(p99Millis) - mu) / Z_99;
            double value = Math.exp(mu + sigma * random.nextGaussian());
            return Math.min(MAX_MILLIS, Math.max(0L, Math.round(value)));
        }

        @Override
        public String spec() {
            return "lognormal:" + medianMillis + "," + p99Millis;
        }
    }
}
