package io.promptline.testkit;

import io.promptline.topics.TopicLayout;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

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
public final class EmbeddedKafka implements BeforeAllCallback, AfterAllCallback {
    private static final AtomicInteger TOPIC_SEQ = new AtomicInteger();
    private KafkaClusterTestKit cluster;
    private Admin admin;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        close();
    }

    /** Starts the broker; for use outside JUnit (benchmarks, tools). */
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
        List<NewTopic> all = TopicLayout.topics(topics, partitions, ladder, (short) 1);
        try {
            admin().createTopics(all).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot create the topics of " + topics.base() + ": " + e.getMessage(), e);
        }
        awaitLeaders(all.stream().map(NewTopic::name).toList());
        return topics;
    }

    public void createTopics(int partitions, Collection<String> names) {
        List<NewTopic> list = names.stream().map(n -> new NewTopic(n, partitions, (short) 1)).toList();
        try {
            admin().createTopics(list).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot create topics " + names + ": " + e.getMessage(), e);
        }
        awaitLeaders(names);
    }

    /**
     * Waits until the broker serves every partition of the topics. Producing before that gets
     * NOT_LEADER_OR_FOLLOWER, and an idempotent producer's retries after it can be refused with
     * OutOfOrderSequence until the delivery timeout.
     */
    private void awaitLeaders(Collection<String> names) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                var described = admin().describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS);
                boolean ready = described.values().stream().allMatch(d -> d.partitions().stream()
                        .allMatch(p -> p.leader() != null && !p.leader().isEmpty() && !p.isr().isEmpty()));
                if (ready) return;
            } catch (Exception e) {
                // not visible yet: try again below
            }
            if (System.nanoTime() > deadline) throw new IllegalStateException("Topics " + names + " have no leaders after 30 s");
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for topic leaders", e);
            }
        }
    }

    public void createTopic(NewTopic topic) {
        try {
            admin().createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot create topic " + topic.name() + ": " + e.getMessage(), e);
        }
        awaitLeaders(List.of(topic.name()));
    }

    private void requireStarted() {
        if (cluster == null) throw new IllegalStateException("EmbeddedKafka is not started; register it with @RegisterExtension on a static field");
    }
}
