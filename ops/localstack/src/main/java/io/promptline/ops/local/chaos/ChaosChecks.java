package io.promptline.ops.local.chaos;

import io.promptline.avro.CostEvent;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.PromptResult;
import io.promptline.metrics.PrometheusText;
import io.promptline.ops.simulator.RecordedCall;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.serde.AvroDeserializer;
import io.promptline.topics.CommittedReader;
import io.promptline.topics.Topics;
import org.apache.avro.specific.SpecificRecord;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a chaos run must show at the end, read as a downstream application reads it
 * (read_committed) and from the other side of each boundary (the provider's ledger, PostgreSQL's
 * rows): every request exactly once in the results or the DLQ; one cost event per result, each at
 * the literal price of the tokens the provider reported; the sink's rows equal to the topics'
 * records; the duplicates the processors skipped equal to the duplicates injected.
 */
final class ChaosChecks {
    /** Micro-units per million tokens (input, cached input, output), as the providers list them: written here, not taken from the product. */
    static final Map<String, long[]> PRICES = Map.of(
            "gpt-4.1", new long[]{2_000_000, 500_000, 8_000_000},
            "gpt-4.1-mini", new long[]{400_000, 100_000, 1_600_000},
            "deepseek-v3.2", new long[]{70_000, 7_000, 420_000});

    private final ChaosStack stack;
    private final Topics topics;
    final List<String> failures = new ArrayList<>();
    final Map<String, Object> figures = new TreeMap<>();
    private List<PromptResult> results = List.of();
    private List<DeadLetter> dead = List.of();
    private List<CostEvent> costs = List.of();

    ChaosChecks(ChaosStack stack) {
        this.stack = stack;
        this.topics = stack.topics();
    }

    /** Reads the outputs; how many of the published requests have ended (a result or a dead letter). */
    int ended(Set<String> published) {
        read();
        Set<String> ended = new HashSet<>();
        results.forEach(r -> ended.add(r.getRequestId()));
        dead.forEach(d -> ended.add(d.getRequestId()));
        ended.retainAll(published);
        return ended.size();
    }

    private void read() {
        var registry = new RestSchemaRegistryClient(stack.registryUrl());
        Map<String, Object> kafka = Map.of("bootstrap.servers", stack.broker().bootstrapServers());
        results = read(kafka, topics.results(), new AvroDeserializer<>(registry, PromptResult.class));
        dead = read(kafka, topics.dlq(), new AvroDeserializer<>(registry, DeadLetter.class));
        costs = read(kafka, topics.costs(), new AvroDeserializer<>(registry, CostEvent.class));
    }

    private static <T extends SpecificRecord> List<T> read(Map<String, Object> kafka, String topic, AvroDeserializer<T> decoder) {
        List<T> out = new ArrayList<>();
        CommittedReader.readToEnd(kafka, List.of(topic), "", r -> {
            if (r.value() != null) out.add(decoder.deserialize(topic, r.value()));
        });
        return out;
    }

    void exactlyOnce(Set<String> published) {
        Map<String, Integer> ends = new HashMap<>();
        results.forEach(r -> ends.merge(r.getRequestId(), 1, Integer::sum));
        dead.stream().filter(d -> d.getRequestId() != null).forEach(d -> ends.merge(d.getRequestId(), 1, Integer::sum));
        long lost = published.stream().filter(id -> !ends.containsKey(id)).count();
        long doubled = ends.values().stream().filter(n -> n > 1).count();
        figures.put("published", published.size());
        figures.put("results", results.size());
        figures.put("dead letters", dead.size());
        figures.put("lost", lost);
        figures.put("doubled", doubled);
        Map<String, Long> categories = new TreeMap<>();
        dead.forEach(d -> categories.merge(d.getCategory().name(), 1L, Long::sum));
        figures.put("dead letters by category", categories);
        if (lost > 0) failures.add(lost + " published requests never ended, e.g. "
                + published.stream().filter(id -> !ends.containsKey(id)).limit(5).toList());
        if (doubled > 0) failures.add(doubled + " requests ended more than once, e.g. "
                + ends.entrySet().stream().filter(e -> e.getValue() > 1).limit(5).toList());
    }

    void costsExact() {
        Map<String, Integer> perRequest = new HashMap<>();
        costs.stream().filter(c -> !c.getUnconfirmed()).forEach(c -> perRequest.merge(c.getRequestId(), 1, Integer::sum));
        Set<String> answered = new HashSet<>();
        results.forEach(r -> answered.add(r.getRequestId()));
        if (!perRequest.keySet().equals(answered) || perRequest.values().stream().anyMatch(n -> n != 1)) {
            failures.add("confirmed cost events do not match results one to one: " + perRequest.values().stream().mapToInt(n -> n).sum()
                    + " events for " + answered.size() + " results");
        }
        long unconfirmed = costs.stream().filter(CostEvent::getUnconfirmed).count();
        figures.put("calls whose answers were lost (unconfirmed cost events)", unconfirmed);
        // A lost call belongs to a request that ended: an answered one counts its lost calls (calls_unconfirmed) exactly; a
        // dead letter has no such field, so its lost calls must be fewer than the calls it records (attempts, the last one failed)
        Map<String, Integer> lostPerRequest = new HashMap<>();
        costs.stream().filter(CostEvent::getUnconfirmed).forEach(c -> lostPerRequest.merge(c.getRequestId(), 1, Integer::sum));
        long ofResults = results.stream().mapToLong(r -> lostPerRequest.getOrDefault(r.getRequestId(), 0)).sum();
        long counted = results.stream().mapToLong(PromptResult::getCallsUnconfirmed).sum();
        if (ofResults != counted) failures.add(ofResults + " unconfirmed cost events of answered requests, but the results count " + counted);
        Map<String, Integer> deadAttempts = new HashMap<>();
        dead.stream().filter(d -> d.getRequestId() != null).forEach(d -> deadAttempts.put(d.getRequestId(), d.getAttempts()));
        for (Map.Entry<String, Integer> e : lostPerRequest.entrySet()) {
            if (answered.contains(e.getKey())) continue;
            Integer attempts = deadAttempts.get(e.getKey());
            if (attempts == null) failures.add("unconfirmed cost events of request " + e.getKey() + ", which neither answered nor was dead-lettered");
            else if (e.getValue() >= attempts) {
                failures.add(e.getValue() + " lost calls of dead-lettered " + e.getKey() + ", which records only " + attempts + " calls");
            }
        }
        Map<String, RecordedCall> ledger = new HashMap<>();
        for (RecordedCall c : stack.simulator().recordedCalls()) ledger.put(c.idempotencyKey(), c);
        long total = 0;
        long expectedTotal = 0;
        int wrong = 0;
        int estimated = 0;
        for (CostEvent c : costs) {
            long[] p = PRICES.get(c.getModel());
            long expected = p == null ? -1 : (Math.addExact(Math.addExact((c.getPromptTokens() - c.getCachedTokens()) * p[0],
                    c.getCachedTokens() * p[1]), c.getCompletionTokens() * p[2]) + 500_000) / 1_000_000;
            RecordedCall billed = ledger.get(c.getRequestId());
            boolean tokensAsReported = c.getUsageEstimated() || billed != null && billed.promptTokens() == c.getPromptTokens()
                    && billed.completionTokens() == c.getCompletionTokens() && billed.cachedTokens() == c.getCachedTokens();
            if (c.getUsageEstimated()) estimated++;
            if (expected != c.getCostMicros() || !tokensAsReported) wrong++;
            total += c.getCostMicros();
            expectedTotal += expected;
        }
        figures.put("cost micro-USD", total);
        figures.put("cost micro-USD at the literal prices", expectedTotal);
        figures.put("cost events on estimated usage", estimated);
        if (wrong > 0) failures.add(wrong + " cost events differ from the literal price of the provider's tokens");
    }

    /**
     * Every call the provider received is on the record: per request, the calls the simulator saw
     * are at most the calls its result or dead letter counts (attempts, lost ones included).
     */
    void everyCallRecorded() {
        Map<String, Long> made = new HashMap<>();
        stack.simulator().arrivals().forEach(a -> {
            if (a.idempotencyKey() != null) made.merge(a.idempotencyKey(), 1L, Long::sum);
        });
        Map<String, Integer> recorded = new HashMap<>();
        results.forEach(r -> recorded.merge(r.getRequestId(), r.getAttempts(), Math::max));
        dead.stream().filter(d -> d.getRequestId() != null).forEach(d -> recorded.merge(d.getRequestId(), d.getAttempts(), Math::max));
        long repeated = made.values().stream().mapToLong(n -> Math.max(0, n - 1)).sum();
        List<String> unrecorded = made.entrySet().stream().filter(e -> recorded.containsKey(e.getKey()) && e.getValue() > recorded.get(e.getKey()))
                .map(e -> e.getKey() + " called " + e.getValue() + "x, recorded " + recorded.get(e.getKey())).limit(5).toList();
        figures.put("calls made more than once at the provider", repeated);
        if (!unrecorded.isEmpty()) failures.add("calls made but not on the record, e.g. " + unrecorded);
    }

    /** Waits (up to the deadline) until the sink's rows equal the topics' records, then compares them. */
    void sinkRowsEqualTopics(long deadlineNanos) throws InterruptedException {
        long[] rows = null;
        long[] want = {results.size(), costs.size(), dead.size()};
        while (System.nanoTime() < deadlineNanos) {
            rows = rows();
            if (rows != null && rows[0] == want[0] && rows[1] == want[1] && rows[2] == want[2]) break;
            Thread.sleep(2_000);
        }
        figures.put("postgres rows (results, costs, dead letters)", rows == null ? "unreadable" : List.of(rows[0], rows[1], rows[2]));
        if (rows == null || rows[0] != want[0] || rows[1] != want[1] || rows[2] != want[2]) {
            failures.add("PostgreSQL rows " + (rows == null ? "unreadable" : List.of(rows[0], rows[1], rows[2])) + " differ from the topics "
                    + List.of(want[0], want[1], want[2]));
        }
    }

    private long[] rows() {
        try (Connection c = DriverManager.getConnection(stack.jdbcUrl(), "postgres", "postgres"); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM prompt_results), (SELECT count(*) FROM cost_events), "
                     + "(SELECT count(*) FROM dead_letters)")) {
            rs.next();
            return new long[]{rs.getLong(1), rs.getLong(2), rs.getLong(3)};
        } catch (SQLException e) {
            return null;
        }
    }

    /** The duplicates the processors skipped (committed with their records, summed over live instances) against those injected. */
    void duplicatesCounted(long injected) {
        double skipped = 0;
        Map<String, Double> byReason = new TreeMap<>();
        for (int port : stack.liveMetricsPorts()) {
            PrometheusText m = PrometheusText.scrape("http://127.0.0.1:" + port + "/metrics?name[]=promptline_duplicates_committed");
            skipped += m.sum("promptline_duplicates_committed");
            for (var s : m.samples("promptline_duplicates_committed")) byReason.merge(s.labels().get("reason"), s.value(), Double::sum);
        }
        figures.put("duplicates injected", injected);
        figures.put("duplicates skipped (committed)", (long) skipped);
        figures.put("duplicates skipped by reason", byReason);
        if ((long) skipped != injected) failures.add("the processors skipped " + (long) skipped + " duplicates; " + injected + " were injected");
    }

    void heap(long maxHeapBytes, long limitBytes) {
        figures.put("processor heap max MB", maxHeapBytes >> 20);
        if (maxHeapBytes > limitBytes) failures.add("a processor's heap reached " + (maxHeapBytes >> 20) + " MB (limit " + (limitBytes >> 20) + ")");
    }
}
