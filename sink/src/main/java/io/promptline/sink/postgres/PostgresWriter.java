package io.promptline.sink.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptline.avro.CostEvent;
import io.promptline.avro.CostRollup;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.PromptResult;
import io.promptline.avro.PromptRequest;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.flywaydb.core.Flyway;

import javax.sql.DataSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.Map;

/**
 * Writes sink batches to PostgreSQL idempotently: results upsert on request_id, cost events on
 * event_id, dead letters on their DLQ coordinates. A batch is one transaction, so a crash before
 * the offsets are committed replays records that then change nothing.
 */
public final class PostgresWriter {
    private static final String INSERT_RESULT = """
            INSERT INTO prompt_results (request_id, tenant, priority, requested_model, model, provider, content, finish_reason,
              prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, attempts, queue_time_ms, call_latency_ms,
              completed_at, fallback_reason, metadata, cache_write_tokens, usage_estimated, calls_unconfirmed, billing_mode, batch_id,
              tool_calls, refusal)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?::jsonb,?,?,?,?,?,?::jsonb,?) ON CONFLICT (request_id) DO NOTHING""";
    private static final String INSERT_COST = """
            INSERT INTO cost_events (event_id, request_id, tenant, priority, provider, model, prompt_tokens, cached_tokens,
              completion_tokens, reasoning_tokens, cost_micros, currency, price_version, occurred_at, cache_write_tokens, billing_mode,
              usage_estimated, unpriced, unconfirmed, price_effective_from, batch_id)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (event_id) DO NOTHING""";
    private static final String INSERT_DLQ = """
            INSERT INTO dead_letters (dlq_topic, dlq_partition, dlq_offset, request_id, tenant, category, http_status, message,
              attempts, first_attempt_at, last_attempt_at, origin_topic, origin_partition, origin_offset, failed_at,
              request_avro, raw_value)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING""";
    private static final String UPSERT_ROLLUP = """
            INSERT INTO cost_rollups_hourly (tenant, model, currency, window_start, window_end, calls, prompt_tokens, cached_tokens,
              completion_tokens, reasoning_tokens, cost_micros, updated_at, cache_write_tokens, unpriced_calls, estimated_cost_micros)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            ON CONFLICT (tenant, model, currency, window_start) DO UPDATE SET window_end = EXCLUDED.window_end,
              calls = EXCLUDED.calls, prompt_tokens = EXCLUDED.prompt_tokens, cached_tokens = EXCLUDED.cached_tokens,
              completion_tokens = EXCLUDED.completion_tokens, reasoning_tokens = EXCLUDED.reasoning_tokens,
              cost_micros = EXCLUDED.cost_micros, updated_at = EXCLUDED.updated_at, cache_write_tokens = EXCLUDED.cache_write_tokens,
              unpriced_calls = EXCLUDED.unpriced_calls, estimated_cost_micros = EXCLUDED.estimated_cost_micros
            WHERE cost_rollups_hourly.calls <= EXCLUDED.calls""";
    private static final String INSERT_REJECT = """
            INSERT INTO sink_rejects (topic, partition, "offset", reason, raw_value) VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING""";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final DataSource dataSource;

    public PostgresWriter(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Applies the versioned migrations under db/migration. */
    public static void migrate(DataSource dataSource) {
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
    }

    /**
     * Writes the batch; if the database refuses some of its data (SQLSTATE class 22 or 23, e.g. a
     * NUL character in a text), writes the records one by one and keeps each refused one in
     * sink_rejects with the reason, so one bad record never stalls the sink.
     */
    public void writeOrReject(SinkBatch batch) throws SQLException {
        try {
            write(batch);
            return;
        } catch (SQLException e) {
            if (!isDataError(e)) throw e;
        }
        for (SinkBatch.Single one : batch.singles()) {
            try {
                write(one.batch());
            } catch (SQLException e) {
                if (!isDataError(e) || one.source() == null) throw e;
                SinkBatch reject = new SinkBatch();
                reject.addReject(one.source().reject("PostgreSQL refused the record: " + describe(e)));
                write(reject);
            }
        }
    }

    /** The server's own message (not the echoed statement, which may hold the very bytes it refused). */
    private static String describe(SQLException e) {
        SQLException root = e.getNextException() != null ? e.getNextException() : e;
        String msg = String.valueOf(root.getMessage()).replace('\u0000', '?');
        return msg.length() > 500 ? msg.substring(0, 500) + "..." : msg;
    }

    static boolean isDataError(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }

    public void write(SinkBatch batch) throws SQLException {
        if (batch.size() == 0) return;
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                writeResults(c, batch);
                writeCosts(c, batch);
                writeDeadLetters(c, batch);
                writeRollups(c, batch);
                writeRejects(c, batch);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private static void writeResults(Connection c, SinkBatch batch) throws SQLException {
        if (batch.results.isEmpty()) return;
        try (PreparedStatement ps = c.prepareStatement(INSERT_RESULT)) {
            for (SinkBatch.Located<PromptResult> l : batch.results) {
                PromptResult r = l.value();
                int i = 1;
                ps.setString(i++, r.getRequestId());
                ps.setString(i++, r.getTenant());
                ps.setString(i++, r.getPriority().name());
                ps.setString(i++, r.getRequestedModel());
                ps.setString(i++, r.getModel());
                ps.setString(i++, r.getProvider());
                ps.setString(i++, r.getContent());
                ps.setString(i++, r.getFinishReason());
                ps.setLong(i++, r.getUsage().getPromptTokens());
                ps.setLong(i++, r.getUsage().getCompletionTokens());
                ps.setLong(i++, r.getUsage().getCachedTokens());
                ps.setLong(i++, r.getUsage().getReasoningTokens());
                ps.setInt(i++, r.getAttempts());
                ps.setLong(i++, r.getQueueTimeMs());
                ps.setLong(i++, r.getCallLatencyMs());
                ps.setTimestamp(i++, ts(r.getCompletedAt()));
                ps.setString(i++, r.getFallbackReason());
                ps.setString(i++, json(r.getMetadata()));
                ps.setLong(i++, r.getUsage().getCacheWriteTokens());
                ps.setBoolean(i++, r.getUsage().getEstimated());
                ps.setInt(i++, r.getCallsUnconfirmed());
                ps.setString(i++, r.getBillingMode().name());
                ps.setString(i++, r.getBatchId());
                ps.setString(i++, toolCalls(r.getToolCalls()));
                ps.setString(i, r.getRefusal());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void writeCosts(Connection c, SinkBatch batch) throws SQLException {
        if (batch.costs.isEmpty()) return;
        try (PreparedStatement ps = c.prepareStatement(INSERT_COST)) {
            for (SinkBatch.Located<CostEvent> l : batch.costs) {
                CostEvent e = l.value();
                int i = 1;
                ps.setString(i++, e.getEventId());
                ps.setString(i++, e.getRequestId());
                ps.setString(i++, e.getTenant());
                ps.setString(i++, e.getPriority().name());
                ps.setString(i++, e.getProvider());
                ps.setString(i++, e.getModel());
                ps.setLong(i++, e.getPromptTokens());
                ps.setLong(i++, e.getCachedTokens());
                ps.setLong(i++, e.getCompletionTokens());
                ps.setLong(i++, e.getReasoningTokens());
                ps.setLong(i++, e.getCostMicros());
                ps.setString(i++, e.getCurrency());
                ps.setString(i++, e.getPriceVersion());
                ps.setTimestamp(i++, ts(e.getTimestamp()));
                ps.setLong(i++, e.getCacheWriteTokens());
                ps.setString(i++, e.getBillingMode().name());
                ps.setBoolean(i++, e.getUsageEstimated());
                ps.setBoolean(i++, e.getUnpriced());
                ps.setBoolean(i++, e.getUnconfirmed());
                ps.setTimestamp(i++, ts(e.getPriceEffectiveFrom()));
                ps.setString(i, e.getBatchId());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void writeDeadLetters(Connection c, SinkBatch batch) throws SQLException {
        if (batch.deadLetters.isEmpty()) return;
        try (PreparedStatement ps = c.prepareStatement(INSERT_DLQ)) {
            for (SinkBatch.Located<DeadLetter> l : batch.deadLetters) {
                DeadLetter d = l.value();
                int i = 1;
                ps.setString(i++, l.topic());
                ps.setInt(i++, l.partition());
                ps.setLong(i++, l.offset());
                ps.setString(i++, d.getRequestId());
                ps.setString(i++, d.getTenant());
                ps.setString(i++, d.getCategory().name());
                if (d.getHttpStatus() == null) ps.setNull(i++, Types.INTEGER); else ps.setInt(i++, d.getHttpStatus());
                ps.setString(i++, d.getMessage());
                ps.setInt(i++, d.getAttempts());
                ps.setTimestamp(i++, ts(d.getFirstAttemptAt()));
                ps.setTimestamp(i++, ts(d.getLastAttemptAt()));
                ps.setString(i++, d.getOriginTopic());
                ps.setInt(i++, d.getOriginPartition());
                ps.setLong(i++, d.getOriginOffset());
                ps.setTimestamp(i++, ts(d.getFailedAt()));
                ps.setBytes(i++, d.getRequest() == null ? null : avro(d.getRequest()));
                ps.setBytes(i, bytes(d.getRawValue()));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Latest total wins; a replayed older total (fewer calls) changes nothing. */
    private static void writeRollups(Connection c, SinkBatch batch) throws SQLException {
        if (batch.rollups.isEmpty()) return;
        try (PreparedStatement ps = c.prepareStatement(UPSERT_ROLLUP)) {
            for (SinkBatch.Located<CostRollup> l : batch.rollups) {
                CostRollup r = l.value();
                int i = 1;
                ps.setString(i++, r.getTenant());
                ps.setString(i++, r.getModel());
                ps.setString(i++, r.getCurrency());
                ps.setTimestamp(i++, ts(r.getWindowStart()));
                ps.setTimestamp(i++, ts(r.getWindowEnd()));
                ps.setLong(i++, r.getCalls());
                ps.setLong(i++, r.getPromptTokens());
                ps.setLong(i++, r.getCachedTokens());
                ps.setLong(i++, r.getCompletionTokens());
                ps.setLong(i++, r.getReasoningTokens());
                ps.setLong(i++, r.getCostMicros());
                ps.setTimestamp(i++, ts(r.getUpdatedAt()));
                ps.setLong(i++, r.getCacheWriteTokens());
                ps.setLong(i++, r.getUnpricedCalls());
                ps.setLong(i, r.getEstimatedCostMicros());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void writeRejects(Connection c, SinkBatch batch) throws SQLException {
        if (batch.rejects.isEmpty()) return;
        try (PreparedStatement ps = c.prepareStatement(INSERT_REJECT)) {
            for (SinkBatch.Reject r : batch.rejects) {
                ps.setString(1, r.topic());
                ps.setInt(2, r.partition());
                ps.setLong(3, r.offset());
                ps.setString(4, r.reason());
                ps.setBytes(5, r.raw());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static Timestamp ts(Instant i) {
        return i == null ? null : Timestamp.from(i);
    }

    private static byte[] bytes(ByteBuffer b) {
        if (b == null) return null;
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    /** The request as plain Avro binary (schema PromptRequest of this build), for redrive tooling. */
    private static byte[] avro(PromptRequest r) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
            new SpecificDatumWriter<>(PromptRequest.class).write(r, enc);
            enc.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A result's tool calls as [{"id","name","arguments"}], the arguments kept as the model wrote them (JSON text). */
    private static String toolCalls(java.util.List<io.promptline.avro.ToolCall> calls) {
        var array = JSON.createArrayNode();
        for (var c : calls) array.addObject().put("id", c.getId()).put("name", c.getName()).put("arguments", c.getArguments());
        return array.toString();
    }

    private static String json(Map<String, String> m) {
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("metadata is not serialisable as JSON: " + e.getMessage(), e);
        }
    }
}
