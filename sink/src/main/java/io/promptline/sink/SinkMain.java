package io.promptline.sink;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.sink.config.SinkConfig;
import io.promptline.sink.postgres.PostgresSink;
import io.promptline.sink.postgres.PostgresWriter;
import io.promptline.metrics.MetricsEndpoint;
import io.promptline.sink.alerts.AlertSink;
import io.promptline.sink.rollup.CostRollupApp;
import org.apache.kafka.common.config.types.Password;

import java.net.URI;
import java.time.Clock;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.ConfigException;

import java.nio.file.Path;
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

    public static PostgresSink create(SinkConfig config, HikariDataSource ds) {
        PostgresWriter.migrate(ds);
        Map<String, Object> consumer = new HashMap<>(config.kafkaOverrides());
        consumer.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        consumer.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        consumer.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.maxPollRecords());
        return new PostgresSink(consumer, new RestSchemaRegistryClient(config.schemaRegistryUrl()), config.topics(),
                new PostgresWriter(ds), config.pollTimeout());
    }

    /** The alert sink, or null when no webhook is configured. */
    public static AlertSink alertSink(SinkConfig config) {
        Password hook = config.alertsWebhook();
        if (hook == null || hook.value().isBlank()) return null;
        Map<String, Object> kafka = new HashMap<>(config.kafkaOverrides());
        kafka.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        return new AlertSink(kafka, config.alertsGroupId(), config.topics().dlq(), new RestSchemaRegistryClient(config.schemaRegistryUrl()),
                config.alertPolicy(Clock.systemUTC()), URI.create(hook.value()));
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
        PostgresSink sink = create(config, ds);
        CostRollupApp rollup = config.rollupEnabled() ? new CostRollupApp(config) : null;
        AlertSink alerts = alertSink(config);
        MetricsEndpoint endpoint = config.metricsPort() < 0 ? null : MetricsEndpoint.start(sink.meters(), config.metricsHost(),
                config.metricsPort(), () -> rollup == null || rollup.isRunning());
        Thread worker = new Thread(sink, "promptline-sink");
        Thread alerter = alerts == null ? null : new Thread(alerts, "promptline-alerts");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (alerts != null) alerts.close();
            if (endpoint != null) endpoint.close();
            if (rollup != null) rollup.close();
            sink.close();
            try {
                if (alerter != null) alerter.join(10_000); // its last commit, so a restart does not alert again
                worker.join(15_000);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            ds.close();
        }, "promptline-sink-shutdown"));
        if (rollup != null) rollup.start();
        if (alerter != null) alerter.start();
        worker.start();
        worker.join();
    }
}
