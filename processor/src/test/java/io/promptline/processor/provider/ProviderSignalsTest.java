package io.promptline.processor.provider;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

class ProviderSignalsTest {
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);

    private static MultiMap headers(String... kv) {
        MultiMap m = MultiMap.caseInsensitiveMultiMap();
        for (int i = 0; i < kv.length; i += 2) m.add(kv[i], kv[i + 1]);
        return m;
    }

    @Test
    void shouldReadRetryAfterInMillisecondsSecondsOrAsAnHttpDate() {
        assertThat(ProviderSignals.retryAfter(headers("retry-after-ms", "1500", "retry-after", "9"), clock)).isEqualTo(Duration.ofMillis(1500));
        assertThat(ProviderSignals.retryAfter(headers("Retry-After", "2"), clock)).isEqualTo(Duration.ofSeconds(2));
        assertThat(ProviderSignals.retryAfter(headers("retry-after", "Sun, 22 Nov 2026 10:00:30 GMT"), clock)).isEqualTo(Duration.ofSeconds(30));
        assertThat(ProviderSignals.retryAfter(headers("retry-after", "Sun, 22 Nov 2026 09:00:00 GMT"), clock)).isEqualTo(Duration.ZERO);
        assertThat(ProviderSignals.retryAfter(headers("retry-after", "soon"), clock)).isNull();
        assertThat(ProviderSignals.retryAfter(headers(), clock)).isNull();
    }

    @Test
    void shouldParseOpenAiResetDurations() {
        assertThat(ProviderSignals.parseReset("1s")).isEqualTo(Duration.ofSeconds(1));
        assertThat(ProviderSignals.parseReset("6m0s")).isEqualTo(Duration.ofMinutes(6));
        assertThat(ProviderSignals.parseReset("20ms")).isEqualTo(Duration.ofMillis(20));
        assertThat(ProviderSignals.parseReset("1h2m3.5s")).isEqualTo(Duration.ofMillis(3_723_500));
        assertThat(ProviderSignals.parseReset("0.5")).isEqualTo(Duration.ofMillis(500));
        assertThat(ProviderSignals.parseReset("1x")).isNull();
        assertThat(ProviderSignals.parseReset("s1")).isNull();
    }

    @Test
    void shouldHoldOffOnlyWhenAWindowIsExhausted() {
        assertThat(ProviderSignals.exhaustedFor(headers("x-ratelimit-remaining-requests", "12", "x-ratelimit-reset-requests", "1s"))).isNull();
        assertThat(ProviderSignals.exhaustedFor(headers("x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "1s",
                "x-ratelimit-remaining-tokens", "0", "x-ratelimit-reset-tokens", "6m0s"))).isEqualTo(Duration.ofMinutes(6));
        assertThat(ProviderSignals.exhaustedFor(headers("x-ratelimit-remaining-tokens", "0", "x-ratelimit-reset-tokens", "250ms")))
                .isEqualTo(Duration.ofMillis(250));
    }
}
