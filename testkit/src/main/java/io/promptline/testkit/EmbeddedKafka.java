package io.promptline.testkit;

import io.promptline.topics.TopicCreation;
import io.promptline.topics.TopicLayout;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real KRaft Kafka cluster, in-process, for one test class: by default a single node (combined
 * broker + controller); {@code new EmbeddedKafka(3)} runs three brokers and a controller, with
 * every topic (Promptline's, the internal ones, Kafka Streams') at replication factor 3 and
 * {@code min.insync.replicas} 2, as production runs. Register it as a static field:
 *
 * <pre>{@code
 * @RegisterExtension static final EmbeddedKafka KAFKA = new EmbeddedKafka();
 * }</pre>
 *
 * Each test should take its own topics with {@link #newTopics(int)} so tests never share state.
 */
public final class EmbeddedKafka extends ClassFixture<EmbeddedKafka> {
    private static final AtomicInteger TOPIC_SEQ = new AtomicInteger();
    /** The super user of a {@link #withSasl() secured} cluster (the test kit's own). */
    public static final String ADMIN_USER = "plain-admin";
    private static final String ADMIN_PASSWORD = "plain-admin-secret";
    private final int brokers;
    private final boolean sasl;
    private KafkaClusterTestKit cluster;
    private Admin admin;

    public EmbeddedKafka() {
        this(1);
    }

    /** A cluster of {@code brokers} brokers (1, or 3 and more for replicated topics). */
    public EmbeddedKafka(int brokers) {
        this(brokers, false);
    }

    private EmbeddedKafka(int brokers, boolean sasl) {
        if (brokers < 1) throw new IllegalArgumentException("brokers must be at least 1");
        this.brokers = brokers;
        this.sasl = sasl;
    }

    /**
     * A single node whose listeners want SASL (SASL_PLAINTEXT; PLAIN for the super user {@link
     * #ADMIN_USER}, SCRAM-SHA-256 and -512 for the users {@link #addScramUser} makes) and whose
     * authorizer allows nothing without an ACL ({@code allow.everyone.if.no.acl.found=false}).
     * {@link #admin()} and topic creation run as the super user.
     */
    public static EmbeddedKafka withSasl() {
        return new EmbeddedKafka(1, true);
    }

    /** Starts the cluster; for use outside JUnit (benchmarks, tools). */
    @Override
    public EmbeddedKafka start() throws Exception {
        if (cluster != null) return this;
        TestKitNodes.Builder nodesBuilder = brokers == 1
                ? new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1)
                : new TestKitNodes.Builder().setCombined(false).setNumBrokerNodes(brokers).setNumControllerNodes(1);
        if (sasl) {
            nodesBuilder.setBrokerSecurityProtocol(SecurityProtocol.SASL_PLAINTEXT).setControllerSecurityProtocol(SecurityProtocol.SASL_PLAINTEXT);
        }
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodesBuilder.build());
        brokerProperties(brokers).forEach(builder::setConfigProp);
        if (sasl) {
            // The kit's own JAAS section serves PLAIN (its super user, also between broker and controller); SCRAM is added.
            builder.setConfigProp("sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512");
            // As a real broker's JAAS names it: loading ScramLoginModule registers the SCRAM SaslServer provider (without it
            // the broker can serve SCRAM only after some SCRAM client in this JVM happened to load the module).
            for (String m : List.of("scram-sha-256", "scram-sha-512")) {
                builder.setConfigProp("listener.name.external." + m + ".sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
            }
            builder.setConfigProp("allow.everyone.if.no.acl.found", "false");
        }
        cluster = builder.build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
        admin = Admin.create(adminProperties());
        return this;
    }

    /** Client settings of the super user (just the bootstrap servers on a cluster without SASL). */
    public Map<String, Object> adminProperties() {
        requireStarted();
        Map<String, Object> p = new HashMap<>(Map.of("bootstrap.servers", cluster.bootstrapServers()));
        if (sasl) p.putAll(saslProperties("PLAIN", ADMIN_USER, ADMIN_PASSWORD));
        return p;
    }

    /** Makes (or replaces) a SCRAM-SHA-256 and -512 user; it may do nothing until ACLs allow it. */
    public void addScramUser(String user, String password) {
        requireSasl();
        try {
            // One mechanism per request: the broker refuses two alterations of one user in one request.
            for (ScramMechanism m : List.of(ScramMechanism.SCRAM_SHA_256, ScramMechanism.SCRAM_SHA_512)) {
                admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user, new ScramCredentialInfo(m, 4096), password)))
                        .all().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot make SCRAM user " + user + ": " + e, e);
        }
    }

    /** Client settings (without bootstrap servers) of a SASL user: {@code security.protocol}, {@code sasl.mechanism}, {@code sasl.jaas.config}. */
    public static Map<String, Object> saslProperties(String mechanism, String user, String password) {
        String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", mechanism,
                "sasl.jaas.config", module + " required username=\"" + user + "\" password=\"" + password + "\";");
    }

    /** Adds ACLs (as the super user) and waits until the broker applies them. */
    public void grant(Collection<AclBinding> acls) {
        requireSasl();
        try {
            admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create ACLs: " + e, e);
        }
    }

    private void requireSasl() {
        requireStarted();
        if (!sasl) throw new IllegalStateException("this cluster does not use SASL; start it with EmbeddedKafka.withSasl()");
    }

    /**
     * Broker settings for a cluster that runs transactions (exactly_once_v2) and starts fast: with
     * three brokers or more, replication factor 3 and {@code min.insync.replicas} 2 for every topic.
     */
    static Map<String, Object> brokerProperties(int brokers) {
        String replicas = Integer.toString(replicationFactor(brokers));
        String minIsr = brokers >= 3 ? "2" : "1";
        return Map.ofEntries(
                Map.entry("offsets.topic.replication.factor", replicas),
                Map.entry("offsets.topic.num.partitions", "4"),
                Map.entry("transaction.state.log.replication.factor", replicas),
                Map.entry("transaction.state.log.min.isr", minIsr),
                Map.entry("transaction.state.log.num.partitions", "4"),
                Map.entry("default.replication.factor", replicas),
                Map.entry("min.insync.replicas", minIsr),
                Map.entry("group.initial.rebalance.delay.ms", "0"),
                Map.entry("auto.create.topics.enable", "false"),
                Map.entry("num.partitions", "1"));
    }

    /** The replication factor of every topic on a cluster of {@code brokers}: 3 when there are three or more. */
    public static short replicationFactor(int brokers) {
        return (short) Math.min(3, brokers);
    }

    /** The replication factor this cluster's topics get. */
    public short replicationFactor() {
        return replicationFactor(brokers);
    }

    /** The ids of the brokers that run now. */
    public java.util.Set<Integer> runningBrokers() {
        requireStarted();
        java.util.Set<Integer> ids = new java.util.TreeSet<>();
        cluster.brokers().forEach((id, b) -> {
            if (!b.isShutdown()) ids.add(id);
        });
        return ids;
    }

    /** Stops one broker (its partitions' leadership moves to the others); the cluster goes on. */
    public void stopBroker(int id) {
        requireStarted();
        var b = cluster.brokers().get(id);
        if (b == null) throw new IllegalArgumentException("no broker " + id + "; brokers: " + cluster.brokers().keySet());
        b.shutdown();
        b.awaitShutdown();
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
        create(TopicLayout.topics(topics, partitions, ladder, replicationFactor()));
        return topics;
    }

    public void createTopics(int partitions, Collection<String> names) {
        create(names.stream().map(n -> new NewTopic(n, partitions, replicationFactor())).toList());
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
