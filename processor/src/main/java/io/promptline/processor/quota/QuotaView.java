package io.promptline.processor.quota;

import io.promptline.avro.BudgetPeriod;
import io.promptline.avro.Priority;
import io.promptline.avro.Quota;
import io.promptline.avro.TierLimit;
import io.promptline.processor.ratelimit.Limits;
import io.promptline.serde.AvroDeserializer;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A task's view of the live quotas: the global store fed by the compacted quotas topic (key
 * tenant, value Quota), decoded once per change and looked up at most once a second per tenant
 * (a quota change applies within a second). A tenant's limits per tier come from its Quota
 * where set, else from the configured defaults; a record that cannot be decoded is logged once and
 * the defaults apply. Stream thread only.
 */
public final class QuotaView {
    private static final Logger log = LoggerFactory.getLogger(QuotaView.class);

    /** A tenant's spend allowance per period, in micro-units of {@code currency}. */
    public record Budget(long micros, String currency, BudgetPeriod period) {
    }

    private record Cached(byte[] raw, Quota quota, long checkedAt) {
    }

    /** How long a tenant's quota is used without looking at the store again. */
    static final long RECHECK_MS = 1_000;
    private static final int MAX_CACHED = 100_000;

    private final ReadOnlyKeyValueStore<String, byte[]> store;
    private final AvroDeserializer<Quota> decoder;
    private final String topic;
    private final Map<Priority, Limits> defaults;
    private final Map<String, Cached> cache = new HashMap<>();
    private final Clock clock;

    public QuotaView(ReadOnlyKeyValueStore<String, byte[]> store, AvroDeserializer<Quota> decoder, String topic,
                     Map<Priority, Limits> defaults, Clock clock) {
        this.store = store;
        this.clock = clock;
        this.decoder = decoder;
        this.topic = topic;
        this.defaults = Map.copyOf(defaults);
    }

    public Limits limits(String tenant, Priority tier) {
        Limits base = defaults.get(tier);
        Quota q = quota(tenant);
        if (q == null) return base;
        for (TierLimit t : q.getLimits()) {
            if (t.getPriority() == tier) {
                return new Limits(t.getRequestsPerMinute() != null ? t.getRequestsPerMinute() : base.requestsPerMinute(),
                        t.getTokensPerMinute() != null ? t.getTokensPerMinute() : base.tokensPerMinute());
            }
        }
        return base;
    }

    public Optional<Budget> budget(String tenant) {
        Quota q = quota(tenant);
        if (q == null || q.getBudgetMicros() == null) return Optional.empty();
        return Optional.of(new Budget(q.getBudgetMicros(), q.getBudgetCurrency(), q.getBudgetPeriod()));
    }

    private Quota quota(String tenant) {
        long now = clock.millis();
        if (cache.size() > MAX_CACHED) cache.clear(); // a task that has seen a great many tenants starts over
        Cached c = cache.get(tenant);
        if (c != null && now - c.checkedAt < RECHECK_MS) return c.quota;
        byte[] raw = store.get(tenant);
        if (raw == null) {
            cache.put(tenant, new Cached(null, null, now));
            return null;
        }
        if (c != null && Arrays.equals(c.raw, raw)) {
            cache.put(tenant, new Cached(raw, c.quota, now));
            return c.quota;
        }
        Quota q;
        try {
            q = decoder.deserialize(topic, raw);
            validate(q);
        } catch (RuntimeException e) {
            log.error("Quota of tenant '{}' in {} is unusable ({}); the configured defaults apply until it is replaced",
                    tenant, topic, e.getMessage());
            q = null;
        }
        cache.put(tenant, new Cached(raw, q, now));
        return q;
    }

    private static void validate(Quota q) {
        for (TierLimit t : q.getLimits()) {
            if (t.getRequestsPerMinute() != null && t.getRequestsPerMinute() < 0) {
                throw new IllegalArgumentException("limits[" + t.getPriority() + "].requests_per_minute is negative");
            }
            if (t.getTokensPerMinute() != null && t.getTokensPerMinute() < 0) {
                throw new IllegalArgumentException("limits[" + t.getPriority() + "].tokens_per_minute is negative");
            }
        }
        if (q.getBudgetMicros() != null && q.getBudgetMicros() < 0) throw new IllegalArgumentException("budget_micros is negative");
    }
}
