package io.promptline.sink.rollup;

import io.promptline.avro.BudgetPeriod;
import io.promptline.avro.CostEvent;
import io.promptline.avro.CostRollup;
import io.promptline.avro.SpendTotal;
import io.promptline.quota.SpendKeys;
import io.promptline.serde.PromptlineSerdes;
import io.promptline.topics.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The cost roll-ups, from {@code llm.costs} (exactly once, so every cent counts once):
 * <pre>
 *   llm.costs ─┬─▶ per tenant|model|currency, hourly window ─▶ llm.costs.hourly (CostRollup)
 *              └─▶ per tenant|currency|day and |month        ─▶ llm.spend       (SpendTotal; budgets read it)
 * </pre>
 * Hours and periods are those of the cost event's timestamp, in UTC. Each update carries the
 * running total: the latest record per key is the value (both topics are compacted).
 */
public final class CostRollupTopology {
    static final String HOURLY_STORE = "costs-hourly";
    static final String SPEND_STORE = "spend-totals";
    /** Cost events may arrive late (a processor recovering): hours stay open this long after they end. */
    static final Duration GRACE = Duration.ofHours(6);

    private CostRollupTopology() {
    }

    public static Topology build(Topics topics, PromptlineSerdes serdes) {
        StreamsBuilder b = new StreamsBuilder();
        KStream<String, CostEvent> costs = b.stream(topics.costs(), Consumed.with(Serdes.String(), serdes.cost()))
                .filter((k, v) -> v != null);

        costs.groupBy((k, v) -> v.getTenant() + "|" + v.getModel() + "|" + v.getCurrency(), Grouped.with("by-tenant-model",
                        Serdes.String(), serdes.cost()))
                .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofHours(1), GRACE))
                .aggregate(() -> null, (key, cost, total) -> add(total, cost),
                        Materialized.<String, CostRollup, org.apache.kafka.streams.state.WindowStore<org.apache.kafka.common.utils.Bytes, byte[]>>as(HOURLY_STORE)
                                .withKeySerde(Serdes.String()).withValueSerde(serdes.costRollup()))
                .toStream()
                .map((window, total) -> KeyValue.pair(window.key() + "|" + Instant.ofEpochMilli(window.window().start()),
                        withWindow(total, window.window().start(), window.window().end())))
                .to(topics.costsHourly(), Produced.with(Serdes.String(), serdes.costRollup()));

        costs.flatMap((k, v) -> List.of(
                        KeyValue.pair(SpendKeys.key(v.getTenant(), v.getCurrency(), BudgetPeriod.DAILY, v.getTimestamp()), v),
                        KeyValue.pair(SpendKeys.key(v.getTenant(), v.getCurrency(), BudgetPeriod.MONTHLY, v.getTimestamp()), v)))
                .groupByKey(Grouped.with("by-period", Serdes.String(), serdes.cost()))
                .aggregate(() -> null, CostRollupTopology::addSpend,
                        Materialized.<String, SpendTotal, org.apache.kafka.streams.state.KeyValueStore<org.apache.kafka.common.utils.Bytes, byte[]>>as(SPEND_STORE)
                                .withKeySerde(Serdes.String()).withValueSerde(serdes.spend()))
                .toStream()
                .to(topics.spend(), Produced.with(Serdes.String(), serdes.spend()));
        return b.build();
    }

    static CostRollup add(CostRollup total, CostEvent c) {
        CostRollup.Builder t = total == null
                ? CostRollup.newBuilder().setTenant(c.getTenant()).setModel(c.getModel()).setCurrency(c.getCurrency())
                        .setWindowStart(Instant.EPOCH).setWindowEnd(Instant.EPOCH).setCalls(0).setPromptTokens(0).setCachedTokens(0)
                        .setCompletionTokens(0).setReasoningTokens(0).setCostMicros(0)
                : CostRollup.newBuilder(total);
        return t.setCalls(t.getCalls() + 1)
                .setPromptTokens(t.getPromptTokens() + c.getPromptTokens())
                .setCachedTokens(t.getCachedTokens() + c.getCachedTokens())
                .setCompletionTokens(t.getCompletionTokens() + c.getCompletionTokens())
                .setReasoningTokens(t.getReasoningTokens() + c.getReasoningTokens())
                .setCacheWriteTokens(t.getCacheWriteTokens() + c.getCacheWriteTokens())
                .setCostMicros(Math.addExact(t.getCostMicros(), c.getCostMicros()))
                .setUnpricedCalls(t.getUnpricedCalls() + (c.getUnpriced() ? 1 : 0))
                .setEstimatedCostMicros(Math.addExact(t.getEstimatedCostMicros(), c.getUsageEstimated() ? c.getCostMicros() : 0))
                .setUpdatedAt(c.getTimestamp())
                .build();
    }

    private static CostRollup withWindow(CostRollup total, long start, long end) {
        return CostRollup.newBuilder(total).setWindowStart(Instant.ofEpochMilli(start)).setWindowEnd(Instant.ofEpochMilli(end)).build();
    }

    static SpendTotal addSpend(String key, CostEvent c, SpendTotal total) {
        SpendTotal.Builder t = total == null
                ? SpendTotal.newBuilder().setTenant(c.getTenant()).setCurrency(c.getCurrency())
                        .setPeriod(key.substring(key.lastIndexOf('|') + 1)).setCalls(0).setCostMicros(0)
                : SpendTotal.newBuilder(total);
        return t.setCalls(t.getCalls() + 1).setCostMicros(Math.addExact(t.getCostMicros(), c.getCostMicros()))
                .setUpdatedAt(c.getTimestamp()).build();
    }
}
