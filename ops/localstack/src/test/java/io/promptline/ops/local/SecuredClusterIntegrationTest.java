package io.promptline.ops.local;

import io.promptline.avro.PromptResult;
import io.promptline.processor.ProcessorMain;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.runtime.ChildJvm;
import io.promptline.sink.SinkMain;
import io.promptline.testkit.Await;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.EmbeddedPostgres;
import io.promptline.testkit.ProcessorEnv;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import io.promptline.testkit.TopicReader;
import io.promptline.topics.AccessPlan;
import io.promptline.topics.TopicLayout;
import io.promptline.topics.Topics;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A broker that wants SASL (SCRAM-SHA-256) and allows nothing without an ACL: the processor and
 * the sink (each in its own JVM, configured only through the environment, the JAAS line in a file
 * named by {@code PROMPTLINE_KAFKA_SASL_JAAS_CONFIG_FILE}), the producer library and the CLI each
 * run as their own principal with exactly the ACLs OPERATIONS.md lists ({@link AccessPlan}) and
 * nothing more, and the pipeline works end to end. A processor missing one of them stops with a
 * message that names it.
 */
class SecuredClusterIntegrationTest {
    private static final Path CLI = Path.of("../../producer/bin/promptline").toAbsolutePath().normalize();
    private static final int REQUESTS = 20;

    @RegisterExtension
    static final EmbeddedKafka KAFKA = EmbeddedKafka.withSasl();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture();
    @RegisterExtension
    static final EmbeddedPostgres PG = new EmbeddedPostgres();

    @TempDir
    Path dir;

    @Test
    void shouldRunThePipelineWithExactlyTheDocumentedAcls() throws Exception {
        Topics topics = KAFKA.newTopics(3);
        String app = "sec-" + topics.base();
        String sinkGroup = "sink-" + topics.base();
        String rollup = "rollup-" + topics.base();
        grant("processor-" + topics.base(), AccessPlan.processor(topics, app, TopicLayout.DEFAULT_LADDER));
        grant("sink-" + topics.base(), AccessPlan.sink(topics, sinkGroup, "alerts-" + topics.base(), rollup));
        grant("app-" + topics.base(), AccessPlan.producer(topics));
        grant("cli-" + topics.base(), AccessPlan.cli(topics));

        String jdbc = PG.newDatabase();
        Map<String, String> processorEnv = ProcessorEnv.of(KAFKA.bootstrapServers(), REGISTRY.url(), SIM.baseUrl(), topics, app,
                dir.resolve("processor-state"));
        processorEnv.putAll(saslEnv("processor-" + topics.base()));
        Map<String, String> sinkEnv = sinkEnv(topics, jdbc, sinkGroup, rollup);
        sinkEnv.putAll(saslEnv("sink-" + topics.base()));
        try (ChildJvm processor = ChildJvm.start("processor", ProcessorMain.class, processorEnv, dir.resolve("processor.log"), List.of("-Xmx384m"));
             ChildJvm sink = ChildJvm.start("sink", SinkMain.class, sinkEnv, dir.resolve("sink.log"), List.of("-Xmx256m"));
             PromptlineProducer producer = producer("app-" + topics.base(), topics)) {
            // Given requests published by an application with WRITE on the request topics only
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                sent.add(producer.submit(Prompt.builder("acme").requestId(topics.base() + "-" + i).model("gpt-4.1-mini").user("hello " + i)
                        .build()).get(60, TimeUnit.SECONDS));
            }

            // Then the processor answers each once, and the CLI (its own principal) submits and waits for an answer too
            Run submitted = cli(topics, "submit", "--tenant", "acme", "--model", "gpt-4.1", "--request-id", topics.base() + "-cli", "Say hello");
            assertThat(submitted.exit()).as(submitted.out() + logs(processor, sink)).isZero();
            assertThat(submitted.out()).contains("answered by gpt-4.1");
            sent.add(topics.base() + "-cli");
            List<PromptResult> results = TopicReader.readCommitted(KAFKA.adminProperties(), new RestSchemaRegistryClient(REGISTRY.url()),
                    topics.results(), PromptResult.class, sent.size(), Duration.ofSeconds(90), Duration.ofSeconds(1));
            assertThat(results).extracting(PromptResult::getRequestId).containsExactlyInAnyOrderElementsOf(sent);

            // And the sink (its own principal: its groups, the roll-up's application) writes every result to PostgreSQL
            Await.until(Duration.ofSeconds(90), sent.size() + " result rows", () -> count(jdbc, "SELECT count(*) FROM prompt_results") == sent.size(),
                    () -> count(jdbc, "SELECT count(*) FROM prompt_results") + " rows" + logs(processor, sink));

            // And the CLI's other commands work with the CLI's ACLs: quotas, the roll-up's costs, the DLQ
            Run quota = cli(topics, "quota", "set", "acme", "--tier", "normal", "--requests-per-minute", "600");
            assertThat(quota.exit()).as(quota.out()).isZero();
            Run costs = null;
            for (int i = 0; i < 30 && (costs == null || !costs.out().contains("acme")); i++) {
                if (costs != null) Thread.sleep(2_000);
                costs = cli(topics, "costs", "--since", "1h");
            }
            assertThat(costs.out()).as(costs.out() + logs(processor, sink)).contains("acme", "gpt-4.1-mini");
            Run dlq = cli(topics, "dlq", "list");
            assertThat(dlq.exit()).as(dlq.out()).isZero();
            processor.requireAlive();
            sink.requireAlive();
        }
    }

    @Test
    void shouldStopAProcessorMissingOneAclWithAMessageNamingIt() throws Exception {
        Topics topics = KAFKA.newTopics(1);
        String app = "noacl-" + topics.base();
        String user = "processor-" + topics.base();
        // Every ACL the processor needs but the one on its transactional ids (exactly_once_v2 cannot start without it)
        grant(user, AccessPlan.processor(topics, app, TopicLayout.DEFAULT_LADDER).stream()
                .filter(g -> g.type() != ResourceType.TRANSACTIONAL_ID).toList());
        Map<String, String> env = ProcessorEnv.of(KAFKA.bootstrapServers(), REGISTRY.url(), SIM.baseUrl(), topics, app, dir.resolve("state"));
        env.putAll(saslEnv(user));
        try (ChildJvm processor = ChildJvm.start("processor", ProcessorMain.class, env, dir.resolve("noacl.log"), List.of("-Xmx384m"))) {
            Await.until(Duration.ofSeconds(120), "the processor to stop", () -> !processor.alive(), () -> "still running" + logs(processor));
            String log = Files.readString(processor.log());
            assertThat(processor.exitValue()).as(log).isEqualTo(1);
            assertThat(log).as(logs(processor)).contains("Kafka refused this principal: missing WRITE on TRANSACTIONAL_ID prefixed " + app + "-");
        }
    }

    private static void grant(String user, List<AccessPlan.Grant> grants) {
        KAFKA.addScramUser(user, secret(user));
        List<AclBinding> bindings = grants.stream().map(g -> g.binding("User:" + user)).toList();
        KAFKA.grant(bindings);
    }

    private static String secret(String user) {
        return user + "-s3cret";
    }

    /** The Kafka client settings of {@code user} as a container gets them: the JAAS line in a file, the rest in variables. */
    private Map<String, String> saslEnv(String user) throws IOException {
        Path jaas = dir.resolve(user + ".jaas");
        Files.writeString(jaas, (String) EmbeddedKafka.saslProperties("SCRAM-SHA-256", user, secret(user)).get("sasl.jaas.config"));
        return Map.of("PROMPTLINE_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT", "PROMPTLINE_KAFKA_SASL_MECHANISM", "SCRAM-SHA-256",
                "PROMPTLINE_KAFKA_SASL_JAAS_CONFIG_FILE", jaas.toString());
    }

    private Map<String, String> sinkEnv(Topics topics, String jdbc, String group, String rollup) {
        Map<String, String> env = new HashMap<>();
        env.put("PROMPTLINE_BOOTSTRAP_SERVERS", KAFKA.bootstrapServers());
        env.put("PROMPTLINE_SCHEMA_REGISTRY_URL", REGISTRY.url());
        env.put("PROMPTLINE_TOPICS_BASE", topics.base());
        env.put("PROMPTLINE_SINK_JDBC_URL", jdbc);
        env.put("PROMPTLINE_SINK_JDBC_USER", "postgres");
        env.put("PROMPTLINE_SINK_JDBC_PASSWORD", "postgres");
        env.put("PROMPTLINE_SINK_GROUP_ID", group);
        env.put("PROMPTLINE_ALERTS_GROUP_ID", "alerts-" + topics.base());
        env.put("PROMPTLINE_SINK_ROLLUP_APPLICATION_ID", rollup);
        env.put("PROMPTLINE_SINK_ROLLUP_STATE_DIR", dir.resolve("rollup").toString());
        env.put("PROMPTLINE_METRICS_PORT", "-1");
        return env;
    }

    private static PromptlineProducer producer(String user, Topics topics) {
        PromptlineProducer.Builder b = PromptlineProducer.builder().bootstrapServers(KAFKA.bootstrapServers()).schemaRegistryUrl(REGISTRY.url())
                .topics(topics);
        EmbeddedKafka.saslProperties("SCRAM-SHA-256", user, secret(user)).forEach(b::kafka);
        return b.build();
    }

    private record Run(int exit, String out) {
    }

    /** Runs {@code promptline ARGS} as the topics' CLI principal, configured through the environment. */
    private Run cli(Topics topics, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", CLI.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("PROMPTLINE_BOOTSTRAP_SERVERS", KAFKA.bootstrapServers());
        pb.environment().put("PROMPTLINE_SCHEMA_REGISTRY_URL", REGISTRY.url());
        pb.environment().put("PROMPTLINE_TOPICS_BASE", topics.base());
        pb.environment().putAll(saslEnv("cli-" + topics.base()));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("promptline " + String.join(" ", args) + " finished").isTrue();
        return new Run(p.exitValue(), out);
    }

    private static long count(String jdbc, String sql) {
        try (Connection c = DriverManager.getConnection(jdbc, "postgres", "postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (Exception e) {
            return -1;
        }
    }

    private static String logs(ChildJvm... jvms) {
        StringBuilder out = new StringBuilder();
        for (ChildJvm j : jvms) {
            try {
                List<String> lines = Files.readAllLines(j.log());
                out.append("\n--- ").append(j.log().getFileName()).append(" (first 30 and last 40 lines)\n")
                        .append(String.join("\n", lines.subList(0, Math.min(30, lines.size())))).append("\n...\n")
                        .append(String.join("\n", lines.subList(Math.min(lines.size(), Math.max(30, lines.size() - 40)), lines.size())));
            } catch (IOException e) {
                out.append("\n(no log ").append(j.log()).append(")");
            }
        }
        return out.toString();
    }
}
