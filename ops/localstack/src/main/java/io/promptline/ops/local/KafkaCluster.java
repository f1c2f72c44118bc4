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
import java.util.stream.Collectors;

/**
 * A KRaft Kafka cluster of one or more {@link KafkaBrokerProcess} nodes, each its own JVM and each
 * both broker and controller (so the controller quorum is the nodes). With three nodes or more,
 * every topic has replication factor 3 and {@code min.insync.replicas} 2, as production runs: one
 * node can die and nothing stops; a partition that has lost two of its replicas refuses writes
 * (acks=all) until one comes back.
 */
public final class KafkaCluster implements AutoCloseable {
    private final Path dir;
    private final List<KafkaBrokerProcess> nodes = new ArrayList<>();

    /**
     * @param dir   where the nodes keep their data and logs (a one-node cluster uses {@code dir} itself,
     *              as the local stack always has; node N of a larger one {@code dir/node-N})
     * @param ports each node's listener port; its controller listens on the port after it
     */
    public KafkaCluster(Path dir, List<Integer> ports) {
        if (ports.isEmpty()) throw new IllegalArgumentException("a cluster needs at least one node");
        this.dir = dir;
        String voters = java.util.stream.IntStream.range(0, ports.size())
                .mapToObj(i -> (i + 1) + "@127.0.0.1:" + (ports.get(i) + 1)).collect(Collectors.joining(","));
        for (int i = 0; i < ports.size(); i++) {
            Path nodeDir = ports.size() == 1 ? dir : dir.resolve("node-" + (i + 1));
            nodes.add(new KafkaBrokerProcess(nodeDir, i + 1, ports.get(i), ports.get(i) + 1, voters, ports.size()));
        }
    }

    /** A cluster of {@code size} nodes on free ports. */
    public static KafkaCluster onFreePorts(Path dir, int size) throws IOException {
        List<Integer> ports = new ArrayList<>();
        while (ports.size() < size) {
            int p = Ports.freePair();
            if (ports.stream().noneMatch(q -> Math.abs(q - p) < 2)) ports.add(p);
        }
        return new KafkaCluster(dir, ports);
    }

    /** The replication factor of every topic on a cluster of {@code size} nodes: 3 when there are three or more. */
    public static short replicationFactor(int size) {
        return (short) Math.min(3, size);
    }

    public short replicationFactor() {
        return replicationFactor(nodes.size());
    }

    public int size() {
        return nodes.size();
    }

    /** Node {@code i} (0-based). */
    public KafkaBrokerProcess node(int i) {
        return nodes.get(i);
    }

    /** Every node's listener, as clients take them. */
    public String bootstrapServers() {
        return nodes.stream().map(KafkaBrokerProcess::bootstrapServers).collect(Collectors.joining(","));
    }

    /** Starts every node (formatting its storage the first time), then waits until each serves. */
    public void start(Duration readyTimeout) throws IOException, InterruptedException {
        String clusterId = clusterId();
        for (KafkaBrokerProcess n : nodes) n.launch(clusterId);
        for (KafkaBrokerProcess n : nodes) n.awaitReady(readyTimeout);
    }

    /** Starts node {@code i} again (after {@link #kill}) and waits until it serves. */
    public void restart(int i, Duration readyTimeout) throws IOException, InterruptedException {
        KafkaBrokerProcess n = nodes.get(i);
        n.launch(clusterId());
        n.awaitReady(readyTimeout);
    }

    /** Kills node {@code i} with SIGKILL: no controlled shutdown, no flush. */
    public void kill(int i) {
        nodes.get(i).kill();
    }

    /** The cluster's id, made once and kept beside the nodes' data (every node is formatted with it). */
    private String clusterId() throws IOException {
        Path f = dir.resolve("cluster.id");
        if (Files.exists(f)) return Files.readString(f).trim();
        Files.createDirectories(dir);
        String id = Uuid.randomUuid().toString();
        Files.writeString(f, id);
        return id;
    }

    /** Creates the topics that do not exist yet and waits until every partition's leader serves it. */
    public List<String> createTopics(Collection<NewTopic> topics) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers()))) {
            return TopicCreation.createAndAwait(admin, topics, Duration.ofSeconds(60));
        }
    }

    /** Stops every node with SIGTERM (controlled shutdown), all at once (one by one, the last would wait for a lost quorum). */
    @Override
    public void close() {
        List<Thread> stopping = new ArrayList<>();
        for (KafkaBrokerProcess n : nodes) {
            Thread t = new Thread(n::close, "stop-kafka-node-" + n.nodeId());
            t.start();
            stopping.add(t);
        }
        for (Thread t : stopping) {
            try {
                t.join();
            } catch (InterruptedException e) {
                nodes.forEach(KafkaBrokerProcess::kill);
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
