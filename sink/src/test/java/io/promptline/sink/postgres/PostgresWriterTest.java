package io.promptline.sink.postgres;

import io.promptline.requests.Messages;
import com.zaxxer.hikari.HikariDataSource;
import io.promptline.avro.CostEvent;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.avro.TokenUsage;
import io.promptline.avro.ToolCall;
import io.promptline.sink.SinkMain;
import io.promptline.testkit.EmbeddedPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The writer against real PostgreSQL: migrations, and writes that are idempotent under replay. */
class PostgresWriterTest {
    @RegisterExtension
    static final EmbeddedPostgres PG = new EmbeddedPostgres();
    private HikariDataSource db;
    private PostgresWriter writer;

    @BeforeEach
    void setUp() {
        db = SinkMain.dataSource(PG.newDatabase(), "postgres", "postgres");
        PostgresWriter.migrate(db);
        writer = new PostgresWriter(db);
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    private static SinkBatch batch(int n) {
        SinkBatch b = new SinkBatch();
        Instant t = Instant.parse("2026-11-22T10:00:00Z");
        for (int i = 0; i < n; i++) {
            TokenUsage u = TokenUsage.newBuilder().setPromptTokens(100 + i).setCompletionTokens(10).setCachedTokens(0).build();
            b.addResult("llm.results", 0, i, new byte[]{(byte) i}, PromptResult.newBuilder().setRequestId("r" + i).setTenant("acme").setPriority(Priority.NORMAL)
                    .setModel("gpt-4.1").setProvider("openai").setContent("answer \"" + i + "\"\n").setUsage(u).setAttempts(1)
                    .setQueueTimeMs(5).setCallLatencyMs(200).setCompletedAt(t).setMetadata(Map.of("run", "x\"y")).build());
            b.addCost("llm.costs", 0, i, new byte[]{(byte) i}, CostEvent.newBuilder().setEventId("r" + i + "/1").setRequestId("r" + i).setTenant("acme")
                    .setPriority(Priority.NORMAL).setProvider("openai").setModel("gpt-4.1").setPromptTokens(100 + i)
                    .setCachedTokens(0).setCompletionTokens(10).setCostMicros(1_000 + i).setCurrency("USD")
                    .setPriceVersion("v1").setTimestamp(t).build());
        }
        PromptRequest req = PromptRequest.newBuilder().setRequestId("bad").setTenant("acme").setPriority(Priority.NORMAL)
                .setMessages(List.of(Messages.text("user", "hi"))).setCreatedAt(t).build();
        b.addDeadLetter("llm.dlq", 0, 7, new byte[]{7}, DeadLetter.newBuilder().setRequestId("bad").setTenant("acme").setRequest(req)
                .setCategory(ErrorCategory.AUTHENTICATION).setHttpStatus(401).setMessage("HTTP 401").setAttempts(1)
                .setOriginTopic("llm.requests.normal").setOriginPartition(0).setOriginOffset(3).setFailedAt(t).build());
        b.addReject(new SinkBatch.Reject("llm.results", 1, 9, "Unknown magic byte", new byte[]{1, 2}));
        return b;
    }

    @Test
    void shouldLeaveTheSameRowsAndTotalsWhenTheSameRecordsArriveTwice() throws Exception {
        writer.write(batch(50));
        long[] first = {count("SELECT count(*) FROM prompt_results"), count("SELECT count(*) FROM cost_events"),
                count("SELECT sum(cost_micros) FROM cost_events"), count("SELECT count(*) FROM dead_letters"),
                count("SELECT count(*) FROM sink_rejects")};

        // When a crash before the offset commit replays the records (and more after them)
        writer.write(batch(50));
        writer.write(batch(60));

        assertThat(first).containsExactly(50, 50, 50 * 1_000 + 49 * 50 / 2, 1, 1);
        assertThat(count("SELECT count(*) FROM prompt_results")).isEqualTo(60);
        assertThat(count("SELECT sum(cost_micros) FROM cost_events")).isEqualTo(60 * 1_000 + 59 * 60 / 2);
        assertThat(count("SELECT count(*) FROM dead_letters")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM sink_rejects")).isEqualTo(1);
    }

    @Test
    void shouldStoreMetadataAsJsonAndTheDeadLettersRequest() throws Exception {
        writer.write(batch(1));
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT metadata->>'run', content FROM prompt_results WHERE request_id = 'r0'")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("x\"y");
            assertThat(rs.getString(2)).isEqualTo("answer \"0\"\n");
        }
        assertThat(count("SELECT count(*) FROM dead_letters WHERE category = 'AUTHENTICATION' AND http_status = 401 AND request_avro IS NOT NULL"))
                .isEqualTo(1);
    }

    @Test
    void shouldStoreAnAnswersToolCallsAndRefusal() throws Exception {
        SinkBatch b = new SinkBatch();
        TokenUsage u = TokenUsage.newBuilder().setPromptTokens(82).setCompletionTokens(17).setCachedTokens(0).build();
        b.addResult("llm.results", 0, 1, new byte[]{1}, PromptResult.newBuilder().setRequestId("tool-1").setTenant("acme")
                .setPriority(Priority.URGENT).setModel("gpt-4.1").setProvider("openai").setContent(null).setFinishReason("tool_calls")
                .setUsage(u).setAttempts(1).setQueueTimeMs(1).setCallLatencyMs(2).setCompletedAt(Instant.parse("2026-12-01T10:00:00Z"))
                .setToolCalls(List.of(new ToolCall("call_1", "lookup_order", "{\"id\": \"42\"}"))).setRefusal("not that").build());
        writer.write(b);
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT tool_calls->0->>'name', tool_calls->0->>'arguments', jsonb_array_length(tool_calls), refusal, "
                     + "content FROM prompt_results WHERE request_id = 'tool-1'")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("lookup_order");
            assertThat(rs.getString(2)).isEqualTo("{\"id\": \"42\"}");
            assertThat(rs.getInt(3)).isEqualTo(1);
            assertThat(rs.getString(4)).isEqualTo("not that");
            assertThat(rs.getString(5)).isNull();
        }
        assertThat(count("SELECT count(*) FROM prompt_results WHERE tool_calls = '[]'::jsonb")).as("none on the other rows").isZero();
    }

    @Test
    void shouldStoreHowEachCallIsBilledAndWhatIsAnEstimate() throws Exception {
        Instant t = Instant.parse("2026-11-22T10:00:00Z");
        SinkBatch b = new SinkBatch();
        TokenUsage u = TokenUsage.newBuilder().setPromptTokens(1_000).setCompletionTokens(100).setCachedTokens(0).setCacheWriteTokens(400)
                .build();
        b.addResult("llm.results", 0, 0, new byte[]{0}, PromptResult.newBuilder().setRequestId("b1").setTenant("acme")
                .setPriority(Priority.BATCH).setModel("gpt-4.1").setProvider("openai").setContent("ok").setUsage(u).setAttempts(2)
                .setQueueTimeMs(5).setCallLatencyMs(200).setCompletedAt(t).setCallsUnconfirmed(1)
                .setBillingMode(io.promptline.avro.BillingMode.BATCH_API).setBatchId("batch_abc").build());
        java.util.function.Supplier<CostEvent.Builder> cost = () -> CostEvent.newBuilder().setRequestId("b1").setTenant("acme").setPriority(Priority.BATCH).setProvider("openai")
                .setModel("gpt-4.1").setPromptTokens(1_000).setCachedTokens(0).setCompletionTokens(100).setCurrency("USD")
                .setPriceVersion("v2").setTimestamp(t);
        b.addCost("llm.costs", 0, 0, new byte[]{0}, cost.get().setEventId("b1/2").setCostMicros(1_800)
                .setCacheWriteTokens(400).setBillingMode(io.promptline.avro.BillingMode.BATCH_API).setBatchId("batch_abc")
                .setPriceEffectiveFrom(Instant.parse("2026-11-01T00:00:00Z")).build());
        b.addCost("llm.costs", 0, 1, new byte[]{1}, cost.get().setEventId("b1/1").setCostMicros(2_900)
                .setUsageEstimated(true).setUnconfirmed(true).build());
        b.addCost("llm.costs", 0, 2, new byte[]{2}, cost.get().setEventId("x/1").setRequestId("x")
                .setModel("llama-local").setCostMicros(0).setCurrency("XXX").setUnpriced(true).build());
        writer.write(b);

        assertThat(count("SELECT count(*) FROM prompt_results WHERE billing_mode = 'BATCH_API' AND batch_id = 'batch_abc'"
                + " AND calls_unconfirmed = 1 AND cache_write_tokens = 400")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM cost_events WHERE billing_mode = 'BATCH_API' AND cache_write_tokens = 400"
                + " AND price_effective_from = '2026-11-01T00:00:00Z' AND batch_id = 'batch_abc' AND NOT unconfirmed")).isEqualTo(1);
        assertThat(count("SELECT sum(cost_micros) FROM cost_events WHERE unconfirmed AND usage_estimated AND billing_mode = 'SYNC'"))
                .isEqualTo(2_900);
        assertThat(count("SELECT count(*) FROM cost_events WHERE unpriced AND currency = 'XXX' AND cost_micros = 0")).isEqualTo(1);
    }

    private long count(String sql) throws Exception {
        try (Connection c = db.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void shouldKeepARecordTheDatabaseRefusesInRejectsAndWriteTheRest() throws Exception {
        // Given a batch in which one answer contains a NUL character, which PostgreSQL text cannot hold
        SinkBatch b = batch(10);
        SinkBatch.Located<PromptResult> bad = b.results.get(3);
        bad.value().setContent("broken \u0000 answer");

        // When it is written, the good records land and the bad one is kept with its bytes and the reason
        writer.writeOrReject(b);

        assertThat(count("SELECT count(*) FROM prompt_results")).isEqualTo(9);
        assertThat(count("SELECT count(*) FROM cost_events")).isEqualTo(10);
        assertThat(count("SELECT count(*) FROM sink_rejects WHERE topic = 'llm.results' AND \"offset\" = 3 "
                + "AND raw_value = '\\x03'::bytea AND reason LIKE 'PostgreSQL refused the record:%'")).isEqualTo(1);
    }

    @Test
    void shouldKeepTheLatestHourlyRollupAndNeverLetAReplayLowerIt() throws Exception {
        Instant hour = Instant.parse("2026-11-22T10:00:00Z");
        java.util.function.BiFunction<Long, Long, io.promptline.avro.CostRollup> rollup = (calls, micros) ->
                io.promptline.avro.CostRollup.newBuilder().setTenant("acme").setModel("gpt-4.1").setCurrency("USD").setWindowStart(hour)
                        .setWindowEnd(hour.plusSeconds(3600)).setCalls(calls).setPromptTokens(calls * 100).setCachedTokens(0)
                        .setCompletionTokens(calls * 10).setReasoningTokens(0).setCostMicros(micros).setUpdatedAt(hour.plusSeconds(calls)).build();
        SinkBatch first = new SinkBatch();
        first.addRollup("llm.costs.hourly", 0, 0, new byte[0], rollup.apply(1L, 1_000L));
        first.addRollup("llm.costs.hourly", 0, 1, new byte[0], rollup.apply(3L, 3_500L));
        writer.write(first);
        // A replay of the older total (as after a sink crash before its offsets were committed)
        SinkBatch replay = new SinkBatch();
        replay.addRollup("llm.costs.hourly", 0, 0, new byte[0], rollup.apply(1L, 1_000L));
        writer.write(replay);

        try (Connection c = db.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*), sum(calls), sum(cost_micros), sum(prompt_tokens) FROM cost_rollups_hourly")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(1);
            assertThat(rs.getLong(2)).isEqualTo(3);
            assertThat(rs.getLong(3)).isEqualTo(3_500);
            assertThat(rs.getLong(4)).isEqualTo(300);
        }
    }
}
