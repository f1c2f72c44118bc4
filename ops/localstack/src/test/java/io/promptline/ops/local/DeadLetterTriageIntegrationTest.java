package io.promptline.ops.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariDataSource;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.Priority;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.ProcessorApp;
import io.promptline.processor.config.ProcessorConfig;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.sink.SinkApp;
import io.promptline.sink.SinkMain;
import io.promptline.sink.config.SinkConfig;
import io.promptline.testkit.Await;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.EmbeddedPostgres;
import io.promptline.testkit.LiteralPrice;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import io.promptline.testkit.SwitchableDataSource;
import io.promptline.testkit.TopicReader;
import io.promptline.topics.Topics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dead-letter triage through Promptline itself, on real parts: requests that fail (a prompt over the
 * model's context, twice-refused content) are dead-lettered by the processor; the sink's triage sends
 * one urgent request per pattern (not per dead letter) as its own tenant, the processor calls the
 * simulator with the strict JSON schema, the sink writes the result and cost event, and the triage
 * reads the answer back into {@code dead_letter_triage} and posts it to the webhook. The triage's
 * calls are billed to its tenant at the model's price. A triage request that fails is recorded as
 * failed and never triaged in turn.
 */
class DeadLetterTriageIntegrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:20").build());
    @RegisterExtension
    static final EmbeddedPostgres PG = new EmbeddedPostgres();

    @TempDir
    Path dir;

    private final List<String> posted = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<String> deaths = new CopyOnWriteArrayList<>();
    private HikariDataSource db;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
        assertThat(deaths).as("parts of the sink that stopped").isEmpty();
    }

    /** Processor, sink with the triage on (asking {@code model}) and a webhook that keeps what is posted to it. */
    private Topics start(String model) throws Exception {
        return start(model, new AtomicBoolean());
    }

    /** As {@link #start(String)}, the sink's database refusing connections while {@code down}. */
    private Topics start(String model, AtomicBoolean down) throws Exception {
        Topics topics = KAFKA.newTopics(2);
        HttpServer hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hook.createContext("/hook", ex -> {
            posted.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        hook.start();
        open.add(() -> hook.stop(0));

        Map<String, Object> p = new HashMap<>();
        p.put(ProcessorConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProcessorConfig.SCHEMA_REGISTRY_URL_CONFIG, REGISTRY.url());
        p.put(ProcessorConfig.TOPICS_BASE_CONFIG, topics.base());
        p.put(ProcessorConfig.APPLICATION_ID_CONFIG, "triage-" + topics.base());
        p.put(ProcessorConfig.LLM_BASE_URL_CONFIG, SIM.baseUrl());
        p.put(ProcessorConfig.LLM_PROVIDER_CONFIG, "openai");
        p.put(ProcessorConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        p.put(ProcessorConfig.METRICS_PORT_CONFIG, -1);
        p.put(ProcessorConfig.TIERS_CONFIG, "URGENT,NORMAL");
        ProcessorApp processor = new ProcessorApp(new ProcessorConfig(p), Clock.systemUTC());
        open.add(processor);
        processor.start();

        db = SinkMain.dataSource(PG.newDatabase(), "postgres", "postgres");
        open.add(db);
        Map<String, Object> s = new HashMap<>();
        s.put(SinkConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        s.put(SinkConfig.SCHEMA_REGISTRY_URL_CONFIG, REGISTRY.url());
        s.put(SinkConfig.TOPICS_BASE_CONFIG, topics.base());
        s.put(SinkConfig.GROUP_ID_CONFIG, "sink-" + topics.base());
        s.put(SinkConfig.JDBC_URL_CONFIG, "unused");
        s.put(SinkConfig.METRICS_PORT_CONFIG, -1);
        s.put(SinkConfig.ROLLUP_ENABLED_CONFIG, false);
        s.put(SinkConfig.ALERTS_WEBHOOK_URL_CONFIG, "http://127.0.0.1:" + hook.getAddress().getPort() + "/hook");
        s.put(SinkConfig.ALERTS_GROUP_ID_CONFIG, "alerts-" + topics.base());
        s.put(SinkConfig.TRIAGE_ENABLED_CONFIG, true);
        s.put(SinkConfig.TRIAGE_MODEL_CONFIG, model);
        s.put(SinkConfig.TRIAGE_GROUP_ID_CONFIG, "triage-" + topics.base());
        s.put("kafka.auto.offset.reset", "earliest"); // the DLQ's first records may come before the triage's group has its partitions
        SinkApp sink = new SinkApp(new SinkConfig(s), SwitchableDataSource.of(db, down), deaths::add);
        open.add(sink);
        sink.start();
        return topics;
    }

    /** Five dead letters of two patterns: three prompts over the context window (each a different length), two refused. */
    private static void failFiveWays(Topics topics) throws Exception {
        try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(KAFKA.bootstrapServers())
                .schemaRegistryUrl(REGISTRY.url()).topics(topics).build()) {
            for (int i = 1; i <= 3; i++) {
                producer.submit(Prompt.builder("acme").requestId("long-" + i).priority(Priority.NORMAL).model("gpt-4.1")
                        .user("[[sim:context_length]] the quarterly report, part " + i + " " + "with its tables ".repeat(i * 20)).build())
                        .get(30, TimeUnit.SECONDS);
            }
            for (int i = 1; i <= 2; i++) {
                producer.submit(Prompt.builder("beta").requestId("refused-" + i).priority(Priority.NORMAL).model("gpt-4.1")
                        .user("[[sim:content_policy]] customer message " + i).build()).get(30, TimeUnit.SECONDS);
            }
        }
    }

    private List<Map<String, Object>> rows(String sql) {
        List<Map<String, Object>> out = new ArrayList<>();
        try (Connection c = db.getConnection(); Statement st = c.createStatement(); ResultSet r = st.executeQuery(sql)) {
            while (r.next()) {
                Map<String, Object> row = new HashMap<>();
                for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) row.put(r.getMetaData().getColumnLabel(i), r.getObject(i));
                out.add(row);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot query the sink's database: " + sql, e);
        }
        return out;
    }

    private long count(String sql) {
        return ((Number) rows(sql).get(0).get("n")).longValue();
    }

    @Test
    void shouldTriageEachNewPatternOnceThroughTheUrgentTierAndBillItToTheTriageTenant() throws Exception {
        Topics topics = start("gpt-4.1-mini");

        // Given five dead letters of two patterns
        failFiveWays(topics);
        Await.until(Duration.ofSeconds(90), "five dead letters in the sink", () -> count(
                "SELECT count(*) AS n FROM dead_letters WHERE tenant IN ('acme', 'beta')") == 5);

        // Then each pattern is triaged once, its dead letters counted in its row
        Await.until(Duration.ofSeconds(90), "both patterns triaged", () -> count(
                "SELECT count(*) AS n FROM dead_letter_triage WHERE status <> 'pending'") == 2 && count(
                "SELECT coalesce(sum(occurrences), 0) AS n FROM dead_letter_triage") == 5);
        List<Map<String, Object>> triaged = rows("SELECT * FROM dead_letter_triage ORDER BY category");
        assertThat(triaged).extracting(r -> r.get("category"), r -> r.get("http_status"), r -> r.get("occurrences"), r -> r.get("status"))
                .containsExactly(org.assertj.core.groups.Tuple.tuple("CONTENT_POLICY", 400, 2L, "triaged"),
                        org.assertj.core.groups.Tuple.tuple("CONTEXT_LENGTH", 400, 3L, "triaged"));
        for (Map<String, Object> r : triaged) {
            // The simulator answers a strict schema with an instance of it: the enum's first value, the text answer, a placeholder
            assertThat(r.get("severity")).isEqualTo("critical");
            assertThat((String) r.get("root_cause")).startsWith("Simulated answer to:");
            assertThat(r.get("suggested_action")).isEqualTo("simulated suggested_action");
            assertThat(r.get("triage_model")).isEqualTo("gpt-4.1-mini");
            assertThat((String) r.get("triage_request_id")).isEqualTo("triage-" + r.get("pattern"));
        }
        assertThat((String) triaged.get(1).get("message_pattern")).contains("maximum context length is # tokens");

        // And the triage requests went through the urgent tier as the triage tenant, one result each
        List<Map<String, Object>> results = rows("SELECT request_id, priority, model FROM prompt_results WHERE tenant = 'promptline-triage'");
        assertThat(results).hasSize(2).allSatisfy(r -> {
            assertThat(r.get("priority")).isEqualTo("URGENT");
            assertThat(r.get("model")).isEqualTo("gpt-4.1-mini");
        });

        // And their calls are billed to the triage tenant at gpt-4.1-mini's price ($0.40 / $1.60 per million tokens)
        Await.until(Duration.ofSeconds(30), "two cost events", () -> count(
                "SELECT count(*) AS n FROM cost_events WHERE tenant = 'promptline-triage'") == 2);
        long expected = 0;
        long billed = 0;
        for (Map<String, Object> c : rows("SELECT * FROM cost_events WHERE tenant = 'promptline-triage'")) {
            long at = LiteralPrice.GPT_4_1_MINI.micros((Long) c.get("prompt_tokens"), (Long) c.get("cached_tokens"), (Long) c.get("completion_tokens"));
            assertThat((Long) c.get("cost_micros")).as("cost of %s", c.get("request_id")).isEqualTo(at).isPositive();
            expected += at;
            billed += (Long) c.get("cost_micros");
        }
        System.out.printf("triage: 5 dead letters, 2 patterns, 2 calls billed %d µ$ (%d at the literal price)%n", billed, expected);

        // And each triage is posted to the webhook, as Slack JSON
        Await.until(Duration.ofSeconds(30), "two triages posted", () -> posted.stream().filter(b -> b.contains("Promptline triage")).count() == 2);
        for (String body : posted) {
            JsonNode json = JSON.readTree(body);
            assertThat(json.path("text").asText()).startsWith("Promptline triage: new dead-letter pattern C").contains("\nSeverity: critical\n",
                    "\nLikely root cause: Simulated answer to:", "\nSuggested action: simulated suggested_action", "\nExample: ");
            assertThat(json.path("blocks").get(0).path("text").path("type").asText()).isEqualTo("mrkdwn");
        }
        System.out.println("posted: " + JSON.readTree(posted.get(0)).path("text").asText());

        // And the same patterns failing again only count: no third triage
        try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(KAFKA.bootstrapServers())
                .schemaRegistryUrl(REGISTRY.url()).topics(topics).build()) {
            producer.submit(Prompt.builder("gamma").requestId("refused-3").priority(Priority.URGENT).model("gpt-4.1")
                    .user("[[sim:content_policy]] another 12345 customer message").build()).get(30, TimeUnit.SECONDS);
        }
        Await.until(Duration.ofSeconds(60), "the sixth dead letter counted", () -> count(
                "SELECT coalesce(sum(occurrences), 0) AS n FROM dead_letter_triage") == 6);
        assertThat(count("SELECT count(*) AS n FROM dead_letter_triage")).isEqualTo(2);
        assertThat(count("SELECT count(*) AS n FROM prompt_results WHERE tenant = 'promptline-triage'")).isEqualTo(2);
    }

    @Test
    void shouldRecordATriageThatFailedAndNeverTriageItsOwnDeadLetter() throws Exception {
        // Given a triage model without a price: the processor dead-letters its requests without a call
        Topics topics = start("no-such-model");

        // When a request fails
        try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(KAFKA.bootstrapServers())
                .schemaRegistryUrl(REGISTRY.url()).topics(topics).build()) {
            producer.submit(Prompt.builder("beta").requestId("refused").priority(Priority.NORMAL).model("gpt-4.1")
                    .user("[[sim:content_policy]] customer message").build()).get(30, TimeUnit.SECONDS);
        }

        // Then its pattern's row says the triage failed, and why
        Await.until(Duration.ofSeconds(90), "the triage closed", () -> count(
                "SELECT count(*) AS n FROM dead_letter_triage WHERE status <> 'pending'") == 1);
        Map<String, Object> row = rows("SELECT * FROM dead_letter_triage").get(0);
        assertThat(row.get("status")).isEqualTo("failed");
        assertThat((String) row.get("detail")).startsWith("the triage request was dead-lettered: ");
        assertThat(row.get("severity")).isNull();
        System.out.println("failed triage: " + row.get("detail"));

        // And the triage's own dead letter is not a pattern to triage (no loop), and the webhook is told
        Await.until(Duration.ofSeconds(30), "the failure posted", () -> posted.stream().anyMatch(b -> b.contains("No triage: the triage request")));
        Thread.sleep(3_000); // time for a loop to show, were there one
        assertThat(count("SELECT count(*) AS n FROM dead_letter_triage")).isEqualTo(1);
        assertThat(count("SELECT count(*) AS n FROM dead_letters WHERE tenant = 'promptline-triage'")).isEqualTo(1);
    }

    @Test
    void shouldMissAndDoubleNoDeadLetterThroughADatabaseOutage() throws Exception {
        // Given the sink's database away while five dead letters of two patterns arrive
        AtomicBoolean down = new AtomicBoolean();
        Topics topics = start("gpt-4.1-mini", down);
        down.set(true);
        failFiveWays(topics);
        Await.until(Duration.ofSeconds(90), "five dead letters on the DLQ", () -> TopicReader.readCommitted(KAFKA.bootstrapServers(),
                REGISTRY.url(), topics.dlq(), DeadLetter.class, 5, Duration.ofSeconds(1), Duration.ZERO).size() == 5);
        Thread.sleep(3_000); // the triage tries, fails and reads them again meanwhile

        // When it comes back
        down.set(false);

        // Then each pattern is triaged once and every dead letter counted once
        Await.until(Duration.ofSeconds(90), "both patterns triaged", () -> count(
                "SELECT count(*) AS n FROM dead_letter_triage WHERE status = 'triaged'") == 2);
        assertThat(rows("SELECT category, occurrences FROM dead_letter_triage ORDER BY category"))
                .extracting(r -> r.get("category"), r -> r.get("occurrences"))
                .containsExactly(org.assertj.core.groups.Tuple.tuple("CONTENT_POLICY", 2L), org.assertj.core.groups.Tuple.tuple("CONTEXT_LENGTH", 3L));
        assertThat(count("SELECT count(*) AS n FROM prompt_results WHERE tenant = 'promptline-triage'")).isEqualTo(2);
    }
}
