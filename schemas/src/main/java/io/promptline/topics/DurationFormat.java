package io.promptline.topics;

import java.time.Duration;

/** Compact duration text used in topic names and config: {@code 500ms}, {@code 10s}, {@code 1m}, {@code 2h}. */
public final class DurationFormat {
    private DurationFormat() {
    }

    public static String compact(Duration d) {
        long ms = d.toMillis();
        if (ms <= 0) throw new IllegalArgumentException("duration must be positive, was " + d);
        if (ms % 3_600_000 == 0) return ms / 3_600_000 + "h";
        if (ms % 60_000 == 0) return ms / 60_000 + "m";
        if (ms % 1_000 == 0) return ms / 1_000 + "s";
        return ms + "ms";
    }

    /** Parses {@code 250ms}, {@code 10s}, {@code 5m}, {@code 1h}; the message names the offending text. */
    public static Duration parse(String text) {
        String t = text == null ? "" : text.trim();
        try {
            if (t.endsWith("ms")) return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            if (t.endsWith("s")) return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
            if (t.endsWith("m")) return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
            if (t.endsWith("h")) return Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("'" + text + "' is not a duration; use e.g. 250ms, 10s, 5m or 1h");
    }
}
