package io.promptline.pricing;

import io.promptline.avro.BillingMode;
import io.promptline.avro.TokenUsage;

import java.time.Instant;

/**
 * One row of a price table: the price of one model at one provider from {@code effectiveFrom}
 * on, in micro-units of {@code currency} per million tokens (so $2.00 / MTok is 2,000,000).
 * Prompt tokens read from the prompt cache and those written to it are priced apart from the
 * rest of the input; reasoning tokens are part of the output. The batch discount applies only to
 * calls made through the provider's Batch API.
 *
 * @param version       the version of this row, recorded on every cost event priced with it
 * @param effectiveFrom the first instant this row prices
 */
public record Price(String provider, String model, String currency, long inputMicrosPerMTok, long cachedInputMicrosPerMTok,
                    long cacheWriteMicrosPerMTok, long outputMicrosPerMTok, int batchDiscountPercent, String version,
                    Instant effectiveFrom) {
    private static final long MTOK = 1_000_000L;

    public Price {
        String name = provider + "/" + model;
        if (inputMicrosPerMTok < 0 || cachedInputMicrosPerMTok < 0 || cacheWriteMicrosPerMTok < 0 || outputMicrosPerMTok < 0) {
            throw new IllegalArgumentException("prices of " + name + " must not be negative");
        }
        if (batchDiscountPercent < 0 || batchDiscountPercent > 100) {
            throw new IllegalArgumentException("batch_discount_percent of " + name + " must be in [0,100], was " + batchDiscountPercent);
        }
        if (currency == null || !currency.matches("[A-Z]{3}")) {
            throw new IllegalArgumentException("currency of " + name + " must be an ISO 4217 code, was " + currency);
        }
        if (version == null || version.isBlank()) throw new IllegalArgumentException("version of " + name + " must be set");
        if (effectiveFrom == null) throw new IllegalArgumentException("effective_from of " + name + " must be set");
    }

    /**
     * The cost of one call in micro-units, rounded half-up once, after the batch discount if the call
     * went through a Batch API. Exact integer arithmetic; overflow throws.
     */
    public long costMicros(TokenUsage usage, BillingMode mode) {
        long cached = Math.min(usage.getCachedTokens(), usage.getPromptTokens());
        long written = Math.min(usage.getCacheWriteTokens(), usage.getPromptTokens() - cached);
        long billableInput = usage.getPromptTokens() - cached - written;
        long scaled = Math.addExact(Math.addExact(Math.addExact(
                Math.multiplyExact(billableInput, inputMicrosPerMTok),
                Math.multiplyExact(cached, cachedInputMicrosPerMTok)),
                Math.multiplyExact(written, cacheWriteMicrosPerMTok)),
                Math.multiplyExact(usage.getCompletionTokens(), outputMicrosPerMTok));
        long percent = mode == BillingMode.BATCH_API ? 100 - batchDiscountPercent : 100;
        long denominator = MTOK * 100;
        return Math.addExact(Math.multiplyExact(scaled, percent), denominator / 2) / denominator;
    }
}
