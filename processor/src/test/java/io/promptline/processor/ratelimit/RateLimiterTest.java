package io.promptline.processor.ratelimit;

import io.promptline.testkit.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The rate limiter on an injected clock: a simulated dispatcher starts queued requests whenever the limiter allows. */
class RateLimiterTest {
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private static final long STEP_MS = 5; // the processor's punctuation interval
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

    private long elapsed() {
        return clock.millis() - T0.toEpochMilli();
    }

    /** Starts what the limiter allows now from the queue; returns the start times (ms after T0). */
    private List<Long> startAllowed(RateLimiter limiter, String tenant, Deque<Reservation> queue) {
        List<Long> starts = new ArrayList<>();
        while (!queue.isEmpty() && limiter.tryStart(tenant, queue.peek())) {
            queue.poll();
            starts.add(elapsed());
        }
        return starts;
    }

    /** Offers {@code perSecond} requests a second for {@code offerSeconds}, dispatching every 5 ms for {@code runSeconds}. */
    private List<Long> run(RateLimiter limiter, String tenant, int perSecond, int offerSeconds, int runSeconds, long tokens) {
        Deque<Reservation> queue = new ArrayDeque<>();
        List<Long> starts = new ArrayList<>();
        for (long t = 0; t < runSeconds * 1000L; t += STEP_MS) {
            if (t % 1000 == 0 && t < offerSeconds * 1000L) {
                for (int i = 0; i < perSecond; i++) queue.add(limiter.reserve(tenant, tokens));
            }
            starts.addAll(startAllowed(limiter, tenant, queue));
            clock.advance(Duration.ofMillis(STEP_MS));
        }
        return starts;
    }

    private static long within(List<Long> times, long fromMs, long toMs) {
        return times.stream().filter(t -> t >= fromMs && t < toMs).count();
    }

    @Test
    void shouldStartExactlyTheLimitPerMinuteWhenOfferedThreeTimesIt() {
        // Given a tenant limited to 600 requests a minute (burst 5%: 30 at once), offered 1,800 a minute for 3 minutes
        limits.put("acme", new Limits(600, 0));
        List<Long> starts = run(limiter(), "acme", 30, 180, 300, 100);

        // Then the first minute holds the burst plus the rate, and every later minute exactly the limit
        assertThat(within(starts, 0, 60_000)).isEqualTo(30 + 599);
        for (int minute = 1; minute < 5; minute++) {
            assertThat(within(starts, minute * 60_000L, (minute + 1) * 60_000L)).as("minute %d", minute).isEqualTo(600);
        }
        // And no second ever holds more than the burst plus that second's share
        for (long ms = 0; ms < 299_000; ms += 100) {
            assertThat(within(starts, ms, ms + 1000)).as("1 s from %d ms", ms).isLessThanOrEqualTo(30 + 10);
        }
    }

    @Test
    void shouldNotBankIdleTimeBeyondTheBurst() {
        limits.put("acme", new Limits(600, 0));
        RateLimiter limiter = limiter();
        Deque<Reservation> one = new ArrayDeque<>(List.of(limiter.reserve("acme", 10)));
        startAllowed(limiter, "acme", one);
        clock.advance(Duration.ofMinutes(30));
        long idleEnd = elapsed();

        List<Long> starts = run(limiter, "acme", 100, 1, 2, 10);

        assertThat(within(starts, idleEnd, idleEnd + 1)).as("at once after 30 idle minutes: only the burst").isEqualTo(30);
        assertThat(within(starts, idleEnd, idleEnd + 1_000)).as("then one every 100 ms").isEqualTo(30 + 9);
    }

    @Test
    void shouldLimitTokensAndCorrectTheEstimateWithRealUsage() {
        // Given 60,000 tokens a minute (1,000 a second; burst 3,000) and requests estimated at 1,000 tokens
        limits.put("acme", new Limits(0, 60_000));
        RateLimiter limiter = limiter();
        Deque<Reservation> queue = new ArrayDeque<>();
        for (int i = 0; i < 10; i++) queue.add(limiter.reserve("acme", 1_000));

        // Then four start at once (the burst covers what started before each) and then one a second
        List<Long> starts = new ArrayList<>(startAllowed(limiter, "acme", queue));
        assertThat(starts).containsExactly(0L, 0L, 0L, 0L);
        assertThat(limiter.nextStart("acme") - T0.toEpochMilli()).isEqualTo(1_000L);

        // When those four used only 100 tokens each, the 3,600 tokens given back let three more start at once
        for (int i = 0; i < 4; i++) limiter.correct("acme", 1_000, 100);
        assertThat(limiter.nextStart("acme")).isEqualTo(clock.millis());
        assertThat(startAllowed(limiter, "acme", queue)).hasSize(3);
    }

    @Test
    void shouldStartTheNewLimitAtOnceAfterARaiseWithoutAnExtraBurst() {
        // Given a tenant at 1,200 a minute with a backlog, saturated for 30 s
        limits.put("acme", new Limits(1_200, 0));
        RateLimiter limiter = limiter();
        Deque<Reservation> queue = new ArrayDeque<>();
        for (int i = 0; i < 3_000; i++) queue.add(limiter.reserve("acme", 1));
        List<Long> starts = new ArrayList<>();
        for (int i = 0; i < 30_000 / STEP_MS; i++) {
            starts.addAll(startAllowed(limiter, "acme", queue));
            clock.advance(Duration.ofMillis(STEP_MS));
        }
        assertThat(within(starts, 10_000, 30_000)).isEqualTo(20 * 20);

        // When the limit is raised to 3,000 a minute, the backlog starts at 50 a second from the next second, no burst
        long changed = elapsed();
        limits.put("acme", new Limits(3_000, 0));
        for (int i = 0; i < 20_000 / STEP_MS; i++) {
            starts.addAll(startAllowed(limiter, "acme", queue));
            clock.advance(Duration.ofMillis(STEP_MS));
        }
        assertThat(within(starts, changed, changed + 1_000)).isBetween(49L, 50L);
        for (int s = 1; s < 20; s++) {
            assertThat(within(starts, changed + s * 1_000L, changed + (s + 1) * 1_000L)).as("second %d after the raise", s).isEqualTo(50);
        }

        // And lowering it to 60 a minute slows the next starts to one a second
        long lowered = elapsed();
        limits.put("acme", new Limits(60, 0));
        for (int i = 0; i < 10_000 / STEP_MS; i++) {
            starts.addAll(startAllowed(limiter, "acme", queue));
            clock.advance(Duration.ofMillis(STEP_MS));
        }
        assertThat(within(starts, lowered + 1_000, lowered + 10_000)).isBetween(8L, 9L);
    }

    @Test
    void shouldNotLetRequestsThatComeBackLateStartAboveTheRate() {
        // Given 600 requests reserved at once for a tenant of 600 a minute, all arriving to start 30 s late
        limits.put("acme", new Limits(600, 0));
        RateLimiter limiter = limiter();
        Deque<Reservation> late = new ArrayDeque<>();
        for (int i = 0; i < 600; i++) late.add(limiter.reserve("acme", 1));
        clock.advance(Duration.ofSeconds(30));
        long back = elapsed();

        // Then they still start at the rate (after the burst), not all at once
        List<Long> starts = new ArrayList<>();
        for (int i = 0; i < 10_000 / STEP_MS; i++) {
            starts.addAll(startAllowed(limiter, "acme", late));
            clock.advance(Duration.ofMillis(STEP_MS));
        }
        assertThat(within(starts, back, back + 1)).isEqualTo(30);
        assertThat(within(starts, back, back + 10_000)).isEqualTo(30 + 99);
    }

    @Test
    void shouldEstimateTheWaitFromWhatIsQueuedAhead() {
        limits.put("acme", new Limits(60, 0));
        RateLimiter limiter = limiter();
        List<Reservation> r = new ArrayList<>();
        for (int i = 0; i < 100; i++) r.add(limiter.reserve("acme", 1));
        // 1 a second with a burst of 3: the 51st waits behind 50
        assertThat(limiter.estimatedStart("acme", r.get(0))).isEqualTo(clock.millis());
        assertThat(limiter.estimatedStart("acme", r.get(50)) - clock.millis()).isEqualTo(50_000L);

        // Requests that end without a call no longer count as queued ahead
        for (int i = 0; i < 10; i++) limiter.giveUp("acme", r.get(i));
        assertThat(limiter.estimatedStart("acme", r.get(50)) - clock.millis()).isEqualTo(40_000L);
    }

    @Test
    void shouldKeepTenantsApartAndLetUnlimitedTenantsGoAtOnce() {
        limits.put("slow", new Limits(60, 0));
        RateLimiter limiter = limiter();
        for (int i = 0; i < 50; i++) limiter.tryStart("slow", limiter.reserve("slow", 1));
        Reservation fast = limiter.reserve("fast", 1_000_000);
        assertThat(limiter.estimatedStart("fast", fast)).isEqualTo(clock.millis());
        assertThat(limiter.tryStart("fast", fast)).isTrue();
        assertThat(limiter.nextStart("slow")).isGreaterThan(clock.millis());
    }

    @Test
    void shouldContinueFromTheStoreAfterARestart() {
        limits.put("acme", new Limits(60, 0));
        RateLimiter before = limiter();
        for (int i = 0; i < 3; i++) assertThat(before.tryStart("acme", before.reserve("acme", 1))).isTrue();
        assertThat(before.tryStart("acme", before.reserve("acme", 1))).as("burst of 3 used").isFalse();

        // A new limiter on the same store (the task's next owner) continues where the last left off
        RateLimiter after = limiter();
        assertThat(after.nextStart("acme") - clock.millis()).isEqualTo(1_000L);
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
