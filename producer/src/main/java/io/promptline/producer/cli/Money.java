package io.promptline.producer.cli;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** Micro-units (integers, as Promptline stores money) to and from decimal text, without floating point. */
final class Money {
    private static final BigDecimal MICROS = BigDecimal.valueOf(1_000_000);

    private Money() {
    }

    static String format(long micros) {
        return BigDecimal.valueOf(micros).divide(MICROS, 6, RoundingMode.UNNECESSARY).toPlainString();
    }

    static long parseMicros(String option, String text) {
        try {
            BigDecimal v = new BigDecimal(text.trim());
            if (v.signum() < 0) throw new NumberFormatException();
            return v.multiply(MICROS).setScale(0, RoundingMode.UNNECESSARY).longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(option + " must be an amount >= 0 with at most 6 decimals, e.g. 25.50, was '" + text + "'");
        }
    }
}
