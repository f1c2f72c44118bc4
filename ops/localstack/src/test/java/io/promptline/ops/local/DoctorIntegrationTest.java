package io.promptline.ops.local;

import com.sun.net.httpserver.HttpServer;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.ProcessorApp;
import io.promptline.processor.config.ProcessorConfig;
import io.promptline.producer.cli.PromptlineCli;
import io.promptline.producer.doctor.ClusterChecks;
import io.promptline.producer.doctor.Finding;
import io.promptline.sink.postgres.PostgresWriter;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.EmbeddedPostgres;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import io.promptline.topics.TopicLayout;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code promptline doctor} against a healthy stack (broker with the topics, registry, simulator,
 * the sink's migrated database, a running processor's health endpoint), then against the same
 * stack with one thing wrong each time: a model without a price, an OpenAI-compatible server that
 * leaves out {@code usage}, a stopped registry.
 */
class DoctorIntegrationTest {
    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:20").build());
    @RegisterExtension
    static final EmbeddedPostgres PG = new EmbeddedPostgres();

    @TempDir
    static Path dir;
    private static Topics topics;
    private static String jdbcUrl;
    private static ProcessorApp processor;
    private static HttpServer usageless;

    @BeforeAll
    static void stack() throws Exception {
        topics = KAFKA.newTopics(3);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            // the rest of the layout beside the tiers and ladder newTopics made
            List<String> have = new ArrayList<>(admin.listTopics().names().get());
            admin.createTopics(TopicLayout.topics(topics, 3, List.of(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30)),
                    (short) 1).stream().filter(t -> !have.contains(t.name())).toList()).all().get();
        }
        jdbcUrl = PG.newDatabase();
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(jdbcUrl);
        PostgresWriter.migrate(ds);
        Map<String, Object> p = new HashMap<>();
        p.put(ProcessorConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProcessorConfig.SCHEMA_REGISTRY_URL_CONFIG, REGISTRY.url());
        p.put(ProcessorConfig.TOPICS_BASE_CONFIG, topics.base());
        p.put(ProcessorConfig.APPLICATION_ID_CONFIG, "doctor-" + topics.base());
        p.put(ProcessorConfig.STATE_DIR_CONFIG, dir.toString());
        p.put(ProcessorConfig.TIERS_CONFIG, "NORMAL");
        p.put(ProcessorConfig.METRICS_PORT_CONFIG, 0);
        p.put(ProcessorConfig.LLM_BASE_URL_CONFIG, SIM.baseUrl());
        p.put(ProcessorConfig.LLM_PROVIDER_CONFIG, "simulator");
        processor = new ProcessorApp(new ProcessorConfig(p), Clock.systemUTC());
        processor.start();
        awaitReady();
        // An OpenAI-compatible server that answers without usage
        usageless = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        usageless.createContext("/v1/chat/completions", ex -> {
            byte[] body = ("{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"gpt-4.1-mini\",\"choices\":[{\"index\":0,"
                    + "\"message\":{\"role\":\"assistant\",\"content\":\"OK\"},\"finish_reason\":\"stop\"}]}").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        usageless.start();
    }

    @AfterAll
    static void stop() {
        if (processor != null) processor.close();
        if (usageless != null) usageless.stop(0);
    }

    private record Run(int code, String out) {
        List<String> lines(String verdict) {
            return out.lines().filter(l -> l.startsWith(verdict + " ")).toList();
        }
    }

    private static Run doctor(String registryUrl, String llmBaseUrl, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("doctor", "-b", KAFKA.bootstrapServers(), "-r", registryUrl, "--topics-base", topics.base(),
                "--retry-delays", "1s,5s,30s", "--llm-base-url", llmBaseUrl, "--llm-provider", "simulator", "--jdbc-url", jdbcUrl,
                "--health", "http://127.0.0.1:" + processor.metricsPort(), "--timeout", "10s"));
        args.addAll(List.of(more));
        PrintStream out = System.out;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            int code = PromptlineCli.run(args.toArray(String[]::new));
            return new Run(code, o.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.out.print(o.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void aHealthyStackPassesEveryCheck() throws Exception {
        Run r = doctor(REGISTRY.url(), SIM.baseUrl());
        assertThat(r.lines("FAIL")).as(r.out).isEmpty();
        assertThat(r.code).as(r.out).isZero();
        assertThat(r.lines("OK")).anyMatch(l -> l.contains("kafka topics") && l.contains("present"))
                .anyMatch(l -> l.contains("kafka transactions"))
                .anyMatch(l -> l.contains("schema registry"))
                .anyMatch(l -> l.contains("provider gpt-4.1-mini") && l.contains("HTTP 200"))
                .anyMatch(l -> l.contains("usage reported"))
                .anyMatch(l -> l.contains("price gpt-4.1-mini"))
                .anyMatch(l -> l.contains("sink database") && l.contains("migrations applied"))
                .anyMatch(l -> l.contains("health 127.0.0.1:" + processor.metricsPort()) && l.endsWith("ready"));
    }

    /** The doctor reads the processor's settings with the processor's defaults, so what it checks is what would run. */
    @Test
    void theDoctorsDefaultsAreTheProcessors() {
        picocli.CommandLine.Model.CommandSpec doctor = new picocli.CommandLine(PromptlineCli.class).getSubcommands().get("doctor")
                .getCommandSpec();
        Map<String, org.apache.kafka.common.config.ConfigDef.ConfigKey> keys = ProcessorConfig.CONFIG.configKeys();
        assertThat(doctor.findOption("--routes").defaultValue())
                .isEqualTo(String.join(",", ((List<?>) keys.get(ProcessorConfig.ROUTES_CONFIG).defaultValue).stream().map(String::valueOf).toList()));
        assertThat(doctor.findOption("--llm-provider").defaultValue()).isEqualTo(keys.get(ProcessorConfig.LLM_PROVIDER_CONFIG).defaultValue);
        assertThat(doctor.findOption("--llm-api").defaultValue()).isEqualTo(keys.get(ProcessorConfig.LLM_API_CONFIG).defaultValue);
        assertThat(doctor.findOption("--unpriced-models").defaultValue()).isEqualTo(keys.get(ProcessorConfig.UNPRICED_MODELS_CONFIG).defaultValue);
        assertThat(keys.get(ProcessorConfig.DEFAULT_MODEL_CONFIG).defaultValue).as("the doctor's fallback default model").isEqualTo("gpt-4.1-mini");
    }

    @Test
    void aModelWithoutAPriceFailsNamingIt() throws Exception {
        Run r = doctor(REGISTRY.url(), SIM.baseUrl(), "--model", "gpt-unpriced-9");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.lines("FAIL")).singleElement().asString().contains("price gpt-unpriced-9").contains("dead-lettered without a call");
        Run recorded = doctor(REGISTRY.url(), SIM.baseUrl(), "--model", "gpt-unpriced-9", "--unpriced-models", "record");
        assertThat(recorded.code).as(recorded.out).isZero();
        assertThat(recorded.lines("WARN")).anyMatch(l -> l.contains("price gpt-unpriced-9"));
    }

    @Test
    void aServerThatLeavesOutUsageFails() throws Exception {
        Run r = doctor(REGISTRY.url(), "http://127.0.0.1:" + usageless.getAddress().getPort() + "/v1");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.lines("OK")).anyMatch(l -> l.contains("provider gpt-4.1-mini") && l.contains("HTTP 200"));
        assertThat(r.lines("FAIL")).singleElement().asString().contains("no usage.prompt_tokens/completion_tokens");
        assertThat(r.lines("WARN")).anyMatch(l -> l.contains("no rate-limit headers"));
    }

    @Test
    void aStoppedRegistryFails() throws Exception {
        Run r = doctor("http://127.0.0.1:" + Ports.free(), SIM.baseUrl());
        assertThat(r.code).isEqualTo(1);
        assertThat(r.lines("FAIL")).singleElement().asString().contains("schema registry").contains("cannot reach");
        assertThat(r.lines("OK")).anyMatch(l -> l.contains("kafka transactions"));
    }

    private static void awaitReady() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline && !(processor.metricsPort() > 0
                && ClusterChecks.health("http://127.0.0.1:" + processor.metricsPort(), Duration.ofSeconds(2)).verdict() == Finding.Verdict.OK)) {
            Thread.sleep(200);
        }
    }
}
