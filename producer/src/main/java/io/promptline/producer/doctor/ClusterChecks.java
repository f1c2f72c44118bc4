package io.promptline.producer.doctor;

import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.runtime.KafkaRefusal;
import io.promptline.topics.TopicLayout;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** The doctor's checks of what the pipeline runs on: the Kafka cluster, the registry, the sink's database, the processors' health. */
public final class ClusterChecks {
    private ClusterChecks() {
    }

    /** The cluster answers, every topic of the layout exists, and transactions (exactly-once) work. */
    public static List<Finding> kafka(Map<String, Object> client, Topics topics, List<Duration> ladder, Duration timeout) {
        List<Finding> out = new ArrayList<>();
        int brokers;
        Map<String, TopicDescription> found;
        List<String> wanted = TopicLayout.topics(topics, 1, ladder, (short) 1).stream().map(NewTopic::name).toList();
        try (Admin admin = Admin.create(client)) {
            brokers = admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS).size();
            Set<String> names = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            found = admin.describeTopics(wanted.stream().filter(names::contains).toList()).allTopicNames()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            out.add(Finding.fail("kafka", "cannot reach " + client.get("bootstrap.servers") + ": " + message(e)));
            return out;
        }
        out.add(Finding.ok("kafka", brokers + " broker(s) at " + client.get("bootstrap.servers")));
        List<String> missing = wanted.stream().filter(t -> !found.containsKey(t)).toList();
        if (!missing.isEmpty()) {
            out.add(Finding.fail("kafka topics", missing.size() + " of " + wanted.size() + " missing: " + String.join(", ", missing)
                    + " (promptline topics create makes them)"));
        } else {
            out.add(Finding.ok("kafka topics", "all " + wanted.size() + " present"));
        }
        Set<Integer> tierPartitions = new TreeSet<>();
        for (Priority p : Priority.values()) {
            TopicDescription d = found.get(topics.requests(p));
            if (d != null) tierPartitions.add(d.partitions().size());
        }
        if (tierPartitions.size() > 1) {
            out.add(Finding.fail("kafka partitions", "the tier topics differ in partitions " + tierPartitions
                    + ": a tenant's retries and quota must land in the partition of its requests"));
        } else if (!tierPartitions.isEmpty()) {
            out.add(Finding.ok("kafka partitions", tierPartitions.iterator().next() + " per tier topic"));
        }
        int wantReplicas = Math.min(3, brokers);
        List<String> thin = found.values().stream().filter(d -> d.partitions().get(0).replicas().size() < wantReplicas)
                .map(TopicDescription::name).sorted().toList();
        if (!thin.isEmpty()) {
            out.add(Finding.warn("kafka replication", thin.size() + " topic(s) with fewer than " + wantReplicas + " replicas on "
                    + brokers + " broker(s), e.g. " + thin.get(0) + ": one broker lost loses their data"));
        } else if (!found.isEmpty()) {
            out.add(Finding.ok("kafka replication", "every topic has " + wantReplicas + "+ replicas"
                    + (brokers == 1 ? " (a single broker: fine locally, not in production)" : "")));
        }
        out.add(transactions(client, timeout));
        return out;
    }

    private static Finding transactions(Map<String, Object> client, Duration timeout) {
        Map<String, Object> p = new HashMap<>(client);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "promptline-doctor-" + UUID.randomUUID());
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
        long t0 = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.abortTransaction();
            return Finding.ok("kafka transactions", "a transaction began and aborted in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } catch (Exception e) {
            return Finding.fail("kafka transactions", "cannot use transactions (the processor's exactly-once needs them): " + message(e));
        }
    }

    /** The registry answers, and takes this version's request schema for every tier's subject. */
    public static List<Finding> registry(SchemaRegistryClient registry, String url, Topics topics) {
        List<Finding> out = new ArrayList<>();
        List<String> subjects;
        try {
            subjects = registry.subjects();
        } catch (RuntimeException e) {
            out.add(Finding.fail("schema registry", "cannot reach " + url + ": " + message(e)));
            return out;
        }
        out.add(Finding.ok("schema registry", url + ", " + subjects.size() + " subject(s)"));
        for (Priority p : Priority.values()) {
            String subject = topics.requests(p) + "-value";
            if (!subjects.contains(subject)) {
                out.add(Finding.warn("schema " + subject, "not registered yet (the first publisher registers it)"));
                continue;
            }
            try {
                out.add(registry.isCompatible(subject, PromptRequest.getClassSchema())
                        ? Finding.ok("schema " + subject, "this version's PromptRequest is compatible")
                        : Finding.fail("schema " + subject, "this version's PromptRequest is refused by the subject's compatibility rule"));
            } catch (RuntimeException e) {
                out.add(Finding.fail("schema " + subject, "cannot check compatibility: " + message(e)));
            }
        }
        return out;
    }

    /** The sink's database answers and its migrations (Flyway) all succeeded. */
    public static Finding database(String jdbcUrl, String user, String password) {
        try (Connection c = DriverManager.getConnection(jdbcUrl, user, password); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT count(*), count(*) FILTER (WHERE NOT success), max(version::int) "
                    + "FROM flyway_schema_history WHERE version IS NOT NULL")) {
                rs.next();
                if (rs.getLong(2) > 0) return Finding.fail("sink database", rs.getLong(2) + " migration(s) failed: see flyway_schema_history");
                return Finding.ok("sink database", rs.getLong(1) + " migrations applied, the latest V" + rs.getInt(3));
            } catch (SQLException noHistory) {
                return Finding.warn("sink database", "reachable, no migrations yet (the sink applies them when it starts)");
            }
        } catch (SQLException e) {
            return Finding.fail("sink database", "cannot connect to " + jdbcUrl + ": " + e.getMessage());
        }
    }

    /** A processor's or sink's readiness endpoint ({@code http://host:port}, {@code /health/ready} added). */
    public static Finding health(String base, Duration timeout) {
        URI uri = URI.create(base.replaceAll("/+$", "") + (base.contains("/health/") ? "" : "/health/ready"));
        try {
            HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(timeout).build()
                    .send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(), HttpResponse.BodyHandlers.ofString());
            String body = r.body().lines().collect(Collectors.joining("; "));
            return r.statusCode() == 200 ? Finding.ok("health " + uri.getAuthority(), "ready")
                    : Finding.fail("health " + uri.getAuthority(), "HTTP " + r.statusCode() + ": " + body);
        } catch (Exception e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            return Finding.fail("health " + uri.getAuthority(), "cannot reach " + uri + ": " + message(e));
        }
    }

    /** Why a check failed: a refusal (ACL, credentials) as the deployables describe it, else the innermost message. */
    static String message(Throwable e) {
        return KafkaRefusal.describe(e, "prefixed promptline-doctor-").orElseGet(() -> {
            Throwable t = e;
            while (t.getCause() != null && (t instanceof java.util.concurrent.ExecutionException || t.getMessage() == null)) t = t.getCause();
            return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        });
    }
}
