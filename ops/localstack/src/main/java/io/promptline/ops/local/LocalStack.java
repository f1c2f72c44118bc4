package io.promptline.ops.local;

import com.zaxxer.hikari.HikariDataSource;
import io.promptline.avro.Priority;
import io.promptline.avro.Quota;
import io.promptline.avro.TierLimit;
import io.promptline.ops.registry.RegistryConfig;
import io.promptline.ops.registry.SchemaRegistryServer;
import io.promptline.ops.simulator.LlmSimulator;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.ProcessorApp;
import io.promptline.processor.config.ProcessorConfig;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.runtime.Dirs;
import io.promptline.serde.AvroSerializer;
import io.promptline.sink.SinkApp;
import io.promptline.sink.SinkMain;
import io.promptline.sink.config.SinkConfig;
import io.promptline.topics.TopicLayout;
import io.promptline.topics.Topics;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
    private String jdbcUrl;
    private ProcessorConfig processorConfig;

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
            jdbcUrl = pg.getJdbcUrl("postgres", "postgres");
            return jdbcUrl;
        });
        out.step("Topics", () -> createTopics(Topics.defaults()));
        if (!s.tenantLimits().isEmpty()) out.step("Tenant limits (quotas topic)", this::publishTenantLimits);
        out.step("Processor (urgent, normal, batch)", () -> {
            processorConfig = new ProcessorConfig(processorSettings());
            ProcessorApp app = new ProcessorApp(processorConfig, Clock.systemUTC());
            started.add(app);
            app.start();
            return "max " + s.maxInFlight() + " calls in flight, metrics http://127.0.0.1:" + app.metricsPort() + "/metrics";
        });
        out.step("PostgreSQL sink", () -> {
            SinkConfig config = new SinkConfig(Map.of(
                    SinkConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, SinkConfig.SCHEMA_REGISTRY_URL_CONFIG, registryUrl,
                    SinkConfig.JDBC_URL_CONFIG, "unused-here", SinkConfig.METRICS_PORT_CONFIG, s.metricsPort() + 1,
                    SinkConfig.METRICS_HOST_CONFIG, "127.0.0.1",
                    SinkConfig.ROLLUP_STATE_DIR_CONFIG, s.dir().resolve("rollup").toString()));
            SinkApp sink = new SinkApp(config, db, why -> out.line("promptline local: the sink cannot go on: " + why));
            started.add(sink);
            sink.start();
            return "writing llm.results, llm.costs, llm.dlq, llm.costs.hourly; cost roll-up to llm.spend; metrics http://127.0.0.1:"
                    + (s.metricsPort() + 1) + "/metrics";
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

    /** Publishes the workload (the sample load, or a table imported with the JDBC import) and waits until every request has a result or a dead letter. */
    boolean runWorkload() throws Exception {
        String runId = "run" + Long.toString(System.currentTimeMillis(), 36);
        long t0 = System.nanoTime();
        int expected;
        if (s.importRows() > 0) {
            expected = s.importRows();
            SeedsJob.createRows(db, runId, expected);
            out.line("Created table " + SeedsJob.table(runId) + " with " + expected + " rows; importing them (tenant " + s.importTenant()
                    + ", batch tier) ...");
            t0 = System.nanoTime(); // from the first row read
            out.line(SeedsJob.importRows(jdbcUrl, runId, s.importTenant(), s.realProvider() ? s.realModel() : "gpt-4.1-mini",
                    bootstrap, registryUrl));
        } else {
            List<Prompt> prompts = SampleWorkload.build(runId, s.requests(), !s.realProvider(), s.realModel());
            expected = prompts.size();
            try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(bootstrap)
                    .schemaRegistryUrl(registryUrl).build()) {
                List<CompletableFuture<String>> sent = prompts.stream().map(producer::submit).toList();
                CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            }
            out.line("Published " + expected + " requests (run " + runId + ") to llm.requests.{urgent,normal,batch}");
        }
        out.line("Component logs: " + s.dir().resolve("stack.log") + " (broker: " + broker.node(0).logFile()
                + (s.brokers() > 1 ? " and the other nodes' beside it" : "") + ")");
        RunReport report = new RunReport(db, runId);
        boolean complete = report.awaitAll(expected, s.timeout(), out,
                simulator == null ? null : () -> simulator.stats().inFlight());
        double seconds = (System.nanoTime() - t0) / 1e9;
        report.printSummary(out, simulator == null ? null : simulator.stats());
        // The batch tier may fill only its share of the calls in flight (the rest is headroom for urgent and normal)
        int inFlight = s.importRows() > 0 ? (int) Math.floor(s.maxInFlight() * processorConfig.batchShare())
                : s.maxInFlight();
        report.printRate(out, expected, seconds, inFlight, s.tenantLimits().stream()
                .filter(l -> s.importRows() > 0 && l.tenant().equals(s.importTenant())).mapToLong(LocalStackSettings.TenantLimit::requestsPerMinute)
                .findFirst().orElse(0));
        return complete;
    }

    /** Each --tenant-limit as a Quota on the compacted quotas topic (all tiers), read by the processor at its start. */
    private String publishTenantLimits() throws Exception {
        try (KafkaProducer<String, Quota> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap, "acks", "all"),
                new StringSerializer(), new AvroSerializer<>(new RestSchemaRegistryClient(registryUrl), true))) {
            List<String> set = new ArrayList<>();
            for (LocalStackSettings.TenantLimit l : s.tenantLimits()) {
                List<TierLimit> tiers = new ArrayList<>();
                for (Priority p : Priority.values()) {
                    tiers.add(new TierLimit(p, l.requestsPerMinute(), l.tokensPerMinute() > 0 ? l.tokensPerMinute() : null));
                }
                producer.send(new ProducerRecord<>(Topics.defaults().quotas(), l.tenant(), Quota.newBuilder().setTenant(l.tenant())
                        .setLimits(tiers).setUpdatedAt(Instant.now()).build())).get(30, TimeUnit.SECONDS);
                set.add(l.tenant() + " " + l.requestsPerMinute() + " requests/min" + (l.tokensPerMinute() > 0 ? ", " + l.tokensPerMinute() + " tokens/min" : ""));
            }
            return String.join("; ", set);
        }
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

    javax.sql.DataSource dataSource() {
        return db;
    }

    LlmSimulator simulator() {
        return simulator;
    }
}
