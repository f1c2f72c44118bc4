package io.promptline.ops.local;

import io.promptline.topics.TopicCreation;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A real KRaft Kafka node (combined broker + controller) in its own JVM, started from the Kafka
 * jars on this JVM's classpath: {@code kafka.tools.StorageTool format} once, then
 * {@code kafka.Kafka server.properties}. Alone it is a one-node cluster; {@link KafkaCluster}
 * runs several as one cluster (a controller quorum of all of them, topics at replication factor
 * 3 and {@code min.insync.replicas} 2). Data survives restarts of the local stack.
 */
public final class KafkaBrokerProcess implements AutoCloseable {
    private final Path dir;
    private final int nodeId;
    private final int port;
    private final int controllerPort;
    /** {@code controller.quorum.voters}: id@host:port of every node of the cluster. */
    private final String voters;
    private final int clusterSize;
    /** Set for a node configured from outside ({@link #configured}): its server.properties, JVM options and admin client settings. */
    private final Map<String, String> serverProperties;
    private final List<String> jvmOptions;
    private final Map<String, Object> client;
    private Process process;

    /** A one-node cluster. */
    public KafkaBrokerProcess(Path dir, int port, int controllerPort) {
        this(dir, 1, port, controllerPort, "1@127.0.0.1:" + controllerPort, 1);
    }

    /** Node {@code nodeId} of a cluster of {@code clusterSize} nodes whose controllers are {@code voters}. */
    KafkaBrokerProcess(Path dir, int nodeId, int port, int controllerPort, String voters, int clusterSize) {
        this.dir = dir;
        this.nodeId = nodeId;
        this.port = port;
        this.controllerPort = controllerPort;
        this.voters = voters;
        this.clusterSize = clusterSize;
        this.serverProperties = null;
        this.jvmOptions = List.of();
        this.client = Map.of("bootstrap.servers", "127.0.0.1:" + port);
    }

    private KafkaBrokerProcess(Path dir, Map<String, String> serverProperties, List<String> jvmOptions, Map<String, Object> client) {
        this.dir = dir;
        this.nodeId = Integer.parseInt(serverProperties.getOrDefault("node.id", "1"));
        this.port = -1;
        this.controllerPort = -1;
        this.voters = serverProperties.get("controller.quorum.voters");
        this.clusterSize = 1;
        this.serverProperties = Map.copyOf(serverProperties);
        this.jvmOptions = List.copyOf(jvmOptions);
        this.client = Map.copyOf(client);
    }

    /**
     * A one-node cluster configured entirely by {@code serverProperties} (listeners, security,
     * {@code log.dirs}: e.g. rendered from a compose file), its JVM started with {@code jvmOptions}
     * (a JAAS file, say); {@code client} holds the settings an admin connects with, bootstrap included.
     */
    public static KafkaBrokerProcess configured(Path dir, Map<String, String> serverProperties, List<String> jvmOptions,
                                                Map<String, Object> client) {
        return new KafkaBrokerProcess(dir, serverProperties, jvmOptions, client);
    }

    public int nodeId() {
        return nodeId;
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    public String bootstrapServers() {
        return (String) client.get("bootstrap.servers");
    }

    public Path logFile() {
        return dir.resolve("broker.log");
    }

    public void start(Duration readyTimeout) throws IOException, InterruptedException {
        start(Uuid.randomUuid().toString(), readyTimeout);
    }

    /** Starts the node, formatting its storage for {@code clusterId} the first time. */
    public void start(String clusterId, Duration readyTimeout) throws IOException, InterruptedException {
        launch(clusterId);
        awaitReady(readyTimeout);
    }

    /** Formats the node's storage for {@code clusterId} the first time, then starts its JVM (without waiting). */
    void launch(String clusterId) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path props = writeProperties();
        Path data = serverProperties == null ? dir.resolve("data") : Path.of(serverProperties.get("log.dirs").split(",")[0]);
        if (!Files.exists(data.resolve("meta.properties"))) {
            run(List.of("kafka.tools.StorageTool", "format", "-t", clusterId, "-c", props.toString()),
                    dir.resolve("format.log"), Duration.ofSeconds(60));
        }
        List<String> cmd = javaCommand("kafka.Kafka", props.toString());
        cmd.addAll(1, jvmOptions);
        cmd.addAll(1, TRANSACTION_LOGGING);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()));
        process = pb.start();
    }

    private Path writeProperties() throws IOException {
        if (serverProperties != null) {
            Path p = dir.resolve("server.properties");
            java.util.Properties props = new java.util.Properties();
            props.putAll(serverProperties);
            try (var out = Files.newBufferedWriter(p)) {
                props.store(out, "configured");
            }
            return p;
        }
        String replicas = Integer.toString(KafkaCluster.replicationFactor(clusterSize));
        String minIsr = clusterSize >= 3 ? "2" : "1";
        String text = String.join("\n",
                "process.roles=broker,controller",
                "node.id=" + nodeId,
                "controller.quorum.voters=" + voters,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=PLAINTEXT",
                "log.dirs=" + dir.resolve("data").toAbsolutePath(),
                "num.partitions=3",
                "default.replication.factor=" + replicas,
                "min.insync.replicas=" + minIsr,
                "offsets.topic.replication.factor=" + replicas,
                "offsets.topic.num.partitions=6",
                "transaction.state.log.replication.factor=" + replicas,
                "transaction.state.log.min.isr=" + minIsr,
                "transaction.state.log.num.partitions=6",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=false",
                "") ;
        Path p = dir.resolve("server.properties");
        Files.writeString(p, text);
        return p;
    }

    void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Kafka broker exited with code " + process.exitValue() + "; see " + logFile());
            }
            Map<String, Object> settings = new java.util.HashMap<>(client);
            settings.put("request.timeout.ms", 2000);
            settings.put("default.api.timeout.ms", 3000);
            try (Admin admin = Admin.create(settings)) {
                admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
                return;
            } catch (Exception e) {
                last = e;
                Thread.sleep(250);
            }
        }
        throw new IllegalStateException("Kafka broker not ready after " + timeout.toSeconds() + " s (" + last + "); see " + logFile());
    }

    /**
     * The broker log keeps warnings, plus with timestamps what the transaction and group coordinators
     * decide (markers sent, failed or given up, partitions loaded): what a stuck transaction needs to
     * be explained after a chaos run.
     */
    private static final List<String> TRANSACTION_LOGGING = List.of(
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
            "-Dorg.slf4j.simpleLogger.log.kafka.coordinator.transaction=info",
            "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.coordinator=info",
            "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.storage.internals.log.ProducerAppendInfo=info");

    private static List<String> javaCommand(String mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx768m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static void run(List<String> mainAndArgs, Path log, Duration timeout) throws IOException, InterruptedException {
        List<String> cmd = javaCommand(mainAndArgs.get(0), mainAndArgs.subList(1, mainAndArgs.size()).toArray(String[]::new));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("'" + mainAndArgs.get(0) + "' failed; see " + log);
        }
    }

    /**
     * Creates the topics that do not exist yet and waits until every partition's leader serves it:
     * producing earlier only earns NOT_LEADER retries, which an idempotent producer can turn into
     * OutOfOrderSequence failures. Returns the names of those it created.
     */
    public List<String> createTopics(Collection<NewTopic> topics) {
        try (Admin admin = Admin.create(client)) {
            return TopicCreation.createAndAwait(admin, topics, Duration.ofSeconds(60));
        }
    }

    /** Stops the broker with SIGTERM (controlled shutdown), forcibly after 30 s. */
    @Override
    public void close() {
        if (process == null || !process.isAlive()) return;
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Kills the broker without a controlled shutdown (for chaos runs). */
    public void kill() {
        if (process != null) process.destroyForcibly();
    }

}
