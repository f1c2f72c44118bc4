package io.promptline.processor.provider;

import io.vertx.core.MultiMap;

import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a provider's answer says about waiting: {@code retry-after-ms}, then {@code retry-after}
 * (seconds or an HTTP date); and the {@code x-ratelimit-remaining-requests|tokens} /
 * {@code x-ratelimit-reset-requests|tokens} pairs OpenAI-style APIs send with every answer
 * (resets look like {@code 1s}, {@code 6m0s}, {@code 20ms}); Anthropic's
 * {@code anthropic-ratelimit-*} windows with RFC 3339 resets.
 */
final class ProviderSignals {
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

    private ProviderSignals() {
    }

    /** How long the provider asked us to wait before trying again, or null. */
    public static Duration retryAfter(MultiMap headers, Clock clock) {
        String ms = headers.get("retry-after-ms");
        if (ms != null) {
            try {
                return Duration.ofMillis(Math.max(0, (long) Double.parseDouble(ms.trim())));
            } catch (NumberFormatException ignored) {
                // fall back to retry-after
            }
        }
        String ra = headers.get("retry-after");
        if (ra == null || ra.isBlank()) return null;
        try {
            return Duration.ofMillis(Math.max(0, (long) (Double.parseDouble(ra.trim()) * 1000)));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(ra.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(clock.instant(), at.toInstant());
                return d.isNegative() ? Duration.ZERO : d;
            } catch (DateTimeParseException notDate) {
                return null;
            }
        }
    }

    /**
     * How long no call should go to this endpoint: until the reset of an exhausted request or token
     * window ({@code x-ratelimit-remaining-* = 0}), or null when neither is exhausted.
     */
    public static Duration exhaustedFor(MultiMap headers) {
        Duration requests = exhausted(headers, "requests");
        Duration tokens = exhausted(headers, "tokens");
        if (requests == null) return tokens;
        if (tokens == null) return requests;
        return requests.compareTo(tokens) >= 0 ? requests : tokens;
    }

    private static Duration exhausted(MultiMap headers, String what) {
        String remaining = headers.get("x-ratelimit-remaining-" + what);
        if (remaining == null) return null;
        try {
            if (Double.parseDouble(remaining.trim()) > 0) return null;
        } catch (NumberFormatException e) {
            return null;
        }
        return parseReset(headers.get("x-ratelimit-reset-" + what));
    }

    /**
     * Anthropic's windows: the latest reset (RFC 3339) among those of {@code requests},
     * {@code tokens}, {@code input-tokens} and {@code output-tokens} whose
     * {@code anthropic-ratelimit-*-remaining} is 0, or null when none is exhausted.
     */
    public static Duration anthropicExhaustedFor(MultiMap headers, Clock clock) {
        Duration longest = null;
        for (String what : new String[] {"requests", "tokens", "input-tokens", "output-tokens"}) {
            String remaining = headers.get("anthropic-ratelimit-" + what + "-remaining");
            if (remaining == null) continue;
            try {
                if (Double.parseDouble(remaining.trim()) > 0) continue;
                java.time.Instant reset = java.time.OffsetDateTime.parse(headers.get("anthropic-ratelimit-" + what + "-reset").trim()).toInstant();
                Duration d = Duration.between(clock.instant(), reset);
                if (d.isNegative()) d = Duration.ZERO;
                if (longest == null || d.compareTo(longest) > 0) longest = d;
            } catch (RuntimeException unreadable) {
                // a window it cannot read says nothing
            }
        }
        return longest;
    }

    /** Parses {@code 1s}, {@code 6m0s}, {@code 1h2m3.5s}, {@code 20ms} or plain seconds; null if unreadable. */
    static Duration parseReset(String value) {
        if (value == null || value.isBlank()) return null;
        String v = value.trim().toLowerCase(Locale.ROOT);
        try {
            return Duration.ofMillis((long) (Double.parseDouble(v) * 1000));
        } catch (NumberFormatException notPlain) {
            // units below
        }
        Matcher m = DURATION_PART.matcher(v);
        double millis = 0;
        int end = 0;
        while (m.find()) {
            if (m.start() != end) return null;
            double n = Double.parseDouble(m.group(1));
            millis += switch (m.group(2)) {
                case "ms" -> n;
                case "s" -> n * 1000;
                case "m" -> n * 60_000;
                default -> n * 3_600_000;
            };
            end = m.end();
        }
        return end == v.length() && end > 0 ? Duration.ofMillis((long) Math.ceil(millis)) : null;
    }
}
