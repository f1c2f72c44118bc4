package io.promptline.testkit;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * A price written out in a test, to check the bill independently of the production pricing code:
 * dollars (or yuan) per million tokens as the provider's price page shows them, and the cost of
 * one call in micro-units, rounded half-up once per call, computed in decimal arithmetic.
 *
 * @param inputPerMTok       e.g. 2.00 for $2 / MTok
 * @param cachedInputPerMTok prompt tokens read from the cache
 * @param outputPerMTok      completion tokens (reasoning included)
 */
public record LiteralPrice(String inputPerMTok, String cachedInputPerMTok, String outputPerMTok) {
    private static final BigDecimal MICROS_PER_UNIT = BigDecimal.valueOf(1_000_000);
    private static final BigDecimal MTOK = BigDecimal.valueOf(1_000_000);

    /** gpt-4.1 at OpenAI: $2 input, $0.50 cached input, $8 output per million tokens. */
    public static final LiteralPrice GPT_4_1 = new LiteralPrice("2.00", "0.50", "8.00");
    /** gpt-4.1-mini at OpenAI: $0.40, $0.10, $1.60. */
    public static final LiteralPrice GPT_4_1_MINI = new LiteralPrice("0.40", "0.10", "1.60");
    /** deepseek-v3.2: $0.07, $0.007, $0.42. */
    public static final LiteralPrice DEEPSEEK_V3_2 = new LiteralPrice("0.07", "0.007", "0.42");

    /** Micro-units for one call at the full price. */
    public long micros(long promptTokens, long cachedTokens, long completionTokens) {
        return micros(promptTokens, cachedTokens, completionTokens, 0);
    }

    /** Micro-units for one call after a discount of {@code discountPercent} (50 for a Batch API). */
    public long micros(long promptTokens, long cachedTokens, long completionTokens, int discountPercent) {
        BigDecimal units = new BigDecimal(inputPerMTok).multiply(BigDecimal.valueOf(promptTokens - cachedTokens))
                .add(new BigDecimal(cachedInputPerMTok).multiply(BigDecimal.valueOf(cachedTokens)))
                .add(new BigDecimal(outputPerMTok).multiply(BigDecimal.valueOf(completionTokens)))
                .divide(MTOK);
        BigDecimal discounted = units.multiply(BigDecimal.valueOf(100 - discountPercent)).divide(BigDecimal.valueOf(100));
        return discounted.multiply(MICROS_PER_UNIT).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }
}
