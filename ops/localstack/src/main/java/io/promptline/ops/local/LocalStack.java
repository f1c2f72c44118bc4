package io.promptline.ops.local;

import com.zaxxer.hikari.HikariDataSource;
import io.promptline.ops.registry.RegistryConfig;
import io.promptline.ops.registry.SchemaRegistryServer;
import io.promptline.ops.simulator.LlmSimulator;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.ProcessorApp;
import io.promptline.processor.config.ProcessorConfig;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.runtime.Dirs;
import io.promptline.sink.SinkApp;
import io.promptline.sink.SinkMain;
import io.promptline.sink.config.SinkConfig;
import io.promptline.topics.TopicLayout;
import io.promptline.topics.Topics;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.kafka.clients.admin.NewTopic;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The whole pipeline on one machine without Docker: a Kafka broker process (KRaft), the schema
 * registry, the LLM simulator (or a real provider), PostgreSQL, the processor and the sink; then
 * a sample workload and a summary. Stops cleanly when done or on Ctrl-C.
 */
public final class LocalStack implements AutoCloseable {
    private final LocalStackSettings s;
    private final List<AutoCloseable> started = new ArrayList<>();
    private final Console out = new Console();
    private KafkaCluster broker;
    private String bootstrap;
    private String registryUrl;
    private String llmBaseUrl;
    private HikariDataSource db;
    private LlmSimulator simulator;

    LocalStack(LocalStackSettings settings) {
        this.s = settings;
    }

    public static void main(String[] args) throws Exception {
        LocalStackSettings settings;
        try {
            settings = LocalStackSettings.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("promptline local: " + e.getMessage());
            System.err.println(LocalStackSettings.USAGE);
            System.exit(2);
            return;
        }
        if (settings.help()) {
            System.out.println(LocalStackSettings.USAGE);
            return;
        }
        LocalStack stack = new LocalStack(settings);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stack.close();
            closed.countDown();
        }, "promptline-local-shutdown"));
        int code = 0;
        try {
            stack.startAll();
            code = stack.runWorkload() ? 0 : 1;
            if (settings.keepRunning()) {
                stack.out.line("Stack keeps running (--keep-running): Kafka " + stack.bootstrap + ", registry " + stack.registryUrl
                        + ", LLM " + stack.llmBaseUrl + ". Ctrl-C stops it.");
                closed.await();
            }
        } catch (Exception e) {
            System.err.println("promptline local: " + e.getMessage());
            code = 1;
        }
        System.exit(code); // runs the shutdown hook, which stops everything in reverse order
    }

    void startAll() throws Exception {
        if (s.fresh()) Dirs.deleteRecursively(s.dir());
        out.step(s.brokers() == 1 ? "Kafka broker (KRaft, separate process)" : "Kafka cluster (" + s.brokers() + " KRaft nodes, separate processes)", () -> {
            List<Integer> ports = new java.util.ArrayList<>();
            for (int i = 0; i < s.brokers(); i++) ports.add(s.kafkaPort() + 2 * i);
            broker = new KafkaCluster(s.dir().resolve("kafka"), ports);
            started.add(broker);
            broker.start(Duration.ofSeconds(90));
            bootstrap = broker.bootstrapServers();
            return bootstrap;
        });
        out.step("Schema registry", () -> {
            SchemaRegistryServer registry = SchemaRegistryServer.start(RegistryConfig.builder()
                    .port(s.registryPort()).dataDir(s.dir().resolve("registry")).build());
            started.add(registry);
            registryUrl = registry.url();
            return registryUrl;
        });
        out.step(s.realProvider() ? "LLM provider (real)" : "LLM simulator", () -> {
            if (s.realProvider()) {
                llmBaseUrl = s.llmBaseUrl();
                return llmBaseUrl + " as provider '" + s.provider() + "', model " + s.realModel();
            }
            simulator = new LlmSimulator(SimulatorConfig.builder().port(s.simulatorPort())
                    .latency(s.simulatorLatency()).cachedMinPromptTokens(1024).build());
            started.add(simulator);
            simulator.start();
            llmBaseUrl = simulator.baseUrl();
            return llmBaseUrl + " (latency " + s.simulatorLatency() + ")";
        });
        out.step("PostgreSQL (embedded binaries)", () -> {
            EmbeddedPostgres pg = EmbeddedPostgres.builder().setPort(s.postgresPort())
                    .setDataDirectory(s.dir().resolve("postgres")).setCleanDataDirectory(false).start();
            started.add(pg);
            db = SinkMain.dataSource(pg.getJdbcUrl("postgres", "postgres"), "postgres", "postgres");
            started.add(db);
            return pg.getJdbcUrl("postgres", "postgres");
        });
        out.step("Topics", () -> createTopics(Topics.defaults()));
        out.step("Processor (urgent, normal, batch)", () -> {
            ProcessorApp app = new ProcessorApp(new ProcessorConfig(processorSettings()), Clock.systemUTC());
            started.add(app);
            app.start();
            return "max " + s.maxInFlight() + " calls in flight, metrics http://127.0.0.1:" + app.metricsPort() + "/metrics";
        });
        out.step("PostgreSQL sink", () -> {
            SinkConfig config = new SinkConfig(Map.of(
                    SinkConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, SinkConfig.SCHEMA_REGISTRY_URL_CONFIG, registryUrl,
                    SinkConfig.JDBC_URL_CONFIG, "unused-here", SinkConfig.METRICS_PORT_CONFIG, -1,
                    SinkConfig.ROLLUP_STATE_DIR_CONFIG, s.dir().resolve("rollup").toString()));
            SinkApp sink = new SinkApp(config, db, why -> out.line("promptline local: the sink cannot go on: " + why));
            started.add(sink);
            sink.start();
            return "writing llm.results, llm.costs, llm.dlq, llm.costs.hourly; cost roll-up to llm.spend";
        });
    }

    private Map<String, Object> processorSettings() {
        Map<String, Object> p = new HashMap<>();
        p.put(ProcessorConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProcessorConfig.SCHEMA_REGISTRY_URL_CONFIG, registryUrl);
        p.put(ProcessorConfig.LLM_BASE_URL_CONFIG, llmBaseUrl);
        p.put(ProcessorConfig.LLM_PROVIDER_CONFIG, s.provider());
        p.put(ProcessorConfig.LLM_API_CONFIG, s.api());
        p.put(ProcessorConfig.MAX_IN_FLIGHT_CONFIG, s.maxInFlight());
        p.put(ProcessorConfig.METRICS_PORT_CONFIG, s.metricsPort());
        p.put(ProcessorConfig.METRICS_HOST_CONFIG, "127.0.0.1");
        p.put(ProcessorConfig.STATE_DIR_CONFIG, s.dir().resolve("streams").toString());
        if (s.apiKey() != null) p.put(ProcessorConfig.LLM_API_KEY_CONFIG, s.apiKey());
        if (s.realProvider()) p.put(ProcessorConfig.DEFAULT_MODEL_CONFIG, s.realModel());
        return p;
    }

    private String createTopics(Topics topics) throws Exception {
        List<NewTopic> wanted = TopicLayout.topics(topics, 3, TopicLayout.DEFAULT_LADDER, broker.replicationFactor());
        broker.createTopics(wanted);
        return wanted.stream().map(NewTopic::name).collect(Collectors.joining(", "));
    }

    /** Publishes the sample load and waits until every request has a result or a dead letter. */
    boolean runWorkload() throws Exception {
        String runId = "run" + Long.toString(System.currentTimeMillis(), 36);
        List<Prompt> prompts = SampleWorkload.build(runId, s.requests(), !s.realProvider(), s.realModel());
        try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(bootstrap)
                .schemaRegistryUrl(registryUrl).build()) {
            List<CompletableFuture<String>> sent = prompts.stream().map(producer::submit).toList();
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        }
        out.line("Component logs: " + s.dir().resolve("stack.log") + " (broker: " + broker.node(0).logFile()
                + (s.brokers() > 1 ? " and the other nodes' beside it" : "") + ")");
        out.line("Published " + prompts.size() + " requests (run " + runId + ") to llm.requests.{urgent,normal,batch}");
        RunReport report = new RunReport(db, runId);
        boolean complete = report.awaitAll(prompts.size(), s.timeout(), out,
                simulator == null ? null : () -> simulator.stats().inFlight());
        report.printSummary(out, simulator == null ? null : simulator.stats());
        return complete;
    }

    @Override
    public synchronized void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                System.err.println("promptline local: while stopping: " + e);
            }
        }
        started.clear();
    }

    Path dir() {
        return s.dir();
    }

    String bootstrapServers() {
        return bootstrap;
    }

    String registryUrl() {
        return registryUrl;
    }
}
