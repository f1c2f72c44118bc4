package io.promptline.quota;

import io.promptline.avro.BudgetPeriod;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Keys of the spend topic, shared by the cost roll-up that writes it and the processor that
 * checks budgets against it: {@code tenant|currency|D:2026-11-22} (a UTC day) and
 * {@code tenant|currency|M:2026-11} (a UTC month).
 */
public final class SpendKeys {
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyy-MM").withZone(ZoneOffset.UTC);

    private SpendKeys() {
    }

    /** {@code D:2026-11-22} or {@code M:2026-11} (UTC) for the period that contains {@code at}. */
    public static String period(BudgetPeriod period, Instant at) {
        return period == BudgetPeriod.DAILY ? "D:" + DAY.format(at) : "M:" + MONTH.format(at);
    }

    public static String key(String tenant, String currency, BudgetPeriod period, Instant at) {
        return key(tenant, currency, period(period, at));
    }

    public static String key(String tenant, String currency, String period) {
        return tenant + "|" + currency + "|" + period;
    }
}
