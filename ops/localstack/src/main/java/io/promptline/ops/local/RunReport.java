package io.promptline.ops.local;

import io.promptline.ops.simulator.SimulatorStats;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.function.LongSupplier;

/** Reads the outcome of one run from PostgreSQL: progress while waiting, then the summary. */
final class RunReport {
    private final DataSource db;
    private final String like;

    RunReport(DataSource db, String runId) {
        this.db = db;
        this.like = runId + "-%";
    }

    boolean awaitAll(int expected, Duration timeout, Console out, LongSupplier llmInFlight) throws Exception {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        long lastPrint = 0;
        while (true) {
            long results = count("SELECT count(*) FROM prompt_results WHERE request_id LIKE ?");
            long dead = count("SELECT count(DISTINCT request_id) FROM dead_letters WHERE request_id LIKE ?");
            boolean done = results + dead >= expected;
            long now = System.nanoTime();
            if (done || now - lastPrint > 2_000_000_000L) {
                out.line(String.format("  %5.1f s  results %d/%d, dead letters %d%s", (now - t0) / 1e9, results, expected, dead,
                        llmInFlight == null ? "" : ", LLM calls in flight " + llmInFlight.getAsLong()));
                lastPrint = now;
            }
            if (done) return true;
            if (now > deadline) {
                out.line("Timed out after " + timeout.toSeconds() + " s with " + (expected - results - dead) + " requests unaccounted for");
                return false;
            }
            Thread.sleep(250);
        }
    }

    void printSummary(Console out, SimulatorStats sim) throws SQLException {
        out.line("");
        out.line("Results by tier:");
        table(out, "SELECT priority, count(*), round(avg(call_latency_ms)), max(queue_time_ms) FROM prompt_results WHERE request_id LIKE ? GROUP BY priority ORDER BY priority",
                "  %-8s %6s results   avg call %6s ms   max queue %6s ms");
        out.line("Dead letters by category:");
        table(out, "SELECT category, count(*), min(message) FROM dead_letters WHERE request_id LIKE ? GROUP BY category ORDER BY category",
                "  %-18s %4s   e.g. %s");
        out.line("Cost by tenant and model:");
        table(out, "SELECT tenant, model, currency, count(*), sum(prompt_tokens), sum(cached_tokens), sum(completion_tokens), "
                        + "to_char(sum(cost_micros) / 1e6, 'FM999990.000000') FROM cost_events WHERE request_id LIKE ? "
                        + "GROUP BY tenant, model, currency ORDER BY tenant, model",
                "  %-8s %-18s %s %4s calls  in %7s (cached %6s)  out %6s tokens  %12s");
        out.line("Total cost:");
        table(out, "SELECT currency, sum(cost_micros), to_char(sum(cost_micros) / 1e6, 'FM999990.000000') FROM cost_events WHERE request_id LIKE ? GROUP BY currency",
                "  %s %s micro-units = %s");
        if (sim != null) {
            out.line(String.format("Simulator: %d calls received, %d succeeded, outcomes %s", sim.requestsReceived(), sim.succeeded(), sim.countsByOutcome()));
        }
    }

    private void table(Console out, String sql, String format) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, like);
            try (ResultSet rs = ps.executeQuery()) {
                int cols = rs.getMetaData().getColumnCount();
                boolean any = false;
                while (rs.next()) {
                    Object[] row = new Object[cols];
                    for (int i = 0; i < cols; i++) row[i] = rs.getString(i + 1);
                    out.line(String.format(format, row));
                    any = true;
                }
                if (!any) out.line("  (none)");
            }
        }
    }

    /**
     * Results per second from the first request published (or row read) to the last result written, against the
     * bound of the run: calls in flight over the mean call latency, and the tenant's limit where one was set.
     */
    void printRate(Console out, int expected, double seconds, int inFlight, long tenantRequestsPerMinute) throws SQLException {
        double meanLatencyMs;
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT avg(call_latency_ms) FROM prompt_results WHERE request_id LIKE ?")) {
            ps.setString(1, like);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                meanLatencyMs = rs.getDouble(1);
            }
        }
        if (meanLatencyMs <= 0 || seconds <= 0) return;
        double rate = expected / seconds;
        double bound = inFlight * 1000.0 / meanLatencyMs;
        String why = inFlight + " calls in flight / " + Math.round(meanLatencyMs) + " ms mean call";
        if (tenantRequestsPerMinute > 0 && tenantRequestsPerMinute / 60.0 < bound) {
            bound = tenantRequestsPerMinute / 60.0;
            why = "the tenant's limit, " + tenantRequestsPerMinute + " a minute";
        }
        out.line(String.format(java.util.Locale.ROOT, "Rate: %,d requests in %.1f s = %,.1f/s, %.0f%% of the bound %,.1f/s (%s)", expected,
                seconds, rate, 100 * rate / bound, bound, why));
    }

    private long count(String sql) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, like);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
