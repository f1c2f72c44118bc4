package io.promptline.sink.postgres;

import com.zaxxer.hikari.HikariDataSource;
import io.promptline.avro.CostEvent;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptResult;
import io.promptline.avro.TokenUsage;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.serde.AvroSerializer;
import io.promptline.sink.SinkMain;
import io.promptline.sink.config.SinkConfig;
import io.promptline.testkit.Await;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.EmbeddedPostgres;
import io.promptline.testkit.RegistryFixture;
import io.promptline.topics.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Consuming the same records twice (a new consumer group replays everything) leaves the same rows and the same totals. */
class SinkReplayIntegrationTest {
    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final EmbeddedPostgres PG = new EmbeddedPostgres();

    private static long[] totals(HikariDataSource db) throws Exception {
        try (Connection c = db.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM prompt_results), (SELECT count(*) FROM cost_events), "
                     + "(SELECT coalesce(sum(cost_micros), 0) FROM cost_events)")) {
            rs.next();
            return new long[]{rs.getLong(1), rs.getLong(2), rs.getLong(3)};
        }
    }

    private static Thread run(PostgresSink sink) {
        Thread t = new Thread(sink);
        t.start();
        return t;
    }

    @Test
    void shouldLeaveTheSameRowsAndTotalsWhenEverythingIsConsumedAgain() throws Exception {
        Topics topics = KAFKA.newTopics(3);
        long expected = 0;
        try (KafkaProducer<String, SpecificRecord> p = new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
                new StringSerializer(), new AvroSerializer<>(new RestSchemaRegistryClient(REGISTRY.url()), true))) {
            Instant t = Instant.parse("2026-11-22T10:00:00Z");
            for (int i = 0; i < 2_000; i++) {
                p.send(new ProducerRecord<>(topics.results(), "r" + i, PromptResult.newBuilder().setRequestId("r" + i).setTenant("acme")
                        .setPriority(Priority.NORMAL).setModel("gpt-4.1").setProvider("openai").setContent("a" + i)
                        .setUsage(new TokenUsage(10L, 5L, 0L, 0L, 0L, false)).setAttempts(1).setQueueTimeMs(1).setCallLatencyMs(1).setCompletedAt(t).build()));
                p.send(new ProducerRecord<>(topics.costs(), "acme", CostEvent.newBuilder().setEventId("r" + i + "/1/0").setRequestId("r" + i)
                        .setTenant("acme").setPriority(Priority.NORMAL).setProvider("openai").setModel("gpt-4.1").setPromptTokens(10)
                        .setCachedTokens(0).setCompletionTokens(5).setCostMicros(60 + i % 7).setCurrency("USD").setPriceVersion("v").setTimestamp(t).build()));
                expected += 60 + i % 7;
            }
        }
        HikariDataSource db = SinkMain.dataSource(PG.newDatabase(), "postgres", "postgres");
        try {
            for (String group : new String[]{"first-" + topics.base(), "replay-" + topics.base()}) {
                PostgresSink sink = SinkMain.create(new SinkConfig(Map.of(SinkConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                        SinkConfig.SCHEMA_REGISTRY_URL_CONFIG, REGISTRY.url(), SinkConfig.TOPICS_BASE_CONFIG, topics.base(),
                        SinkConfig.GROUP_ID_CONFIG, group, SinkConfig.JDBC_URL_CONFIG, "unused")), db);
                Thread t = run(sink);
                Await.until(Duration.ofSeconds(60), "the sink to write every record of " + group, () -> sink.recordsWritten() >= 4_000);
                sink.close();
                t.join(15_000);
                long[] totals = totals(db);
                assertThat(totals[0]).as("result rows after " + group).isEqualTo(2_000);
                assertThat(totals[1]).as("cost rows after " + group).isEqualTo(2_000);
                assertThat(totals[2]).as("micro-units after " + group).isEqualTo(expected);
            }
        } finally {
            db.close();
        }
    }
}
