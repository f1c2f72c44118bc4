package io.promptline.ops.local;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Flags and environment of the local stack. A real provider is used when both
 * {@code PROMPTLINE_LLM_BASE_URL} and an API key ({@code PROMPTLINE_LLM_API_KEY} or
 * {@code PROMPTLINE_LLM_API_KEY_FILE}) are set; otherwise the simulator answers.
 */
record LocalStackSettings(boolean help, boolean fresh, boolean keepRunning, int requests, Duration timeout, Path dir,
                          int kafkaPort, int registryPort, int simulatorPort, int postgresPort, int metricsPort, int maxInFlight,
                          String simulatorLatency, String llmBaseUrl, String apiKey, String provider, String realModel, int brokers,
                          String api) {

    static final String USAGE = """
            Usage: ops/run-local.sh [--requests N] [--timeout-seconds S] [--brokers 1|3] [--fresh] [--keep-running] [--help]

            Runs the whole Promptline pipeline on this machine: Kafka broker processes (KRaft), the schema
            registry, the LLM simulator, PostgreSQL, the processor and the sink; publishes a sample workload
            and prints results, failures and cost per tenant and model.

              --requests N          sample requests to publish (default 300; 10 against a real provider)
              --timeout-seconds S   give up waiting for results after S seconds (default 300)
              --brokers N           Kafka nodes: 1 (default), or 3 and more for a cluster whose topics have
                                    replication factor 3 and min.insync.replicas 2, as in production
              --fresh               delete the stack's data (.localstack/) first
              --keep-running        keep the stack up after the summary, until Ctrl-C

            Environment:
              PROMPTLINE_LLM_BASE_URL      the provider's base URL, e.g. https://api.openai.com/v1
              PROMPTLINE_LLM_API_KEY       its API key (or PROMPTLINE_LLM_API_KEY_FILE: a file holding it)
              PROMPTLINE_LLM_API           the API it speaks: openai (default; any OpenAI-compatible server),
                                           anthropic (https://api.anthropic.com/v1) or azure (a deployment's
                                           URL with ?api-version=)
              PROMPTLINE_LLM_PROVIDER      provider name for prices (default: from the URL's host)
              PROMPTLINE_LLM_MODEL         model for the sample load on a real provider (default gpt-4.1-mini)
              PROMPTLINE_SIMULATOR_LATENCY simulator latency, e.g. lognormal:400,1500 (the default) or fixed:200
              PROMPTLINE_LOCAL_DIR         data directory (default .localstack)
              PROMPTLINE_LOCAL_KAFKA_PORT, _REGISTRY_PORT, _SIMULATOR_PORT, _POSTGRES_PORT, _METRICS_PORT
                                           ports (defaults 19092, 18081, 18000, 15432, 19400; the
                                           processor serves /metrics there, the sink on the next port;
                                           Kafka node N listens on the Kafka port + 2(N-1), its
                                           controller on the port after it)
            """;

    static LocalStackSettings parse(String[] args, Map<String, String> env) {
        boolean help = false, fresh = false, keep = false;
        Integer requests = null;
        long timeoutSeconds = 300;
        int brokers = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> help = true;
                case "--fresh" -> fresh = true;
                case "--keep-running" -> keep = true;
                case "--requests" -> requests = positive("--requests", value(args, ++i));
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
                256, env.getOrDefault("PROMPTLINE_SIMULATOR_LATENCY", "lognormal:400,1500"),
                real ? baseUrl : null, real ? key : null, provider, env.getOrDefault("PROMPTLINE_LLM_MODEL", "gpt-4.1-mini"), brokers,
                real ? env.getOrDefault("PROMPTLINE_LLM_API", "openai") : "openai");
    }

    boolean realProvider() {
        return llmBaseUrl != null;
    }

    /** Never prints the key. */
    @Override
    public String toString() {
        return "LocalStackSettings[requests=" + requests + ", brokers=" + brokers + ", dir=" + dir + ", provider=" + provider + ", apiKey=" + (apiKey == null ? "none" : "****") + "]";
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
