package io.promptline.ops.local.chaos;

import io.promptline.ops.local.KafkaCluster;
import io.promptline.ops.local.Ports;
import io.promptline.ops.registry.RegistryConfig;
import io.promptline.ops.registry.SchemaRegistryServer;
import io.promptline.ops.simulator.LlmSimulator;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.ProcessorMain;
import io.promptline.runtime.ChildJvm;
import io.promptline.sink.SinkMain;
import io.promptline.topics.TopicLayout;
import io.promptline.topics.Topics;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parts a chaos run breaks, each real and each its own failure domain: Kafka broker processes
 * (KRaft; one, or a cluster of three at replication factor 3), the schema registry (durable, on a fixed port), the LLM simulator, PostgreSQL (embedded
 * binaries, on a fixed port and data directory), the sink and the processors in their own JVMs.
 * Every part can be taken down and brought back as it was.
 */
final class ChaosStack implements AutoCloseable {
    static final List<Duration> LADDER = List.of(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30));
    static final int PARTITIONS = 3;

    /**
     * What varies between the harnesses that use the stack.
     *
     * @param simulator    the simulator's configuration
     * @param processorEnv settings of every processor on top of the chaos run's
     * @param sink         whether PostgreSQL and the sink run
     * @param topicsBase   the topics' base name
     * @param brokers      Kafka nodes (1, or 3 for replicated topics)
     * @param partitions   partitions of every topic
     */
    record Options(SimulatorConfig simulator, Map<String, String> processorEnv, boolean sink, String topicsBase, int brokers, int partitions) {
        Options(SimulatorConfig simulator, Map<String, String> processorEnv, boolean sink, String topicsBase, int brokers) {
            this(simulator, processorEnv, sink, topicsBase, brokers, PARTITIONS);
        }

        static Options chaos(int brokers) {
            return new Options(SimulatorConfig.builder().latency("uniform:50-300").instances(2).hangMillis(10_000).maxRecordedCalls(5_000_000)
                    .build(), Map.of(), true, "chaos", brokers);
        }
    }

    private final Path dir;
    private final Options options;
    private final KafkaCluster broker;
    private final int registryPort;
    private final int postgresPort;
    private final Topics topics;
    private final List<ChildJvm> processors = new ArrayList<>();
    private final List<Integer> metricsPorts = new ArrayList<>();
    /** Processors taken down on purpose (killed or stopped, not yet restarted). */
    private final Set<Integer> takenDown = new HashSet<>();
    private SchemaRegistryServer registry;
    private LlmSimulator simulator;
    private EmbeddedPostgres postgres;
    private ChildJvm sink;

    ChaosStack(Path dir, int processorCount, int brokers) throws IOException {
        this(dir, processorCount, Options.chaos(brokers));
    }

    ChaosStack(Path dir, int processorCount, Options options) throws IOException {
        this.dir = dir;
        this.options = options;
        this.topics = Topics.withBase(options.topicsBase());
        this.broker = KafkaCluster.onFreePorts(dir.resolve("kafka"), options.brokers());
        this.registryPort = Ports.free();
        this.postgresPort = Ports.free();
        for (int i = 0; i < processorCount; i++) {
            metricsPorts.add(Ports.free());
        }
    }

    void start() throws Exception {
        broker.start(Duration.ofSeconds(90));
        startRegistry();
        simulator = new LlmSimulator(options.simulator());
        simulator.start();
        broker.createTopics(TopicLayout.topics(topics, options.partitions(), LADDER, broker.replicationFactor()));
        if (options.sink()) {
            startPostgres();
            sink = ChildJvm.start("sink", SinkMain.class, sinkEnv(), dir.resolve("sink.log"), List.of("-Xmx256m"));
        }
        for (int i = 0; i < metricsPorts.size(); i++) processors.add(startProcessor(i));
    }

    private void startRegistry() {
        registry = SchemaRegistryServer.start(RegistryConfig.builder().port(registryPort).dataDir(dir.resolve("registry")).build());
    }

    private void startPostgres() throws IOException {
        postgres = EmbeddedPostgres.builder().setPort(postgresPort).setDataDirectory(dir.resolve("postgres")).setCleanDataDirectory(false)
                .start();
    }

    private Map<String, String> sinkEnv() {
        Map<String, String> env = new HashMap<>();
        env.put("PROMPTLINE_BOOTSTRAP_SERVERS", broker.bootstrapServers());
        env.put("PROMPTLINE_SCHEMA_REGISTRY_URL", registryUrl());
        env.put("PROMPTLINE_TOPICS_BASE", topics.base());
        env.put("PROMPTLINE_SINK_JDBC_URL", jdbcUrl());
        env.put("PROMPTLINE_SINK_JDBC_USER", "postgres");
        env.put("PROMPTLINE_SINK_JDBC_PASSWORD", "postgres");
        env.put("PROMPTLINE_SINK_ROLLUP_STATE_DIR", dir.resolve("rollup").toString());
        env.put("PROMPTLINE_METRICS_PORT", "-1");
        return env;
    }

    private ChildJvm startProcessor(int i) {
        Map<String, String> env = new HashMap<>();
        env.put("PROMPTLINE_BOOTSTRAP_SERVERS", broker.bootstrapServers());
        env.put("PROMPTLINE_SCHEMA_REGISTRY_URL", registryUrl());
        env.put("PROMPTLINE_TOPICS_BASE", topics.base());
        env.put("PROMPTLINE_PROCESSOR_APPLICATION_ID", options.topicsBase());
        env.put("PROMPTLINE_PROCESSOR_STATE_DIR", dir.resolve("processor-" + i).toString());
        env.put("PROMPTLINE_METRICS_PORT", Integer.toString(metricsPorts.get(i)));
        env.put("PROMPTLINE_METRICS_HOST", "127.0.0.1");
        env.put("PROMPTLINE_LLM_BASE_URL", simulator.baseUrl());
        env.put("PROMPTLINE_LLM_PROVIDER", "simulator");
        env.put("PROMPTLINE_LLM_TIMEOUT_MS", "3000");
        env.put("PROMPTLINE_PROCESSOR_MAX_IN_FLIGHT", "64");
        env.put("PROMPTLINE_RETRY_DELAYS", "1s,5s,30s");
        env.put("PROMPTLINE_RETRY_BACKOFF_INITIAL_MS", "1000");
        env.put("PROMPTLINE_RETRY_BACKOFF_MULTIPLIER", "2");
        env.put("PROMPTLINE_RETRY_MAX_ATTEMPTS", "4");
        env.put("PROMPTLINE_RATELIMIT_MAX_HOLD_MS", "5000");
        env.put("PROMPTLINE_PROVIDER_BREAKER_OPEN_MS", "3000");
        env.put("PROMPTLINE_PROVIDER_MAX_PAUSE_MS", "2000");
        env.put("PROMPTLINE_PROVIDER_FAULT_PAUSE_MS", "3000");
        env.putAll(options.processorEnv());
        return ChildJvm.start("processor-" + i, ProcessorMain.class, env, dir.resolve("processor-" + i + ".log"), List.of("-Xmx384m"));
    }

    /** kill -9 of processor {@code i}; {@link #startProcessor} brings it back on its state directory. */
    void killProcessor(int i) {
        takenDown.add(i);
        processors.get(i).kill();
    }

    /** A graceful stop (SIGTERM: calls in flight are applied first) of processor {@code i}. */
    void stopProcessor(int i) {
        takenDown.add(i);
        processors.get(i).stop(Duration.ofSeconds(90));
    }

    void restartProcessor(int i) {
        processors.set(i, startProcessor(i));
        takenDown.remove(i);
    }

    void killBroker() {
        killBroker(0);
    }

    void restartBroker() throws IOException, InterruptedException {
        restartBroker(0);
    }

    /** Kills node {@code i} of the Kafka cluster with SIGKILL. */
    void killBroker(int i) {
        broker.kill(i);
    }

    void restartBroker(int i) throws IOException, InterruptedException {
        broker.restart(i, Duration.ofSeconds(90));
    }

    void stopRegistry() {
        registry.close();
    }

    void restartRegistry() {
        startRegistry();
    }

    void stopPostgres() throws IOException {
        postgres.close();
    }

    void restartPostgres() throws IOException {
        startPostgres();
    }

    /** Processors whose JVM is running, with the port of their metrics. */
    List<Integer> liveMetricsPorts() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < processors.size(); i++) if (processors.get(i).alive()) out.add(metricsPorts.get(i));
        return out;
    }

    /** The processors' and the sink's JVMs that exited on their own (a deployable that could not go on). */
    List<String> exitedOnTheirOwn() {
        List<String> out = new ArrayList<>();
        if (sink != null && !sink.alive()) out.add("sink (see " + sink.log() + ")");
        for (int i = 0; i < processors.size(); i++) {
            if (!takenDown.contains(i) && !processors.get(i).alive()) out.add("processor-" + i + " (see " + processors.get(i).log() + ")");
        }
        return out;
    }

    /** Waits until every running processor answers {@code /health/ready} (its streams running, its parts ready). */
    void awaitProcessorsReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int port : liveMetricsPorts()) {
            String last = "no answer";
            while (true) {
                try {
                    HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/health/ready").toURL().openConnection();
                    c.setConnectTimeout(1_000);
                    c.setReadTimeout(2_000);
                    int code = c.getResponseCode();
                    c.disconnect();
                    if (code == 200) break;
                    last = "HTTP " + code;
                } catch (IOException e) {
                    last = e.toString();
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("processor on metrics port " + port + " not ready after " + timeout.toSeconds() + " s: " + last);
                }
                Thread.sleep(250);
            }
        }
    }

    /** Resident memory of processor {@code i}'s JVM, from /proc (heap, metaspace, RocksDB, direct buffers: everything). */
    long processorRssBytes(int i) {
        return processors.get(i).rssBytes();
    }

    int processorMetricsPort(int i) {
        return metricsPorts.get(i);
    }

    int processorCount() {
        return processors.size();
    }

    boolean processorAlive(int i) {
        return processors.get(i).alive();
    }

    LlmSimulator simulator() {
        return simulator;
    }

    KafkaCluster broker() {
        return broker;
    }

    Topics topics() {
        return topics;
    }

    String registryUrl() {
        return "http://127.0.0.1:" + registryPort;
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + postgresPort + "/postgres";
    }

    Path dir() {
        return dir;
    }

    @Override
    public void close() {
        for (ChildJvm p : processors) p.close();
        if (sink != null) sink.close();
        if (simulator != null) simulator.close();
        if (registry != null) registry.close();
        try {
            if (postgres != null) postgres.close();
        } catch (IOException e) {
            System.err.println("chaos: stopping PostgreSQL: " + e.getMessage());
        }
        broker.close();
    }
}
