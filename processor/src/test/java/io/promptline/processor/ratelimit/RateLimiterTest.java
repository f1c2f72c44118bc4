package io.promptline.processor.ratelimit;

import io.promptline.testkit.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RateLimiterTest {
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private final MutableClock clock = new MutableClock(T0);
    private final Map<String, byte[]> buckets = new HashMap<>();
    private final Map<String, Limits> limits = new HashMap<>();

    private final BucketStore store = new BucketStore() {
        @Override
        public byte[] get(String tenant) {
            return buckets.get(tenant);
        }

        @Override
        public void put(String tenant, byte[] bucket) {
            buckets.put(tenant, bucket);
        }
    };

    private RateLimiter limiter() {
        return new RateLimiter(store, t -> limits.getOrDefault(t, Limits.UNLIMITED), clock, 0.05);
    }

    /**
     * Offers {@code perSecond} requests a second for {@code seconds}; returns when each may start
     * (ms after T0), as asked at admission (the answer is never earlier than the asking time).
     */
    private List<Long> offer(RateLimiter limiter, String tenant, int perSecond, int seconds, long tokens) {
        List<Long> at = new ArrayList<>();
        for (int s = 0; s < seconds; s++) {
            for (int i = 0; i < perSecond; i++) {
                at.add(limiter.allowedAt(tenant, limiter.reserve(tenant, tokens)) - T0.toEpochMilli());
            }
            clock.advance(Duration.ofSeconds(1));
        }
        return at;
    }

    private static long within(List<Long> times, long fromMs, long toMs) {
        return times.stream().filter(t -> t >= fromMs && t < toMs).count();
    }

    @Test
    void shouldStartExactlyTheLimitPerMinuteWhenOfferedThreeTimesIt() {
        // Given a tenant limited to 600 requests a minute (burst 5%: 30 at once), offered 1,800 a minute for 3 minutes
        limits.put("acme", new Limits(600, 0));
        List<Long> starts = offer(limiter(), "acme", 30, 180, 100);

        // Then the first minute holds the burst plus the rate, and every later minute exactly the limit
        // (5,400 requests at 10 a second after the burst: the schedule runs to 537 s)
        assertThat(within(starts, 0, 60_000)).isEqualTo(30 + 599);
        for (int minute = 1; minute < 8; minute++) {
            assertThat(within(starts, minute * 60_000L, (minute + 1) * 60_000L)).as("minute %d", minute).isEqualTo(600);
        }
        // And no second ever holds more than the burst plus that second's share
        for (long s = 0; s < 537; s++) {
            assertThat(within(starts, s * 1000, (s + 1) * 1000)).as("second %d", s).isLessThanOrEqualTo(30 + 10);
        }
        // And requests keep their order
        assertThat(starts).isSorted();
    }

    @Test
    void shouldNotBankIdleTimeBeyondTheBurst() {
        limits.put("acme", new Limits(600, 0));
        RateLimiter limiter = limiter();
        limiter.reserve("acme", 10);
        clock.advance(Duration.ofMinutes(30));

        List<Long> starts = offer(limiter, "acme", 100, 1, 10);

        long idleEnd = Duration.ofMinutes(30).toMillis();
        assertThat(within(starts, idleEnd, idleEnd + 1)).as("at once after 30 idle minutes: only the burst").isEqualTo(30);
        assertThat(within(starts, idleEnd, idleEnd + 1_000)).as("then one every 100 ms").isEqualTo(30 + 9);
    }

    @Test
    void shouldLimitTokensAndCorrectTheEstimateWithRealUsage() {
        // Given 60,000 tokens a minute (1,000 a second; burst 3,000) and requests estimated at 1,000 tokens
        limits.put("acme", new Limits(0, 60_000));
        RateLimiter limiter = limiter();
        List<Reservation> r = new ArrayList<>();
        for (int i = 0; i < 10; i++) r.add(limiter.reserve("acme", 1_000));

        // Then four start at once (their first tokens within the burst) and then one a second
        long t0 = T0.toEpochMilli();
        assertThat(r.stream().map(x -> limiter.allowedAt("acme", x) - t0).toList())
                .containsExactly(0L, 0L, 0L, 0L, 1_000L, 2_000L, 3_000L, 4_000L, 5_000L, 6_000L);

        // When the first calls used only 100 tokens each, later reservations move earlier
        for (int i = 0; i < 4; i++) limiter.correct("acme", 1_000, 100);
        Reservation next = limiter.reserve("acme", 1_000);
        // its first token is at 10,000 - 3,600 = 6,400, less the 3,000-token burst
        assertThat(limiter.allowedAt("acme", next) - t0).isEqualTo(3_400L);
    }

    @Test
    void shouldRetimeWaitingRequestsWhenTheQuotaChanges() {
        // Given 60 a minute (one a second, a burst of 3) and 100 requests reserved
        limits.put("acme", new Limits(60, 0));
        RateLimiter limiter = limiter();
        List<Reservation> r = new ArrayList<>();
        for (int i = 0; i < 100; i++) r.add(limiter.reserve("acme", 1));
        assertThat(limiter.allowedAt("acme", r.get(50)) - T0.toEpochMilli()).isEqualTo((50 - 2) * 1_000L);

        // When after 10 s the limit becomes 600 a minute (burst 30), the waiting requests follow at once:
        // 10 have had their turn, request 50 is 40 further, less the burst, at 100 ms each
        clock.advance(Duration.ofSeconds(10));
        limits.put("acme", new Limits(600, 0));
        long raised = limiter.allowedAt("acme", r.get(50)) - T0.toEpochMilli();
        assertThat(raised).isEqualTo(10_000L + (40 - 29) * 100L);

        // And lowering it spreads them out again, keeping their order
        limits.put("acme", new Limits(6, 0));
        long lowered = limiter.allowedAt("acme", r.get(50)) - T0.toEpochMilli();
        assertThat(lowered).isGreaterThan(raised);
        assertThat(limiter.allowedAt("acme", r.get(51))).isGreaterThan(limiter.allowedAt("acme", r.get(50)));
    }

    @Test
    void shouldKeepTenantsApartAndLetUnlimitedTenantsGoAtOnce() {
        limits.put("slow", new Limits(60, 0));
        RateLimiter limiter = limiter();
        for (int i = 0; i < 50; i++) limiter.reserve("slow", 1);
        Reservation fast = limiter.reserve("fast", 1_000_000);
        assertThat(limiter.allowedAt("fast", fast)).isEqualTo(T0.toEpochMilli());
    }

    @Test
    void shouldContinueTheScheduleFromTheStoreAfterARestart() {
        limits.put("acme", new Limits(60, 0));
        for (int i = 0; i < 10; i++) limiter().reserve("acme", 1);

        // A new limiter on the same store (the task's next owner) continues where the last left off
        Reservation next = limiter().reserve("acme", 1);
        assertThat(limiter().allowedAt("acme", next) - T0.toEpochMilli()).as("position 10 less a burst of 2, at 1 s each").isEqualTo(8_000L);
    }

    @Test
    void shouldRefuseAnInvalidBurstNamingIt() {
        assertThatThrownBy(() -> new RateLimiter(store, t -> Limits.UNLIMITED, clock, 0))
                .hasMessageContaining("burst fraction must be in (0,1], was 0.0");
        assertThatThrownBy(() -> new Limits(-1, 0)).hasMessageContaining("requests_per_minute must be >= 0, was -1");
    }

    @Test
    void shouldCarryAReservationInAHeaderValue() {
        Reservation r = new Reservation(12.0, 3456.5, 789);
        assertThat(Reservation.decode(r.encode())).isEqualTo(r);
        assertThatThrownBy(() -> Reservation.decode("1,2")).hasMessageContaining("requestPosition,tokenPosition,tokens");
    }
}
