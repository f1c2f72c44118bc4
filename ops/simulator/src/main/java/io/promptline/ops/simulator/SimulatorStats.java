package io.promptline.ops.simulator;

import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Immutable snapshot of the simulator's counters (GET /sim/stats returns {@link #toJson()}; Jackson
 * serialises the record components under the same names).
 *
 * @param requestsReceived chat-completion requests received (any outcome)
 * @param succeeded 200 answers sent
 * @param countsByOutcome answers per {@link Outcome#key()}: ok, 429, 500, 503, hang, reset,
 *     context_length, content_policy, 401, 400, client_closed (all keys always present)
 * @param inFlight requests currently held (received, not yet answered or closed)
 * @param maxInFlight highest {@code inFlight} since start or the last reset
 * @param usageByModel usage totals of successful calls, per requested model
 * @param distinctIdempotencyKeys distinct logical keys (Idempotency-Key, else X-Request-Id) among
 *     successful calls; calls without a key are not counted
 * @param duplicateSuccessfulCalls successful calls whose logical key had already succeeded before
 * @param unknownModelRequests valid requests for a model not in the configured list (still served)
 * @param recordedCalls entries in the call ledger (GET /sim/calls)
 * @param droppedCallRecords successful calls not recorded because the ledger was full
 */
public record SimulatorStats(
        long requestsReceived,
        long succeeded,
        Map<String, Long> countsByOutcome,
        long inFlight,
        long maxInFlight,
        Map<String, ModelUsage> usageByModel,
        long distinctIdempotencyKeys,
        long duplicateSuccessfulCalls,
        long unknownModelRequests,
        long recordedCalls,
        long droppedCallRecords) {

    /** Copies the maps (sorted by key). */
    public SimulatorStats {
        countsByOutcome = Collections.unmodifiableMap(new TreeMap<>(countsByOutcome));
        usageByModel = Collections.unmodifiableMap(new TreeMap<>(usageByModel));
    }

    /**
     * Usage totals of successful calls.
     *
     * @param calls successful calls
     * @param promptTokens sum of prompt_tokens
     * @param completionTokens sum of completion_tokens
     * @param cachedTokens sum of cached_tokens
     * @param reasoningTokens sum of reasoning_tokens
     */
    public record ModelUsage(long calls, long promptTokens, long completionTokens, long cachedTokens,
            long reasoningTokens) {

        /** All zero. */
        public static final ModelUsage ZERO = new ModelUsage(0, 0, 0, 0, 0);

        /** Component-wise sum. */
        public ModelUsage plus(ModelUsage o) {
            return new ModelUsage(calls + o.calls, promptTokens + o.promptTokens,
                    completionTokens + o.completionTokens, cachedTokens + o.cachedTokens, reasoningTokens + o.reasoningTokens);
        }

        /** JSON with the component names as keys. */
        public JsonObject toJson() {
            return new JsonObject().put("calls", calls).put("promptTokens", promptTokens)
                    .put("completionTokens", completionTokens).put("cachedTokens", cachedTokens)
                    .put("reasoningTokens", reasoningTokens);
        }

        /** Inverse of {@link #toJson()}. */
        public static ModelUsage fromJson(JsonObject j) {
            return new ModelUsage(j.getLong("calls", 0L), j.getLong("promptTokens", 0L),
                    j.getLong("completionTokens", 0L), j.getLong("cachedTokens", 0L), j.getLong("reasoningTokens", 0L));
        }
    }

    /** The count of one outcome key (0 when absent). */
    public long count(String outcomeKey) {
        return countsByOutcome.getOrDefault(outcomeKey, 0L);
    }

    /** The count of one outcome. */
    public long count(Outcome outcome) {
        return count(outcome.key());
    }

    /** Usage summed over all models. */
    public ModelUsage totalUsage() {
        ModelUsage total = ModelUsage.ZERO;
        for (ModelUsage u : usageByModel.values()) {
            total = total.plus(u);
        }
        return total;
    }

    /** JSON with the component names as keys. */
    public JsonObject toJson() {
        JsonObject counts = new JsonObject();
        countsByOutcome.forEach(counts::put);
        JsonObject usage = new JsonObject();
        usageByModel.forEach((model, u) -> usage.put(model, u.toJson()));
        return new JsonObject()
                .put("requestsReceived", requestsReceived)
                .put("succeeded", succeeded)
                .put("countsByOutcome", counts)
                .put("inFlight", inFlight)
                .put("maxInFlight", maxInFlight)
                .put("usageByModel", usage)
                .put("distinctIdempotencyKeys", distinctIdempotencyKeys)
                .put("duplicateSuccessfulCalls", duplicateSuccessfulCalls)
                .put("unknownModelRequests", unknownModelRequests)
                .put("recordedCalls", recordedCalls)
                .put("droppedCallRecords", droppedCallRecords);
    }

    /** Inverse of {@link #toJson()} (e.g. for a client of GET /sim/stats). */
    public static SimulatorStats fromJson(JsonObject j) {
        Map<String, Long> counts = new TreeMap<>();
        j.getJsonObject("countsByOutcome", new JsonObject())
                .forEach(e -> counts.put(e.getKey(), ((Number) e.getValue()).longValue()));
        Map<String, ModelUsage> usage = new TreeMap<>();
        j.getJsonObject("usageByModel", new JsonObject())
                .forEach(e -> usage.put(e.getKey(), ModelUsage.fromJson((JsonObject) e.getValue())));
        return new SimulatorStats(j.getLong("requestsReceived", 0L), j.getLong("succeeded", 0L), counts,
                j.getLong("inFlight", 0L), j.getLong("maxInFlight", 0L), usage,
                j.getLong("distinctIdempotencyKeys", 0L), j.getLong("duplicateSuccessfulCalls", 0L),
                j.getLong("unknownModelRequests", 0L), j.getLong("recordedCalls", 0L), j.getLong("droppedCallRecords", 0L));
    }
}
