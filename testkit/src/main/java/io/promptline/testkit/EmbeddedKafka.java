package io.promptline.testkit;

import io.promptline.topics.TopicCreation;
import io.promptline.topics.TopicLayout;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real single-node KRaft Kafka broker (combined broker + controller), in-process, for one
 * test class. Register it as a static field:
 *
 * <pre>{@code
 * @RegisterExtension static final EmbeddedKafka KAFKA = new EmbeddedKafka();
 * }</pre>
 *
 * Each test should take its own topics with {@link #newTopics(int)} so tests never share state.
 */
public final class EmbeddedKafka extends ClassFixture<EmbeddedKafka> {
    private static final AtomicInteger TOPIC_SEQ = new AtomicInteger();
    private KafkaClusterTestKit cluster;
    private Admin admin;

    /** Starts the broker; for use outside JUnit (benchmarks, tools). */
    @Override
    public EmbeddedKafka start() throws Exception {
        if (cluster != null) return this;
        TestKitNodes nodes = new TestKitNodes.Builder()
                .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build();
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
        brokerProperties().forEach(builder::setConfigProp);
        cluster = builder.build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
        admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()));
        return this;
    }

    /** Broker settings for a one-node cluster that runs transactions (exactly_once_v2) and starts fast. */
    static Map<String, Object> brokerProperties() {
        return Map.of(
                "offsets.topic.replication.factor", "1",
                "offsets.topic.num.partitions", "4",
                "transaction.state.log.replication.factor", "1",
                "transaction.state.log.min.isr", "1",
                "transaction.state.log.num.partitions", "4",
                "group.initial.rebalance.delay.ms", "0",
                "auto.create.topics.enable", "false",
                "num.partitions", "1");
    }

    @Override
    public void close() throws Exception {
        if (admin != null) admin.close();
        if (cluster != null) cluster.close();
        admin = null;
        cluster = null;
    }

    public String bootstrapServers() {
        requireStarted();
        return cluster.bootstrapServers();
    }

    public Admin admin() {
        requireStarted();
        return admin;
    }

    /**
     * A fresh set of Promptline topic names unique to the caller, with every topic of
     * {@link TopicLayout} created ({@code partitions} each), for the default delay ladder.
     */
    public Topics newTopics(int partitions) {
        return newTopics(partitions, TopicLayout.DEFAULT_LADDER);
    }

    /** As {@link #newTopics(int)}, with the retry topics of {@code ladder}. */
    public Topics newTopics(int partitions, List<Duration> ladder) {
        Topics topics = Topics.withBase("t" + TOPIC_SEQ.incrementAndGet() + "-" + Long.toHexString(System.nanoTime() & 0xffffff));
        create(TopicLayout.topics(topics, partitions, ladder, (short) 1));
        return topics;
    }

    public void createTopics(int partitions, Collection<String> names) {
        create(names.stream().map(n -> new NewTopic(n, partitions, (short) 1)).toList());
    }

    public void createTopic(NewTopic topic) {
        create(List.of(topic));
    }

    /** Creates the topics and waits until the broker serves every partition ({@link TopicCreation}). */
    private void create(List<NewTopic> topics) {
        TopicCreation.createAndAwait(admin(), topics, Duration.ofSeconds(30));
    }

    private void requireStarted() {
        if (cluster == null) throw new IllegalStateException("EmbeddedKafka is not started; register it with @RegisterExtension on a static field");
    }
}
