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
    private static final Path ROOT = DeploymentFilesTest.ROOT;
    private static final Path CLI = ROOT.resolve("producer/bin/promptline");
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

    /**
     * The secured compose variant, run without Docker: the broker with the server.properties the
     * {@code apache/kafka} image renders from the merged compose files and the JAAS file
     * {@code make-secrets.sh} writes; {@code kafka-init}'s script gives every principal its SCRAM
     * credential and ACLs; topics, processor, sink and CLI run with their services' environment and
     * mounted secrets, only the compose network's addresses mapped to this machine's.
     */
    @Test
    void shouldRunTheSecuredComposeVariant() throws Exception {
        Path secrets = dir.resolve("secrets");
        Run made = run(Map.of(), "bash", ROOT.resolve("ops/docker/secured/make-secrets.sh").toString(), secrets.toString());
        assertThat(made.exit()).as(made.out()).isZero();
        ComposeFile compose = ComposeFile.load(ROOT.resolve("docker-compose.yml"), ROOT.resolve("ops/docker/secured/compose.yml"));
        int internal = Ports.free();
        int external = Ports.free();
        int controller = Ports.free();
        String jdbc = PG.newDatabase();
        Map<String, String> addresses = new java.util.LinkedHashMap<>();
        addresses.put("kafka:29092", "127.0.0.1:" + internal);
        addresses.put("://:29092", "://127.0.0.1:" + internal);
        addresses.put("localhost:9092", "127.0.0.1:" + external);
        addresses.put("://:9092", "://127.0.0.1:" + external);
        addresses.put("kafka:9093", "127.0.0.1:" + controller);
        addresses.put("://:9093", "://127.0.0.1:" + controller);
        addresses.put("http://schema-registry:8081", REGISTRY.url());
        addresses.put("http://simulator:8000/v1", SIM.baseUrl());
        addresses.put("jdbc:postgresql://postgres:5432/promptline", jdbc);

        // Given the broker as the image configures it: data where the volume is, SASL only, ACLs required
        Map<String, String> server = ComposeFile.kafkaImageProperties(local(compose, "kafka", addresses, secrets));
        assertThat(server.get("log.dirs")).as("KAFKA_LOG_DIRS is where the kafka-data volume is mounted")
                .isEqualTo("/var/lib/kafka/data");
        assertThat(server).containsEntry("allow.everyone.if.no.acl.found", "false").containsEntry("super.users", "User:admin");
        server.put("log.dirs", dir.resolve("kafka-data").toString());
        Map<String, String> kafkaEnv = local(compose, "kafka", addresses, secrets);
        java.util.Properties admin = new java.util.Properties();
        try (var in = Files.newBufferedReader(secrets.resolve("admin.properties"))) {
            admin.load(in);
        }
        Map<String, Object> adminClient = new HashMap<>();
        admin.forEach((k, v) -> adminClient.put(k.toString(), v));
        adminClient.put("bootstrap.servers", "127.0.0.1:" + external);
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.configured(dir.resolve("broker"), server,
                List.of(kafkaEnv.get("KAFKA_OPTS").split(" ")), adminClient)) {
            broker.start(kafkaEnv.get("CLUSTER_ID"), Duration.ofSeconds(120));

            // When kafka-init provisions the principals and the admin creates the topics
            Map<String, String> initEnv = local(compose, "kafka-init", addresses, secrets);
            initEnv.put("PROMPTLINE", "bash " + CLI);
            String script = compose.mounts("kafka-init").get("/promptline/init.sh").toString();
            Run init = run(initEnv, "sh", script);
            assertThat(init.exit()).as(init.out() + broker.logFile()).isZero();
            assertThat(init.out()).contains("applied 26 ACLs for the processor as User:promptline-processor, its SCRAM-SHA-512 credential set",
                    "applied 5 ACLs for the schema-registry as User:schema-registry");
            Run created = run(local(compose, "topics", addresses, secrets), cliCommand(compose.command("topics")));
            assertThat(created.exit()).as(created.out()).isZero();

            // Then processor, sink and CLI, each as its own principal, answer a signed request and write it to PostgreSQL
            Map<String, String> processorEnv = local(compose, "processor", addresses, secrets);
            processorEnv.put("PROMPTLINE_PROCESSOR_STATE_DIR", dir.resolve("compose-state").toString());
            processorEnv.put("PROMPTLINE_METRICS_PORT", "-1");
            Map<String, String> sinkEnv = local(compose, "sink", addresses, secrets);
            sinkEnv.putAll(Map.of("PROMPTLINE_SINK_JDBC_USER", "postgres", "PROMPTLINE_SINK_JDBC_PASSWORD", "postgres",
                    "PROMPTLINE_SINK_ROLLUP_STATE_DIR", dir.resolve("compose-rollup").toString(), "PROMPTLINE_METRICS_PORT", "-1"));
            try (ChildJvm processor = ChildJvm.start("processor", ProcessorMain.class, processorEnv, dir.resolve("compose-processor.log"),
                    List.of("-Xmx384m"));
                 ChildJvm sink = ChildJvm.start("sink", SinkMain.class, sinkEnv, dir.resolve("compose-sink.log"), List.of("-Xmx256m"))) {
                Map<String, String> cliEnv = local(compose, "cli", addresses, secrets);
                Run submitted = run(cliEnv, cliCommand(List.of("submit", "--tenant", "acme", "--model", "gpt-4.1", "--request-id",
                        "compose-signed", "Say hello")));
                assertThat(submitted.exit()).as(submitted.out() + logs(processor, sink)).isZero();
                assertThat(submitted.out()).contains("answered by gpt-4.1");
                Await.until(Duration.ofSeconds(90), "the answer in PostgreSQL",
                        () -> count(jdbc, "SELECT count(*) FROM prompt_results WHERE request_id = 'compose-signed'") == 1,
                        () -> logs(processor, sink));

                // And a request published without acme's proof is dead-lettered as UNAUTHORIZED, never called
                Map<String, String> unsigned = new HashMap<>(cliEnv);
                unsigned.remove("PROMPTLINE_TENANT_AUTH_SECRETS_FILE");
                Run forged = run(unsigned, cliCommand(List.of("submit", "--tenant", "acme", "--model", "gpt-4.1", "--request-id",
                        "compose-forged", "--no-wait", "Spend acme's budget")));
                assertThat(forged.exit()).as(forged.out()).isZero();
                Run dlq = null;
                for (int i = 0; i < 30 && (dlq == null || !dlq.out().contains("compose-forged")); i++) {
                    if (dlq != null) Thread.sleep(2_000);
                    dlq = run(cliEnv, cliCommand(List.of("dlq", "list")));
                }
                assertThat(dlq.out()).as(dlq.out() + logs(processor, sink)).contains("compose-forged").contains("UNAUTHORIZED");

                // And the CLI's other writes work under its ACLs, signed: a redrive of that request, an import, the batch jobs
                Run redrive = run(cliEnv, cliCommand(List.of("dlq", "redrive", "--request-id", "compose-forged")));
                assertThat(redrive.exit()).as(redrive.out()).isZero();
                Path jsonl = dir.resolve("import.jsonl");
                Files.writeString(jsonl, "{\"id\":\"compose-import-1\",\"prompt\":\"one\"}\n{\"id\":\"compose-import-2\",\"prompt\":\"two\"}\n");
                Run imported = run(cliEnv, cliCommand(List.of("import", "--tenant", "acme", "--model", "gpt-4.1-mini", "--no-progress",
                        jsonl.toString())));
                assertThat(imported.exit()).as(imported.out()).isZero();
                Await.until(Duration.ofSeconds(90), "the redriven and imported requests answered in PostgreSQL",
                        () -> count(jdbc, "SELECT count(*) FROM prompt_results WHERE request_id IN ('compose-forged', 'compose-import-1', "
                                + "'compose-import-2')") == 3, () -> logs(processor, sink));
                Run batches = run(cliEnv, cliCommand(List.of("batches", "list")));
                assertThat(batches.exit()).as(batches.out()).isZero();
                processor.requireAlive();
                sink.requireAlive();
            }
        }
    }

    /**
     * A compose service's environment on this machine: the compose network's addresses replaced,
     * every container path of a mounted file replaced by the file (the secrets from {@code secrets}).
     */
    private static Map<String, String> local(ComposeFile compose, String service, Map<String, String> addresses, Path secrets) {
        Path repoSecrets = ROOT.resolve("ops/docker/secured/secrets");
        Map<String, Path> mounts = compose.mounts(service);
        Map<String, String> env = new HashMap<>();
        compose.environment(service).forEach((k, v) -> {
            String value = v;
            for (Map.Entry<String, String> a : addresses.entrySet()) value = value.replace(a.getKey(), a.getValue());
            for (Map.Entry<String, Path> m : mounts.entrySet()) {
                Path file = m.getValue().startsWith(repoSecrets) ? secrets.resolve(repoSecrets.relativize(m.getValue())) : m.getValue();
                value = value.replace(m.getKey(), file.toString());
            }
            env.put(k, value);
        });
        return env;
    }

    private static String[] cliCommand(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of("bash", CLI.toString()));
        cmd.addAll(args);
        return cmd.toArray(String[]::new);
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
        Map<String, String> env = new HashMap<>(saslEnv("cli-" + topics.base()));
        env.put("PROMPTLINE_BOOTSTRAP_SERVERS", KAFKA.bootstrapServers());
        env.put("PROMPTLINE_SCHEMA_REGISTRY_URL", REGISTRY.url());
        env.put("PROMPTLINE_TOPICS_BASE", topics.base());
        return run(env, cliCommand(List.of(args)));
    }

    private static Run run(Map<String, String> env, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as(String.join(" ", cmd) + " finished").isTrue();
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
