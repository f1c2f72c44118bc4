package io.promptline.processor.cost;

import io.promptline.avro.BillingMode;
import io.promptline.avro.CostEvent;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.TokenUsage;
import io.promptline.pricing.Price;
import io.promptline.pricing.PriceTable;

import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * What each call costs, as the provider bills it: the price-table row in effect when the call was
 * made, at the full price for a synchronous call and at the batch price only for a line of a
 * provider Batch API job. A model the table does not price is refused at intake, or, by policy,
 * called and recorded as unpriced (cost 0 in currency XXX, flagged, counted by a metric) — never
 * a silent zero.
 */
public final class Billing {
    /** ISO 4217's code for "no currency", on the cost events of unpriced calls. */
    public static final String NO_CURRENCY = "XXX";

    /** What happens to a request for a model without a price. */
    public enum UnpricedPolicy {
        /** Dead-lettered at intake as INVALID_REQUEST, without a call. */
        REJECT,
        /** Called; its cost event is flagged unpriced with cost 0, and {@code promptline_unpriced_calls_total} counts it. */
        RECORD;

        public static UnpricedPolicy parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unpriced model policy must be 'reject' or 'record', was '" + s + "'");
            }
        }
    }

    /**
     * One call to bill.
     *
     * @param eventId     the cost event's id: the same call always gets the same id
     * @param madeAt      when the call was made (for a batch line: when its job was submitted)
     * @param batchId     the provider's batch id, for BATCH_API
     * @param unconfirmed the call's answer was lost and the usage is the request's estimate
     */
    public record Call(String eventId, PromptRequest request, String provider, String model, TokenUsage usage, Instant madeAt,
                       BillingMode mode, String batchId, boolean unconfirmed) {
    }

    private final PriceTable table;
    private final UnpricedPolicy unpriced;

    public Billing(PriceTable table, UnpricedPolicy unpriced) {
        this.table = table;
        this.unpriced = unpriced;
    }

    public PriceTable table() {
        return table;
    }

    public UnpricedPolicy unpricedPolicy() {
        return unpriced;
    }

    /** Why a call of {@code model} at {@code provider} made at {@code at} may not be made, or empty when it may. */
    public Optional<String> refusal(String provider, String model, Instant at) {
        if (unpriced == UnpricedPolicy.RECORD || table.find(provider, model, at).isPresent()) return Optional.empty();
        return Optional.of("'" + model + "' has no price for provider " + provider + " in price table " + table.version()
                + " (unknown model? add it to the table, or set promptline.processor.unpriced.models=record)");
    }

    /** Whether calls of {@code model} at {@code provider} may be made now. */
    public boolean callable(String provider, String model, Instant at) {
        return refusal(provider, model, at).isEmpty();
    }

    /**
     * The cost event of a call. A call without a price row at its time is recorded as unpriced
     * whatever the policy: it was made, so it is never dropped from the record.
     */
    public CostEvent bill(Call call) {
        PromptRequest r = call.request();
        TokenUsage u = call.usage();
        CostEvent.Builder b = CostEvent.newBuilder()
                .setEventId(call.eventId())
                .setRequestId(r.getRequestId())
                .setTenant(r.getTenant())
                .setPriority(r.getPriority())
                .setProvider(call.provider())
                .setModel(call.model())
                .setPromptTokens(u.getPromptTokens())
                .setCachedTokens(u.getCachedTokens())
                .setCacheWriteTokens(u.getCacheWriteTokens())
                .setCompletionTokens(u.getCompletionTokens())
                .setReasoningTokens(u.getReasoningTokens())
                .setTimestamp(call.madeAt())
                .setUsageEstimated(u.getEstimated() || call.unconfirmed())
                .setBillingMode(call.mode())
                .setBatchId(call.batchId())
                .setUnconfirmed(call.unconfirmed());
        Optional<Price> price = table.find(call.provider(), call.model(), call.madeAt());
        if (price.isEmpty()) {
            return b.setCostMicros(0).setCurrency(NO_CURRENCY).setPriceVersion(table.version()).setUnpriced(true).build();
        }
        Price p = price.get();
        return b.setCostMicros(p.costMicros(u, call.mode())).setCurrency(p.currency()).setPriceVersion(p.version())
                .setPriceEffectiveFrom(p.effectiveFrom()).setUnpriced(false).build();
    }
}
