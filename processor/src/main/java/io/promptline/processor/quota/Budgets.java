package io.promptline.processor.quota;

import io.promptline.avro.SpendTotal;
import io.promptline.quota.SpendKeys;
import io.promptline.serde.AvroDeserializer;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.Optional;

/**
 * Checks a tenant's budget against its spend in the current UTC day or month, as kept by the cost
 * roll-up in the spend topic (key {@code tenant|currency|period}). The roll-up trails the cost
 * events by its commit interval, and calls already in flight when the budget is reached are still
 * billed: a budget can be overrun by about that much, never more.
 */
public final class Budgets {
    private static final Logger log = LoggerFactory.getLogger(Budgets.class);

    private final QuotaView quotas;
    private final ReadOnlyKeyValueStore<String, byte[]> spend;
    private final AvroDeserializer<SpendTotal> decoder;
    private final String topic;

    public Budgets(QuotaView quotas, ReadOnlyKeyValueStore<String, byte[]> spend, AvroDeserializer<SpendTotal> decoder, String topic) {
        this.quotas = quotas;
        this.spend = spend;
        this.decoder = decoder;
        this.topic = topic;
    }

    /** Why the tenant may not spend more now, or empty. */
    public Optional<String> exceeded(String tenant, Instant now) {
        Optional<QuotaView.Budget> budget = quotas.budget(tenant);
        if (budget.isEmpty()) return Optional.empty();
        QuotaView.Budget b = budget.get();
        String key = SpendKeys.key(tenant, b.currency(), b.period(), now);
        long spent = spent(key);
        if (spent < b.micros()) return Optional.empty();
        return Optional.of("tenant '" + tenant + "' has spent " + spent + " of its " + b.period().name().toLowerCase()
                + " budget of " + b.micros() + " micro-" + b.currency() + " (" + SpendKeys.period(b.period(), now) + ")");
    }

    private long spent(String key) {
        byte[] raw = spend.get(key);
        if (raw == null) return 0;
        try {
            return decoder.deserialize(topic, raw).getCostMicros();
        } catch (RuntimeException e) {
            log.error("Spend record {} in {} cannot be decoded ({}); counted as 0", key, topic, e.getMessage());
            return 0;
        }
    }
}
