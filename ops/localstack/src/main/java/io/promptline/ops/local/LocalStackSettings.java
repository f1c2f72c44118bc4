package io.promptline.ops.local;

import io.promptline.ops.simulator.SimulatorConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Flags and environment of the local stack. A real provider is used when both
 * {@code PROMPTLINE_LLM_BASE_URL} and an API key ({@code PROMPTLINE_LLM_API_KEY} or
 * {@code PROMPTLINE_LLM_API_KEY_FILE}) are set; otherwise the simulator answers.
 */
record LocalStackSettings(boolean help, boolean fresh, boolean keepRunning, int requests, Duration timeout, Path dir,
                          int kafkaPort, int registryPort, int simulatorPort, int postgresPort, int metricsPort, int maxInFlight,
                          String simulatorLatency, String llmBaseUrl, String apiKey, String provider, String realModel, int brokers,
                          String api, int importRows, String importTenant, List<TenantLimit> tenantLimits) {

    /** The help text, also printed by ops/run-local.sh before it builds anything. */
    static final String USAGE = usage();

    /** A tenant's limits from {@code --tenant-limit} (tokens per minute 0: none). */
    record TenantLimit(String tenant, long requestsPerMinute, long tokensPerMinute) {
    }

    static LocalStackSettings parse(String[] args, Map<String, String> env) {
        boolean help = false, fresh = false, keep = false;
        Integer requests = null;
        long timeoutSeconds = 300;
        int brokers = 1;
        int inFlight = 256;
        int importRows = 0;
        String importTenant = "seeds";
        String latency = env.getOrDefault("PROMPTLINE_SIMULATOR_LATENCY", "lognormal:400,1500");
        List<TenantLimit> limits = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> help = true;
                case "--fresh" -> fresh = true;
                case "--keep-running" -> keep = true;
                case "--requests" -> requests = positive("--requests", value(args, ++i));
                case "--in-flight" -> inFlight = positive("--in-flight", value(args, ++i));
                case "--import-rows" -> importRows = positive("--import-rows", value(args, ++i));
                case "--tenant" -> importTenant = tenant("--tenant", value(args, ++i));
                case "--latency" -> latency = latency(value(args, ++i));
                case "--tenant-limit" -> limits.add(tenantLimit(value(args, ++i)));
                case "--timeout-seconds" -> timeoutSeconds = positive("--timeout-seconds", value(args, ++i));
                case "--brokers" -> {
                    brokers = positive("--brokers", value(args, ++i));
                    if (brokers == 2 || brokers > 5) {
                        throw new IllegalArgumentException("--brokers must be 1, 3, 4 or 5 (two nodes cannot lose one and keep a quorum), was " + brokers);
                    }
                }
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
            }
        }
        if (requests != null && importRows > 0) throw new IllegalArgumentException("--requests and --import-rows are two workloads: give one");
        latency(latency);
        String baseUrl = env.get("PROMPTLINE_LLM_BASE_URL");
        String key = env.get("PROMPTLINE_LLM_API_KEY");
        if (key == null && env.get("PROMPTLINE_LLM_API_KEY_FILE") != null) key = readKey(Path.of(env.get("PROMPTLINE_LLM_API_KEY_FILE")));
        boolean real = baseUrl != null && !baseUrl.isBlank() && key != null && !key.isBlank();
        if (baseUrl != null && !baseUrl.isBlank() && !real) {
            throw new IllegalArgumentException("PROMPTLINE_LLM_BASE_URL is set but no API key: set PROMPTLINE_LLM_API_KEY or PROMPTLINE_LLM_API_KEY_FILE");
        }
        String provider = env.getOrDefault("PROMPTLINE_LLM_PROVIDER", real ? providerFromHost(baseUrl) : "simulator");
        return new LocalStackSettings(help, fresh, keep, requests != null ? requests : (real ? 10 : 300),
                Duration.ofSeconds(timeoutSeconds), Path.of(env.getOrDefault("PROMPTLINE_LOCAL_DIR", ".localstack")),
                port(env, "PROMPTLINE_LOCAL_KAFKA_PORT", 19092), port(env, "PROMPTLINE_LOCAL_REGISTRY_PORT", 18081),
                port(env, "PROMPTLINE_LOCAL_SIMULATOR_PORT", 18000), port(env, "PROMPTLINE_LOCAL_POSTGRES_PORT", 15432),
                port(env, "PROMPTLINE_LOCAL_METRICS_PORT", 19400),
                inFlight, latency,
                real ? baseUrl : null, real ? key : null, provider, env.getOrDefault("PROMPTLINE_LLM_MODEL", "gpt-4.1-mini"), brokers,
                real ? env.getOrDefault("PROMPTLINE_LLM_API", "openai") : "openai", importRows, importTenant, List.copyOf(limits));
    }

    private static String usage() {
        try (InputStream in = LocalStackSettings.class.getResourceAsStream("run-local-usage.txt")) {
            if (in == null) throw new IllegalStateException("run-local-usage.txt is missing from the classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A latency spec the simulator takes, or a message naming the option. */
    private static String latency(String spec) {
        try {
            SimulatorConfig.builder().latency(spec).build();
            return spec;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--latency (or PROMPTLINE_SIMULATOR_LATENCY): " + e.getMessage());
        }
    }

    private static String tenant(String option, String t) {
        if (t.isBlank() || !t.equals(t.strip())) throw new IllegalArgumentException(option + " needs a tenant name, was '" + t + "'");
        return t;
    }

    /** {@code TENANT=RPM[:TPM]}. */
    static TenantLimit tenantLimit(String v) {
        int eq = v.lastIndexOf('=');
        if (eq <= 0) throw new IllegalArgumentException("--tenant-limit must be TENANT=REQUESTS_PER_MINUTE[:TOKENS_PER_MINUTE], was '" + v + "'");
        String tenant = tenant("--tenant-limit", v.substring(0, eq));
        String[] parts = v.substring(eq + 1).split(":", -1);
        if (parts.length > 2) throw new IllegalArgumentException("--tenant-limit must be TENANT=REQUESTS_PER_MINUTE[:TOKENS_PER_MINUTE], was '" + v + "'");
        long rpm = positive("--tenant-limit " + tenant + " requests per minute", parts[0]);
        long tpm = parts.length == 2 ? positive("--tenant-limit " + tenant + " tokens per minute", parts[1]) : 0;
        return new TenantLimit(tenant, rpm, tpm);
    }

    boolean realProvider() {
        return llmBaseUrl != null;
    }

    /** Never prints the key. */
    @Override
    public String toString() {
        return "LocalStackSettings[requests=" + requests + ", importRows=" + importRows + ", inFlight=" + maxInFlight + ", brokers=" + brokers + ", dir=" + dir + ", provider=" + provider + ", apiKey=" + (apiKey == null ? "none" : "****") + "]";
    }

    private static String providerFromHost(String url) {
        String host = URI.create(url).getHost();
        if (host == null || host.equals("localhost") || host.matches("[0-9.]+") || host.contains(":")) return "custom";
        String[] parts = host.split("\\.");
        return parts.length >= 2 ? parts[parts.length - 2] : host;
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) throw new IllegalArgumentException("option '" + args[i - 1] + "' needs a value");
        return args[i];
    }

    private static int positive(String name, String v) {
        try {
            int n = Integer.parseInt(v);
            if (n > 0) return n;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be a positive whole number, was '" + v + "'");
    }

    private static int port(Map<String, String> env, String name, int dflt) {
        String v = env.get(name);
        if (v == null) return dflt;
        int p = positive(name, v);
        if (p > 65535) throw new IllegalArgumentException(name + " must be a port number, was " + v);
        return p;
    }

    private static String readKey(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read PROMPTLINE_LLM_API_KEY_FILE " + file + ": " + e.getMessage());
        }
    }
}
