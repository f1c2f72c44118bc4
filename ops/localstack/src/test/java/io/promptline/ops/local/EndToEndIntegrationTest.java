package io.promptline.ops.local;

import com.zaxxer.hikari.HikariDataSource;
import io.promptline.avro.CostEvent;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptResult;
import io.promptline.ops.simulator.RecordedCall;
import io.promptline.metrics.PrometheusText;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.ProcessorApp;
import io.promptline.processor.config.ProcessorConfig;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.sink.SinkMain;
import io.promptline.sink.config.SinkConfig;
import io.promptline.sink.postgres.PostgresSink;
import io.promptline.testkit.Await;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.EmbeddedPostgres;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import io.promptline.testkit.TopicReader;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The first end-to-end path on real parts: producer library → llm.requests.normal on an
 * embedded KRaft broker → processor (Kafka Streams, exactly_once_v2, Vert.x calls to the
 * simulator over HTTP) → llm.results / llm.costs → sink → PostgreSQL.
 */
class EndToEndIntegrationTest {
    private static final int REQUESTS = 1_000;
    /** Independent of the price table: micro-USD per million tokens (input, cached input, output). */
    private static final Map<String, long[]> PRICES = Map.of(
            "gpt-4.1", new long[]{2_000_000, 500_000, 8_000_000},
            "claude-sonnet-4.5", new long[]{3_000_000, 300_000, 15_000_000},
            "gemini-2.5-flash", new long[]{300_000, 75_000, 2_500_000},
            "deepseek-v3.2", new long[]{70_000, 7_000, 420_000});

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("uniform:20-120")
            .cachedMinPromptTokens(200).cachedFraction(0.75).build());
    @RegisterExtension
    static final EmbeddedPostgres PG = new EmbeddedPostgres();

    @TempDir
    Path stateDir;

    @Test
    void shouldTurnEveryRequestIntoOneResultOneCostEventAndOneRowWithExactCost() throws Exception {
        Topics topics = KAFKA.newTopics(3);
        HikariDataSource db = SinkMain.dataSource(PG.newDatabase(), "postgres", "postgres");
        try (ProcessorApp processor = new ProcessorApp(new ProcessorConfig(processorConfig(topics)), Clock.systemUTC());
             PostgresSink sink = SinkMain.create(new SinkConfig(Map.of(
                     SinkConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                     SinkConfig.SCHEMA_REGISTRY_URL_CONFIG, REGISTRY.url(),
                     SinkConfig.TOPICS_BASE_CONFIG, topics.base(),
                     SinkConfig.GROUP_ID_CONFIG, "sink-" + topics.base(),
                     SinkConfig.JDBC_URL_CONFIG, "unused")), db)) {
            processor.start();
            Thread sinkThread = new Thread(sink, "sink");
            sinkThread.start();

            // Given 1,000 requests across models and routes, and one record that is not Avro at all
            Set<String> sent = publish(topics);
            try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
                    new StringSerializer(), new ByteArraySerializer())) {
                raw.send(new ProducerRecord<>(topics.requests(Priority.NORMAL), "acme", "not avro".getBytes())).get();
            }

            // Then every request yields exactly one result and one cost event (read_committed)
            List<PromptResult> results = readCommitted(topics.results(), PromptResult.class, REQUESTS);
            List<CostEvent> costs = readCommitted(topics.costs(), CostEvent.class, REQUESTS);
            List<DeadLetter> dead = readCommitted(topics.dlq(), DeadLetter.class, 1);
            assertThat(results).extracting(PromptResult::getRequestId).doesNotHaveDuplicates().hasSameElementsAs(sent);
            assertThat(costs).extracting(CostEvent::getRequestId).doesNotHaveDuplicates().hasSameElementsAs(sent);
            assertThat(dead).singleElement().satisfies(d -> {
                assertThat(d.getCategory()).isEqualTo(ErrorCategory.MALFORMED_INPUT);
                assertThat(new String(d.getRawValue().array())).isEqualTo("not avro");
            });

            // And the simulator served each request exactly once
            var stats = SIM.simulator().stats();
            assertThat(stats.succeeded()).isEqualTo(REQUESTS);
            assertThat(stats.duplicateSuccessfulCalls()).isZero();
            assertThat(stats.totalUsage().cachedTokens()).as("some prompts hit the provider's cache").isPositive();

            // And the cost is the price table times the simulator's usage, to the micro-unit
            long expected = expectedCostMicros(SIM.simulator().recordedCalls());
            assertThat(costs.stream().mapToLong(CostEvent::getCostMicros).sum()).isEqualTo(expected);

            // And the processor's Prometheus endpoint tells the same story
            PrometheusText metrics = PrometheusText.scrape("http://127.0.0.1:" + processor.metricsPort() + "/metrics");
            assertThat(metrics.sum("promptline_results_total")).isEqualTo(REQUESTS);
            assertThat(metrics.sum("promptline_calls_total", Map.of("outcome", "ok"))).isEqualTo(REQUESTS);
            assertThat(metrics.sum("promptline_spend_micros_total")).isEqualTo((double) expected);
            assertThat(metrics.sum("promptline_dead_letters_total", Map.of("category", "MALFORMED_INPUT"))).isEqualTo(1.0);
            assertThat(metrics.sum("promptline_calls_in_flight")).isZero();

            // And every metric the dashboard and the alert rules use is one the deployables serve (those that
            // appear only once their event happens, a 429, a retry, a rejected row, are checked by name)
            java.util.Set<String> served = new java.util.HashSet<>();
            for (var sample : PrometheusText.parse(PrometheusText.scrapeText("http://127.0.0.1:" + processor.metricsPort() + "/metrics")
                    + sink.meters().scrape()).samples()) {
                served.add(sample.name());
            }
            java.util.Set<String> onEvent = java.util.Set.of("promptline_rate_limited_total", "promptline_retries_total", "promptline_sink_rejects_total",
                    "promptline_unpriced_calls_total", "promptline_unconfirmed_calls_total");
            for (String m : DeploymentFilesTest.referencedMetrics()) {
                if (onEvent.contains(m)) continue;
                assertThat(served).as("metric " + m + " used by ops/grafana or ops/prometheus").anyMatch(n -> n.equals(m) || n.startsWith(m + "_"));
            }

            // And PostgreSQL holds one row per result and cost event with the same total
            Await.until(Duration.ofSeconds(60), "1,000 result rows and 1,000 cost rows",
                    () -> count(db, "SELECT count(*) FROM prompt_results") == REQUESTS
                            && count(db, "SELECT count(*) FROM cost_events") == REQUESTS
                            && count(db, "SELECT count(*) FROM dead_letters") == 1,
                    () -> count(db, "SELECT count(*) FROM prompt_results") + " results, "
                            + count(db, "SELECT count(*) FROM cost_events") + " costs");
            assertThat(count(db, "SELECT sum(cost_micros) FROM cost_events")).isEqualTo(expected);
            assertThat(count(db, "SELECT count(DISTINCT request_id) FROM cost_events")).isEqualTo(REQUESTS);
            assertThat(count(db, "SELECT count(*) FROM dead_letters WHERE category = 'MALFORMED_INPUT' AND raw_value IS NOT NULL")).isEqualTo(1);
            sink.close();
            sinkThread.join(10_000);
        } finally {
            db.close();
        }
    }

    /**
     * A tool-call round trip through the pipeline, as an application makes it with the library: a
     * request offering a tool (with an image) is answered by a call of it; the application runs
     * the tool and sends the result back in the history; the model answers from it. Both results
     * reach PostgreSQL, the first with its tool call.
     */
    @Test
    void shouldMakeAToolCallRoundTripThroughThePipeline() throws Exception {
        Topics topics = KAFKA.newTopics(1);
        HikariDataSource db = SinkMain.dataSource(PG.newDatabase(), "postgres", "postgres");
        try (ProcessorApp processor = new ProcessorApp(new ProcessorConfig(processorConfig(topics)), Clock.systemUTC());
             PostgresSink sink = SinkMain.create(new SinkConfig(Map.of(
                     SinkConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                     SinkConfig.SCHEMA_REGISTRY_URL_CONFIG, REGISTRY.url(),
                     SinkConfig.TOPICS_BASE_CONFIG, topics.base(),
                     SinkConfig.GROUP_ID_CONFIG, "sink-" + topics.base(),
                     SinkConfig.JDBC_URL_CONFIG, "unused")), db);
             io.promptline.producer.PromptlineProducer app = io.promptline.producer.PromptlineProducer.builder()
                     .bootstrapServers(KAFKA.bootstrapServers()).schemaRegistryUrl(REGISTRY.url()).topics(topics).build()) {
            processor.start();
            Thread sinkThread = new Thread(sink, "sink");
            sinkThread.start();
            String schema = "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\"}},\"required\":[\"query\"]}";

            var asked = app.submitAndAwait(io.promptline.producer.Prompt.builder("acme").requestId(topics.base() + "-ask").priority(Priority.URGENT)
                    .model("gpt-4.1").userWithImage("Where is the order in this photo?", "data:image/png;base64,iVBORw0KGgo=")
                    .tool("lookup_order", "Finds an order", schema).toolChoice("required").build(), java.time.Duration.ofSeconds(60))
                    .get(90, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(asked).as(asked.toString()).isInstanceOf(io.promptline.producer.Outcome.Answered.class);
            PromptResult call = ((io.promptline.producer.Outcome.Answered) asked).result();
            assertThat(call.getFinishReason()).isEqualTo("tool_calls");
            assertThat(call.getToolCalls()).singleElement().satisfies(t -> assertThat(t.getName()).isEqualTo("lookup_order"));

            var answered = app.submitAndAwait(io.promptline.producer.Prompt.builder("acme").requestId(topics.base() + "-answer")
                    .priority(Priority.URGENT).model("gpt-4.1").userWithImage("Where is the order in this photo?", "data:image/png;base64,iVBORw0KGgo=")
                    .tool("lookup_order", "Finds an order", schema)
                    .toolResults(call, Map.of(call.getToolCalls().get(0).getId(), "Order 42 shipped on Monday")).build(),
                    java.time.Duration.ofSeconds(60)).get(90, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(answered).as(answered.toString()).isInstanceOf(io.promptline.producer.Outcome.Answered.class);
            PromptResult result = ((io.promptline.producer.Outcome.Answered) answered).result();
            assertThat(result.getContent()).isEqualTo("Simulated answer to: Order 42 shipped on Monday");
            assertThat(result.getToolCalls()).isEmpty();

            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
            while (count(db, "SELECT count(*) FROM prompt_results") < 2 && System.nanoTime() < deadline) Thread.sleep(200);
            assertThat(count(db, "SELECT count(*) FROM prompt_results WHERE tool_calls->0->>'name' = 'lookup_order' AND finish_reason = 'tool_calls'"))
                    .isEqualTo(1);
            assertThat(count(db, "SELECT count(*) FROM prompt_results WHERE content = 'Simulated answer to: Order 42 shipped on Monday'")).isEqualTo(1);
            sink.close();
            sinkThread.join(30_000);
        } finally {
            db.close();
        }
    }

    private Map<String, Object> processorConfig(Topics topics) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProcessorConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProcessorConfig.SCHEMA_REGISTRY_URL_CONFIG, REGISTRY.url());
        p.put(ProcessorConfig.TOPICS_BASE_CONFIG, topics.base());
        p.put(ProcessorConfig.APPLICATION_ID_CONFIG, "e2e-" + topics.base());
        p.put(ProcessorConfig.LLM_BASE_URL_CONFIG, SIM.baseUrl());
        p.put(ProcessorConfig.LLM_PROVIDER_CONFIG, "openai");
        p.put(ProcessorConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(ProcessorConfig.METRICS_PORT_CONFIG, 0);
        p.put(ProcessorConfig.MAX_IN_FLIGHT_CONFIG, 256);
        return p;
    }

    private Set<String> publish(Topics topics) throws Exception {
        Set<String> ids = new HashSet<>();
        String longSystem = "Answer as the finance team's analyst would. ".repeat(80);
        try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(KAFKA.bootstrapServers())
                .schemaRegistryUrl(REGISTRY.url()).topics(topics).build()) {
            List<CompletableFuture<String>> sent = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                Prompt.Builder b = Prompt.builder("tenant-" + (i % 7)).requestId("e2e-" + i).priority(Priority.NORMAL).maxTokens(300);
                switch (i % 5) {
                    case 0 -> b.model("gpt-4.1");
                    case 1 -> b.model("claude-sonnet-4.5");
                    case 2 -> b.taskType("quick");
                    case 3 -> b.taskType("code");
                    default -> b.model("gpt-4.1").system(longSystem);
                }
                sent.add(producer.submit(b.user("Question number " + i + ": what is " + i + " squared?").build()));
            }
            for (CompletableFuture<String> f : sent) ids.add(f.get(60, TimeUnit.SECONDS));
        }
        return ids;
    }

    private <T extends org.apache.avro.specific.SpecificRecord> List<T> readCommitted(String topic, Class<T> type, int expected) {
        return TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topic, type, expected,
                Duration.ofSeconds(120), Duration.ofSeconds(2));
    }

    private static long expectedCostMicros(List<RecordedCall> calls) {
        Function<RecordedCall, Long> cost = c -> {
            long[] p = PRICES.get(c.model());
            long scaled = (c.promptTokens() - c.cachedTokens()) * p[0] + c.cachedTokens() * p[1] + (long) c.completionTokens() * p[2];
            return (scaled + 500_000) / 1_000_000;
        };
        assertThat(calls).hasSize(REQUESTS);
        return calls.stream().mapToLong(cost::apply).sum();
    }

    private static long count(HikariDataSource db, String sql) {
        try (Connection c = db.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (Exception e) {
            throw new AssertionError(sql + ": " + e.getMessage(), e);
        }
    }
}
