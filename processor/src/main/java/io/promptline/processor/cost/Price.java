package io.promptline.processor.cost;

import io.promptline.avro.TokenUsage;

/**
 * The price of one model at one provider, in micro-units of {@code currency} per million
 * tokens (so $2.00 / MTok is 2,000,000). Cached input tokens are priced apart from the rest of
 * the input; reasoning tokens are part of the output.
 */
public record Price(String provider, String model, String currency,
                    long inputMicrosPerMTok, long cachedInputMicrosPerMTok, long outputMicrosPerMTok,
                    int batchDiscountPercent) {
    private static final long MTOK = 1_000_000L;

    public Price {
        if (inputMicrosPerMTok < 0 || cachedInputMicrosPerMTok < 0 || outputMicrosPerMTok < 0) {
            throw new IllegalArgumentException("prices of " + provider + "/" + model + " must not be negative");
        }
        if (batchDiscountPercent < 0 || batchDiscountPercent > 100) {
            throw new IllegalArgumentException("batch_discount_percent of " + provider + "/" + model
                    + " must be in [0,100], was " + batchDiscountPercent);
        }
        if (currency == null || !currency.matches("[A-Z]{3}")) {
            throw new IllegalArgumentException("currency of " + provider + "/" + model + " must be an ISO 4217 code, was " + currency);
        }
    }

    /**
     * The cost of one call in micro-units, rounded half-up once, after the batch discount.
     * Exact integer arithmetic: the sum is formed in micro-units × 10^-6 and overflow throws.
     */
    public long costMicros(TokenUsage usage, boolean batch) {
        long cached = Math.min(usage.getCachedTokens(), usage.getPromptTokens());
        long billableInput = usage.getPromptTokens() - cached;
        long scaled = Math.addExact(Math.addExact(
                Math.multiplyExact(billableInput, inputMicrosPerMTok),
                Math.multiplyExact(cached, cachedInputMicrosPerMTok)),
                Math.multiplyExact(usage.getCompletionTokens(), outputMicrosPerMTok));
        long percent = batch ? 100 - batchDiscountPercent : 100;
        long denominator = MTOK * 100;
        return Math.addExact(Math.multiplyExact(scaled, percent), denominator / 2) / denominator;
    }
}
