package io.promptline.sink;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.promptline.runtime.KafkaRefusal;
import io.micrometer.core.instrument.MeterRegistry;
import io.promptline.serde.AvroSerializer;
import io.promptline.sink.alerts.AlertSink;
import io.promptline.sink.alerts.Webhook;
import io.promptline.sink.triage.DeadLetterTriage;
import io.promptline.sink.config.SinkConfig;
import io.promptline.sink.postgres.PostgresSink;
import io.promptline.sink.postgres.PostgresWriter;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

import java.net.URI;
import javax.sql.DataSource;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/** Runs the PostgreSQL sink: {@code java -cp ... io.promptline.sink.SinkMain [config.properties]}. */
public final class SinkMain {
    private SinkMain() {
    }

    public static HikariDataSource dataSource(String url, String user, String password) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setUsername(user);
        hc.setPassword(password);
        hc.setMaximumPoolSize(4);
        hc.setPoolName("promptline-sink");
        return new HikariDataSource(hc);
    }

    public static PostgresSink create(SinkConfig config, DataSource ds) {
        PostgresWriter.migrate(ds);
        Map<String, Object> consumer = kafka(config);
        consumer.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        consumer.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.maxPollRecords());
        return new PostgresSink(consumer, config.registryClient(), config.topics(),
                new PostgresWriter(ds), config.pollTimeout());
    }

    /** The Kafka client settings every part of the sink starts from: the {@code kafka.*} overrides and the bootstrap servers. */
    private static Map<String, Object> kafka(SinkConfig config) {
        Map<String, Object> kafka = new HashMap<>(config.kafkaOverrides());
        kafka.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        return kafka;
    }

    /** The alert webhook's URL, or null when none is configured. */
    private static URI webhook(SinkConfig config) {
        Password hook = config.alertsWebhook();
        return hook == null || hook.value().isBlank() ? null : URI.create(hook.value());
    }

    /** The alert sink, or null when no webhook is configured. */
    public static AlertSink alertSink(SinkConfig config) {
        URI hook = webhook(config);
        if (hook == null) return null;
        return new AlertSink(kafka(config), config.alertsGroupId(), config.topics().dlq(), config.registryClient(),
                config.alertPolicy(Clock.systemUTC()), hook);
    }

    /** The dead-letter triage, or null when it is off. */
    public static DeadLetterTriage triage(SinkConfig config, DataSource db, MeterRegistry meters) {
        if (!config.triageEnabled()) return null;
        URI hook = webhook(config);
        var registry = config.registryClient(); // one client (and schema cache) for reading dead letters and writing requests
        return new DeadLetterTriage(kafka(config), config.triageGroupId(), config.topics(), registry,
                new AvroSerializer<>(registry, true), db,
                new DeadLetterTriage.Settings(config.triageTenant(), config.triageModel(), config.triageTenantSecret()),
                hook == null ? null : new Webhook(hook),
                Clock.systemUTC(), meters);
    }

    public static void main(String[] args) throws InterruptedException {
        SinkConfig config;
        try {
            config = SinkConfig.load(args.length > 0 ? Path.of(args[0]) : null, System.getenv());
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println("promptline sink: invalid configuration: " + e.getMessage());
            System.exit(2);
            return;
        }
        HikariDataSource ds = dataSource(config.jdbcUrl(), config.jdbcUser(), config.jdbcPassword().value());
        // A part that cannot go on stops the process with status 1 (its orchestrator restarts it); the hook closes what runs.
        SinkApp app;
        try {
            SinkApp created = new SinkApp(config, ds, why -> new Thread(() -> System.exit(1), "promptline-exit").start());
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                created.close();
                ds.close();
            }, "promptline-sink-shutdown"));
            created.start();
            app = created;
        } catch (RuntimeException e) {
            KafkaRefusal.exitOnStartFailure("sink", e, "prefixed " + config.rollupApplicationId() + "-");
            return;
        }
        app.awaitStop();
    }
}
