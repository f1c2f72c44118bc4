package io.promptline.sink.triage;

import io.promptline.avro.DeadLetter;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code dead_letter_triage} table: a row per pattern, and the answers of its triage requests,
 * found by joining the PostgreSQL sink's own rows of the request ({@code prompt_results}, or
 * {@code dead_letters} when the triage itself failed).
 */
final class TriageStore {
    /** A pattern whose triage request has ended: its answer, or the dead letter that ended it. */
    record Ended(String pattern, String category, Integer httpStatus, String example, long occurrences, String requestId, String content,
                 String model, String failure) {
    }

    private final DataSource db;

    TriageStore(DataSource db) {
        this.db = db;
    }

    boolean known(String pattern) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement("SELECT 1 FROM dead_letter_triage WHERE pattern = ?")) {
            s.setString(1, pattern);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    /** Counts one dead letter of the pattern, the first one creating its row (pending its triage). */
    void count(DeadLetterPattern p, DeadLetter d, String requestId, Instant now) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement("""
                INSERT INTO dead_letter_triage (pattern, category, http_status, message_pattern, example, example_request_id, occurrences,
                    first_seen, last_seen, triage_request_id, status)
                VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, 'pending')
                ON CONFLICT (pattern) DO UPDATE SET occurrences = dead_letter_triage.occurrences + 1, last_seen = EXCLUDED.last_seen""")) {
            s.setString(1, p.id());
            s.setString(2, p.category());
            if (p.httpStatus() == null) s.setNull(3, Types.INTEGER);
            else s.setInt(3, p.httpStatus());
            s.setString(4, p.shape());
            s.setString(5, d.getMessage() == null ? "" : d.getMessage());
            s.setString(6, d.getRequestId());
            s.setTimestamp(7, Timestamp.from(now));
            s.setTimestamp(8, Timestamp.from(now));
            s.setString(9, requestId);
            s.executeUpdate();
        }
    }

    /** Pending patterns whose triage request has a result or a dead letter in the sink's tables. */
    List<Ended> ended() throws SQLException {
        List<Ended> out = new ArrayList<>();
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement("""
                SELECT t.pattern, t.category, t.http_status, t.example, t.occurrences, t.triage_request_id, r.content, r.model,
                       (SELECT d.category || ': ' || d.message FROM dead_letters d WHERE d.request_id = t.triage_request_id
                        ORDER BY d.failed_at DESC LIMIT 1) AS failure
                FROM dead_letter_triage t LEFT JOIN prompt_results r ON r.request_id = t.triage_request_id
                WHERE t.status = 'pending'""");
             ResultSet r = s.executeQuery()) {
            while (r.next()) {
                String content = r.getString("content");
                String failure = r.getString("failure");
                boolean answered = r.getString("model") != null;
                if (!answered && failure == null) continue;
                int status = r.getInt("http_status");
                Integer httpStatus = r.wasNull() ? null : status;
                out.add(new Ended(r.getString("pattern"), r.getString("category"), httpStatus, r.getString("example"),
                        r.getLong("occurrences"), r.getString("triage_request_id"), content, r.getString("model"), answered ? null : failure));
            }
        }
        return out;
    }

    /** Records the outcome of a pending pattern's triage: {@code answer} when readable, else {@code detail} says why not. */
    void close(Ended e, String status, TriageAnswer answer, String detail, Instant now) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement("""
                UPDATE dead_letter_triage SET status = ?, severity = ?, root_cause = ?, suggested_action = ?, triage_model = ?, detail = ?,
                    triaged_at = ? WHERE pattern = ? AND status = 'pending'""")) {
            s.setString(1, status);
            s.setString(2, answer == null ? null : answer.severity());
            s.setString(3, answer == null ? null : answer.rootCause());
            s.setString(4, answer == null ? null : answer.suggestedAction());
            s.setString(5, e.model());
            s.setString(6, detail);
            s.setTimestamp(7, Timestamp.from(now));
            s.setString(8, e.pattern());
            s.executeUpdate();
        }
    }
}
