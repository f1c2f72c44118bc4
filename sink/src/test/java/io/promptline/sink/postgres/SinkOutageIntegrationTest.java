package io.promptline.sink.postgres;

import com.zaxxer.hikari.HikariDataSource;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptResult;
import io.promptline.avro.TokenUsage;
import io.promptline.registry.RegistryException;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.runtime.Health;
import io.promptline.runtime.Supervisor;
import io.promptline.serde.AvroSerializer;
import io.promptline.sink.SinkMain;
import io.promptline.testkit.Await;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.EmbeddedPostgres;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SwitchableDataSource;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.sql.DataSource;
import java.lang.reflect.InvocationTargetException;
import java.net.ConnectException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The PostgreSQL sink outlives what it can wait for: a database outage longer than
 * max.poll.interval.ms (the group moves on, the commit after it is refused) and a registry it
 * cannot reach. Rows keep arriving afterwards, nothing is doubled, and the process stays live.
 */
class SinkOutageIntegrationTest {
    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final EmbeddedPostgres PG = new EmbeddedPostgres();

    private final List<String> deaths = new CopyOnWriteArrayList<>();
    private final Supervisor supervisor = new Supervisor(new Health(), deaths::add);

    private static void publish(Topics topics, String prefix, int n) throws Exception {
        try (KafkaProducer<String, PromptResult> p = new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
                new StringSerializer(), new AvroSerializer<>(new RestSchemaRegistryClient(REGISTRY.url()), true))) {
            for (int i = 0; i < n; i++) {
                p.send(new ProducerRecord<>(topics.results(), prefix + i, PromptResult.newBuilder().setRequestId(prefix + i).setTenant("acme")
                        .setPriority(Priority.NORMAL).setModel("gpt-4.1").setProvider("openai").setContent("a")
                        .setUsage(new TokenUsage(10L, 5L, 0L, 0L, 0L, false)).setAttempts(1).setQueueTimeMs(1).setCallLatencyMs(1)
                        .setCompletedAt(Instant.now()).build())).get();
            }
        }
    }

    private static long rows(DataSource db) throws SQLException {
        try (Connection c = db.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM prompt_results")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** A registry client that cannot be reached while {@code down}. */
    private static SchemaRegistryClient switchable(SchemaRegistryClient real, AtomicBoolean down) {
        return (SchemaRegistryClient) Proxy.newProxyInstance(SchemaRegistryClient.class.getClassLoader(),
                new Class<?>[]{SchemaRegistryClient.class}, (proxy, m, args) -> {
                    if (down.get() && m.getName().equals("schemaById")) {
                        throw new RegistryException.Unreachable(REGISTRY.url(), new ConnectException("test outage"));
                    }
                    try {
                        return m.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private PostgresSink sink(Topics topics, DataSource db, SchemaRegistryClient registry, String group) {
        return new PostgresSink(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, group, ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 3_000,
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6_000, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000),
                registry, topics, new PostgresWriter(db), Duration.ofMillis(200));
    }

    @Test
    void shouldWriteOnAfterADatabaseOutageLongerThanTheMaxPollInterval() throws Exception {
        Topics topics = KAFKA.newTopics(2);
        HikariDataSource real = SinkMain.dataSource(PG.newDatabase(), "postgres", "postgres");
        PostgresWriter.migrate(real);
        AtomicBoolean down = new AtomicBoolean(true);
        PostgresSink sink = sink(topics, SwitchableDataSource.of(real, down), new RestSchemaRegistryClient(REGISTRY.url()), "db-" + topics.base());
        Thread t = supervisor.start("postgres sink", sink, sink::isWriting);
        try {
            // Given the database is down while records arrive, for longer than max.poll.interval.ms (3 s)
            publish(topics, "first-", 100);
            Await.until(Duration.ofSeconds(20), "the sink failing to write", () -> !sink.isWriting());
            Thread.sleep(8_000);
            assertThat(supervisor.health().ready()).as("not ready while the database fails").isFalse();

            // When it comes back, the sink writes on (the group had moved on: the refused commit reads them again)
            down.set(false);
            publish(topics, "second-", 100);
            Await.until(Duration.ofSeconds(60), "every row written", () -> safeRows(real).equals("200"), () -> "rows " + safeRows(real));
            assertThat(deaths).isEmpty();
            assertThat(supervisor.health().live()).isTrue();
            Await.until(Duration.ofSeconds(10), "ready again", () -> supervisor.health().ready());
        } finally {
            supervisor.stopping();
            sink.close();
            t.join(15_000);
            real.close();
        }
    }

    @Test
    void shouldReadRecordsAgainAfterARegistryOutageAndLoseNone() throws Exception {
        Topics topics = KAFKA.newTopics(2);
        HikariDataSource real = SinkMain.dataSource(PG.newDatabase(), "postgres", "postgres");
        PostgresWriter.migrate(real);
        AtomicBoolean down = new AtomicBoolean(true);
        PostgresSink sink = sink(topics, real, switchable(new RestSchemaRegistryClient(REGISTRY.url()), down), "reg-" + topics.base());
        Thread t = supervisor.start("postgres sink", sink, sink::isWriting);
        try {
            // Given the registry cannot be reached while the first records arrive
            publish(topics, "r-", 50);
            Await.until(Duration.ofSeconds(20), "the sink waiting for the registry", () -> !sink.isWriting());
            Thread.sleep(2_000);
            assertThat(rows(real)).isZero();

            // When it is back, every record is written once and the sink stays live
            down.set(false);
            Await.until(Duration.ofSeconds(30), "every row written", () -> safeRows(real).equals("50"), () -> "rows " + safeRows(real));
            assertThat(deaths).isEmpty();
            assertThat(supervisor.health().live()).isTrue();
        } finally {
            supervisor.stopping();
            sink.close();
            t.join(15_000);
            real.close();
        }
    }

    private static String safeRows(DataSource db) {
        try {
            return Long.toString(rows(db));
        } catch (SQLException e) {
            return e.getMessage();
        }
    }
}
