package io.promptline.ops.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.ProcessorApp;
import io.promptline.processor.config.ProcessorConfig;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import io.promptline.topics.Topics;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The README's Python example, run as a user would: Debian's python3-confluent-kafka (librdkafka,
 * its own partitioner) and python3-avro publish requests in the Confluent wire format, registering
 * the request schema from schemas/ over the registry's REST protocol; the processor calls the
 * simulator; the same script reads the results back, decoding with the writer's schema by id.
 * {@code .ci/run} installs both packages.
 */
class PythonClientIntegrationTest {
    private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
    private static final Path SCRIPT = ROOT.resolve("ops/examples/python/promptline_client.py");
    private static final String PYTHON = "/usr/bin/python3"; // Debian's, where its packages are

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:20").build());

    @TempDir
    Path dir;

    @BeforeAll
    static void debianPackages() throws Exception {
        Result r = run(List.of(PYTHON, "-c", "import confluent_kafka, avro"), 30);
        assumeThat(r.code).as("python3-confluent-kafka and python3-avro are installed (.ci/run installs them): " + r.out).isZero();
    }

    @Test
    void aPythonClientPublishesRequestsAndReadsTheirResults() throws Exception {
        Topics topics = KAFKA.newTopics(3);
        Map<String, Object> p = new HashMap<>();
        p.put(ProcessorConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProcessorConfig.SCHEMA_REGISTRY_URL_CONFIG, REGISTRY.url());
        p.put(ProcessorConfig.TOPICS_BASE_CONFIG, topics.base());
        p.put(ProcessorConfig.APPLICATION_ID_CONFIG, "python-" + topics.base());
        p.put(ProcessorConfig.STATE_DIR_CONFIG, dir.toString());
        p.put(ProcessorConfig.TIERS_CONFIG, "BATCH");
        p.put(ProcessorConfig.METRICS_PORT_CONFIG, -1);
        p.put(ProcessorConfig.LLM_BASE_URL_CONFIG, SIM.baseUrl());
        p.put(ProcessorConfig.LLM_PROVIDER_CONFIG, "simulator");
        try (ProcessorApp app = new ProcessorApp(new ProcessorConfig(p), Clock.systemUTC())) {
            app.start();
            List<String> cluster = List.of("--bootstrap", KAFKA.bootstrapServers(), "--registry", REGISTRY.url(), "--topics-base", topics.base());

            // When a Python client publishes 5 requests for two tenants (librdkafka's partitioner, not Java's)
            List<String> ids = new ArrayList<>();
            for (String tenant : List.of("acme", "globex")) {
                List<String> cmd = new ArrayList<>(List.of(PYTHON, SCRIPT.toString(), "publish"));
                cmd.addAll(cluster);
                cmd.addAll(List.of("--tenant", tenant, "--count", tenant.equals("acme") ? "3" : "2", "--model", "gpt-4.1",
                        "--max-tokens", "40", "--run-id", "py-" + tenant, "--prompt", "Classify: the invoice is wrong"));
                Result published = run(cmd, 60);
                assertThat(published.code).as(published.out).isZero();
                ids.addAll(published.out.lines().toList());
            }
            assertThat(ids).containsExactly("py-acme-0", "py-acme-1", "py-acme-2", "py-globex-0", "py-globex-1");

            // Then the same client reads one result per request, decoded from the processor's Avro
            List<String> cmd = new ArrayList<>(List.of(PYTHON, SCRIPT.toString(), "results"));
            cmd.addAll(cluster);
            cmd.addAll(List.of("--timeout", "90", "--ids"));
            cmd.addAll(ids);
            Result results = run(cmd, 120);
            assertThat(results.code).as(results.out).isZero();
            ObjectMapper json = new ObjectMapper();
            List<JsonNode> lines = new ArrayList<>();
            for (String l : results.out.lines().toList()) lines.add(json.readTree(l));
            assertThat(lines).extracting(n -> n.path("request_id").asText()).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(lines).allSatisfy(n -> {
                assertThat(n.path("model").asText()).isEqualTo("gpt-4.1");
                assertThat(n.path("content").asText()).startsWith("Simulated answer to: Classify: the invoice is wrong");
                assertThat(n.path("prompt_tokens").asLong()).isPositive();
            });

            // And a request id with no result is named, with a non-zero exit, not waited on forever
            List<String> missing = new ArrayList<>(List.of(PYTHON, SCRIPT.toString(), "results"));
            missing.addAll(cluster);
            missing.addAll(List.of("--timeout", "3", "--ids", "py-never-sent"));
            Result none = run(missing, 60);
            assertThat(none.code).isEqualTo(1);
            assertThat(none.out).contains("no result within 3 s for: py-never-sent");
        }
    }

    private record Result(int code, String out) {
    }

    private static Result run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
        byte[] err;
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not finish in " + timeoutSeconds + " s: " + command);
        }
        err = p.getErrorStream().readAllBytes();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.exitValue(), p.exitValue() == 0 ? out : out + new String(err, StandardCharsets.UTF_8));
    }
}
