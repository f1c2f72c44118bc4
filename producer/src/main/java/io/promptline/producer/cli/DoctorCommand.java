package io.promptline.producer.cli;

import io.promptline.pricing.Price;
import io.promptline.pricing.PriceTable;
import io.promptline.producer.doctor.ClusterChecks;
import io.promptline.producer.doctor.Finding;
import io.promptline.producer.doctor.ProviderProbe;
import io.promptline.topics.DurationFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code promptline doctor}: before the first request, whatever would make requests fail — one
 * line per check, a verdict each, exit 1 when any check failed. The provider settings are read
 * from the environment as the processor reads them, so the same variables answer both.
 */
@Command(name = "doctor", description = {"Checks, before the first request, what would make requests fail: the broker (topics, "
        + "partitions, replication, transactions), the registry (subjects, compatibility), the provider (a one-token call: status, "
        + "latency, usage, rate-limit headers), a price for every configured and routed model, the sink's database and migrations, "
        + "and the processors' health endpoints. Exits 1 when a check fails.",
        "Provider settings come from the processor's environment (PROMPTLINE_LLM_BASE_URL, PROMPTLINE_LLM_API, "
                + "PROMPTLINE_LLM_PROVIDER, PROMPTLINE_LLM_API_KEY or PROMPTLINE_LLM_API_KEY_FILE, PROMPTLINE_LLM_DEFAULT_MODEL, "
                + "PROMPTLINE_ROUTING_TASK_TYPES, PROMPTLINE_PROCESSOR_PRICE_TABLE, PROMPTLINE_PROCESSOR_UNPRICED_MODELS) or the options."})
final class DoctorCommand implements Callable<Integer> {
    @Mixin
    Connection connection;
    @Spec
    CommandSpec spec;

    @Option(names = "--retry-delays", split = ",", defaultValue = "${env:PROMPTLINE_RETRY_DELAYS:-10s,1m,10m}",
            description = "The processor's delay ladder, whose topics must exist (default ${DEFAULT-VALUE}).")
    List<String> retryDelays;
    @Option(names = "--llm-base-url", defaultValue = "${env:PROMPTLINE_LLM_BASE_URL}", description = "The provider's base URL (none: "
            + "the provider is not checked).")
    String baseUrl;
    @Option(names = "--llm-api", defaultValue = "${env:PROMPTLINE_LLM_API:-openai}", description = "openai, anthropic or azure "
            + "(default ${DEFAULT-VALUE}).")
    String api;
    @Option(names = "--llm-provider", defaultValue = "${env:PROMPTLINE_LLM_PROVIDER:-openai}", description = "The provider's name in the "
            + "price table (default ${DEFAULT-VALUE}, as the processor's).")
    String provider;
    @Option(names = "--llm-api-key-file", defaultValue = "${env:PROMPTLINE_LLM_API_KEY_FILE}", description = "A file holding the API "
            + "key (else PROMPTLINE_LLM_API_KEY; never on the command line).")
    Path apiKeyFile;
    @Option(names = "--default-model", description = "The processor's default model, the one called (default: "
            + "PROMPTLINE_LLM_DEFAULT_MODEL, else the local stack's PROMPTLINE_LLM_MODEL, else gpt-4.1-mini).")
    String defaultModel;
    @Option(names = "--routes", split = ",", defaultValue = "${env:PROMPTLINE_ROUTING_TASK_TYPES:-"
            + "code=deepseek-v3.2,quick=gemini-2.5-flash,complex=gpt-4.1,analysis=claude-sonnet-4.5}",
            description = "The processor's task_type=model routes, whose models need prices (default ${DEFAULT-VALUE}).")
    List<String> routes;
    @Option(names = "--model", description = "Another model requests name, to check its price (repeatable).")
    List<String> models = new ArrayList<>();
    @Option(names = "--price-table", defaultValue = "${env:PROMPTLINE_PROCESSOR_PRICE_TABLE}", description = "The processor's price "
            + "table file (default: the built-in table).")
    String priceTable;
    @Option(names = "--unpriced-models", defaultValue = "${env:PROMPTLINE_PROCESSOR_UNPRICED_MODELS:-reject}",
            description = "The processor's policy for a model without a price: reject (dead-letter it) or record (call it, cost unknown); "
                    + "default ${DEFAULT-VALUE}.")
    String unpriced;
    @Option(names = "--jdbc-url", defaultValue = "${env:PROMPTLINE_SINK_JDBC_URL}", description = "The sink's database (none: not checked); "
            + "user PROMPTLINE_SINK_JDBC_USER, password PROMPTLINE_SINK_JDBC_PASSWORD.")
    String jdbcUrl;
    @Option(names = "--jdbc-user", defaultValue = "${env:PROMPTLINE_SINK_JDBC_USER:-postgres}", description = "Database user "
            + "(default ${DEFAULT-VALUE}).")
    String jdbcUser;
    @Option(names = "--health", description = "A processor's or sink's metrics address (http://host:port), whose /health/ready must "
            + "answer 200 (repeatable).")
    List<String> health = new ArrayList<>();
    @Option(names = "--timeout", defaultValue = "10s", converter = Converters.DurationConverter.class,
            description = "How long each check may take (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (defaultModel == null) defaultModel = firstSet(System.getenv("PROMPTLINE_LLM_DEFAULT_MODEL"), System.getenv("PROMPTLINE_LLM_MODEL"),
                "gpt-4.1-mini");
        List<Finding> findings = new ArrayList<>();
        List<Duration> ladder = retryDelays.stream().map(DurationFormat::parse).toList();
        run(out, findings, ClusterChecks.kafka(connection.kafka(), connection.topics(), ladder, timeout));
        run(out, findings, ClusterChecks.registry(connection.registry(), connection.schemaRegistryUrl, connection.topics()));
        if (baseUrl == null || baseUrl.isBlank()) {
            run(out, findings, List.of(Finding.warn("provider", "no PROMPTLINE_LLM_BASE_URL (or --llm-base-url): not called")));
        } else {
            run(out, findings, ProviderProbe.probe(baseUrl, api, apiKey(), defaultModel, timeout));
        }
        run(out, findings, prices(provider));
        if (jdbcUrl != null && !jdbcUrl.isBlank()) run(out, findings, List.of(ClusterChecks.database(jdbcUrl, jdbcUser, jdbcPassword())));
        for (String h : health) run(out, findings, List.of(ClusterChecks.health(h, timeout)));
        long failed = findings.stream().filter(f -> f.verdict() == Finding.Verdict.FAIL).count();
        long warned = findings.stream().filter(f -> f.verdict() == Finding.Verdict.WARN).count();
        out.printf("%n%d checks: %d ok, %d warning(s), %d failed%s%n", findings.size(), findings.size() - failed - warned, warned, failed,
                failed > 0 ? " — requests would fail; see the FAIL lines" : "");
        out.flush();
        return failed > 0 ? 1 : 0;
    }

    private static String firstSet(String... values) {
        for (String v : values) if (v != null && !v.isBlank()) return v;
        return null;
    }

    private static void run(PrintWriter out, List<Finding> all, List<Finding> found) {
        for (Finding f : found) {
            out.println(f.line());
            out.flush();
            all.add(f);
        }
    }

    /** Every model the processor would call needs a price for its provider, or it dead-letters the request without a call. */
    private List<Finding> prices(String providerName) {
        PriceTable table;
        try {
            table = PriceTable.loadOrBuiltIn(priceTable == null || priceTable.isBlank() ? null : priceTable);
        } catch (RuntimeException e) {
            return List.of(Finding.fail("prices", "cannot read the price table " + priceTable + ": " + e.getMessage()));
        }
        Set<String> wanted = new LinkedHashSet<>();
        wanted.add(defaultModel);
        for (String r : routes) {
            String[] kv = r.split("=", 2);
            if (kv.length == 2 && !kv[1].isBlank()) wanted.add(kv[1].trim());
        }
        wanted.addAll(models);
        List<Finding> out = new ArrayList<>();
        for (String m : wanted) {
            String area = "price " + m;
            Optional<Price> price = table.find(providerName, m, Instant.now());
            if (price.isPresent()) {
                Price p = price.get();
                out.add(Finding.ok(area, String.format(Locale.ROOT, "%s at '%s': %s %.2f in, %.2f out per million tokens (table %s)", m,
                        p.provider(), p.currency(), p.inputMicrosPerMTok() / 1e6, p.outputMicrosPerMTok() / 1e6, table.version())));
            } else if ("record".equalsIgnoreCase(unpriced.trim())) {
                out.add(Finding.warn(area, "no price for provider '" + providerName + "': called anyway (unpriced models: record), its cost "
                        + "recorded as unpriced"));
            } else {
                out.add(Finding.fail(area, "no price for provider '" + providerName + "': requests for it are dead-lettered without a call; "
                        + "add it to the price table (--price-table), or set PROMPTLINE_PROCESSOR_UNPRICED_MODELS=record"));
            }
        }
        return out;
    }

    private String apiKey() throws IOException {
        if (apiKeyFile != null) return Files.readString(apiKeyFile).trim();
        String key = System.getenv("PROMPTLINE_LLM_API_KEY");
        return key == null || key.isBlank() ? null : key;
    }

    private static String jdbcPassword() throws IOException {
        String file = System.getenv("PROMPTLINE_SINK_JDBC_PASSWORD_FILE");
        if (file != null && !file.isBlank()) return Files.readString(Path.of(file)).trim();
        String pw = System.getenv("PROMPTLINE_SINK_JDBC_PASSWORD");
        return pw == null ? "" : pw;
    }
}
