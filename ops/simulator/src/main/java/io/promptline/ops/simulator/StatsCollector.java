package io.promptline.ops.simulator;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Thread-safe counters and the bounded call ledger behind {@link SimulatorStats}. */
final class StatsCollector {

    private final boolean recordCalls;
    private final int maxRecordedCalls;

    private final LongAdder received = new LongAdder();
    private final LongAdder succeeded = new LongAdder();
    private final Map<Outcome, LongAdder> outcomes = new EnumMap<>(Outcome.class);
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicLong maxInFlight = new AtomicLong();
    private final Map<String, UsageAdder> usage = new ConcurrentHashMap<>();
    private final Set<String> successfulKeys = ConcurrentHashMap.newKeySet();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder unknownModels = new LongAdder();
    private final ConcurrentLinkedQueue<RecordedCall> ledger = new ConcurrentLinkedQueue<>();
    private final AtomicLong ledgerSize = new AtomicLong();
    private final LongAdder dropped = new LongAdder();
    private final ConcurrentLinkedQueue<Arrival> arrivals = new ConcurrentLinkedQueue<>();
    private final AtomicLong arrivalsSize = new AtomicLong();

    StatsCollector(boolean recordCalls, int maxRecordedCalls) {
        this.recordCalls = recordCalls;
        this.maxRecordedCalls = maxRecordedCalls;
        for (Outcome o : Outcome.values()) {
            outcomes.put(o, new LongAdder());
        }
    }

    void received() {
        received.increment();
    }

    void unknownModel() {
        unknownModels.increment();
    }

    void started() {
        long now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
    }

    void finished() {
        inFlight.decrementAndGet();
    }

    void outcome(Outcome outcome) {
        outcomes.get(outcome).increment();
    }

    /** Records a 200 answer: outcome ok, usage, logical keys and (bounded) ledger entry. */
    void success(RecordedCall call) {
        outcomes.get(Outcome.OK).increment();
        succeeded.increment();
        usage.computeIfAbsent(call.model(), m -> new UsageAdder()).add(call);
        if (call.idempotencyKey() != null && !successfulKeys.add(call.idempotencyKey())) {
            duplicates.increment();
        }
        if (!recordCalls) {
            return;
        }
        if (ledgerSize.incrementAndGet() <= maxRecordedCalls) {
            ledger.add(call);
        } else {
            ledgerSize.decrementAndGet();
            dropped.increment();
        }
    }

    /** Records an arrival (built only when calls are recorded, within the ledger's bound). */
    void arrived(java.util.function.Supplier<Arrival> arrival) {
        if (!recordCalls) {
            return;
        }
        if (arrivalsSize.incrementAndGet() <= maxRecordedCalls) {
            arrivals.add(arrival.get());
        } else {
            arrivalsSize.decrementAndGet();
        }
    }

    List<Arrival> arrivals() {
        return new ArrayList<>(arrivals);
    }

    List<RecordedCall> calls() {
        return new ArrayList<>(ledger);
    }

    /** Clears counters, keys and ledger; inFlight is kept (those requests are still held). */
    void reset() {
        received.reset();
        succeeded.reset();
        outcomes.values().forEach(LongAdder::reset);
        usage.clear();
        successfulKeys.clear();
        duplicates.reset();
        unknownModels.reset();
        ledger.clear();
        ledgerSize.set(0);
        arrivals.clear();
        arrivalsSize.set(0);
        dropped.reset();
        maxInFlight.set(inFlight.get());
    }

    SimulatorStats snapshot() {
        Map<String, Long> counts = new HashMap<>();
        outcomes.forEach((o, n) -> counts.put(o.key(), n.sum()));
        Map<String, SimulatorStats.ModelUsage> models = new HashMap<>();
        usage.forEach((m, u) -> models.put(m, u.snapshot()));
        return new SimulatorStats(received.sum(), succeeded.sum(), counts, inFlight.get(), maxInFlight.get(),
                models, successfulKeys.size(), duplicates.sum(), unknownModels.sum(), ledgerSize.get(), dropped.sum());
    }

    /** Usage totals of one model. */
    private static final class UsageAdder {
        private final LongAdder calls = new LongAdder();
        private final LongAdder prompt = new LongAdder();
        private final LongAdder completion = new LongAdder();
        private final LongAdder cached = new LongAdder();
        private final LongAdder reasoning = new LongAdder();

        void add(RecordedCall c) {
            calls.increment();
            prompt.add(c.promptTokens());
            completion.add(c.completionTokens());
            cached.add(c.cachedTokens());
            reasoning.add(c.reasoningTokens());
        }

        SimulatorStats.ModelUsage snapshot() {
            return new SimulatorStats.ModelUsage(calls.sum(), prompt.sum(), completion.sum(), cached.sum(), reasoning.sum());
        }
    }
}
