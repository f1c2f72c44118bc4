package io.promptline.processor.provider;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class DeploymentLimitsTest {
    /** Offers a call of each kind every millisecond for {@code minutes}; returns the calls taken per minute, [minute][urgent?1:0]. */
    private static long[][] offer(DeploymentLimits limits, int minutes, boolean urgentToo, long tokens) {
        long[][] taken = new long[minutes][2];
        for (long now = 0; now < minutes * 60_000L; now++) {
            int minute = (int) (now / 60_000);
            if (limits.tryTake(false, tokens, now)) taken[minute][0]++;
            if (urgentToo && limits.tryTake(true, tokens, now)) taken[minute][1]++;
        }
        return taken;
    }

    @Test
    void shouldTakeExactlyItsShareOfTheRequestsPerMinuteAndNeverMore() {
        // 600 RPM shared by three instances: this one may send 200 a minute
        DeploymentLimits limits = new DeploymentLimits(600, 0, 0, () -> 1.0 / 3);
        long[][] taken = offer(limits, 5, false, 100);
        // the first minute may take one call more (two may go at once: a call late for its slot keeps it), never two
        assertThat(taken[0][0]).isBetween(199L, 201L);
        for (int m = 1; m < 5; m++) assertThat(taken[m][0]).isBetween(199L, 200L);
    }

    @Test
    void shouldKeepTheUrgentReserveForUrgentCallsOnly() {
        // 600 RPM, 20% reserved for urgent: batch alone gets 480 a minute; urgent, offered as much, gets the rest
        DeploymentLimits limits = new DeploymentLimits(600, 0, 0.2, () -> 1.0);
        long[][] alone = offer(limits, 3, false, 0);
        assertThat(alone[0][0]).isBetween(479L, 481L);
        for (int m = 1; m < 3; m++) assertThat(alone[m][0]).isBetween(479L, 480L);

        DeploymentLimits shared = new DeploymentLimits(600, 0, 0.2, () -> 1.0);
        long[][] both = offer(shared, 3, true, 0);
        for (int m = 0; m < 3; m++) {
            assertThat(both[m][0] + both[m][1]).as("all calls").isBetween(599L, m == 0 ? 601L : 600L);
            assertThat(both[m][1]).as("urgent calls").isGreaterThanOrEqualTo(119L);
        }
    }

    @Test
    void shouldLimitTokensPerMinuteOnTheEstimate() {
        // 60,000 TPM at 1,000 tokens a call: 60 calls a minute, whatever the RPM
        DeploymentLimits limits = new DeploymentLimits(10_000, 60_000, 0, () -> 1.0);
        long[][] taken = offer(limits, 4, false, 1_000);
        // the first minute may take one more second of tokens (the tolerance); then exactly the rate
        assertThat(taken[0][0]).isBetween(60L, 61L);
        for (int m = 1; m < 4; m++) assertThat(taken[m][0]).isBetween(59L, 60L);
    }

    @Test
    void shouldFollowTheShareAsInstancesComeAndGo() {
        AtomicReference<Double> share = new AtomicReference<>(1.0);
        DeploymentLimits limits = new DeploymentLimits(600, 0, 0, share::get);
        long first = 0;
        long second = 0;
        for (long now = 0; now < 120_000; now++) {
            if (now == 60_000) share.set(0.5); // a second instance joined
            if (limits.tryTake(false, 0, now)) {
                if (now < 60_000) first++;
                else second++;
            }
        }
        assertThat(first).isBetween(599L, 601L);
        assertThat(second).isBetween(299L, 301L);
    }

    @Test
    void shouldNotLimitWithoutLimits() {
        DeploymentLimits none = DeploymentLimits.unlimited();
        for (int i = 0; i < 10_000; i++) assertThat(none.tryTake(false, 1_000_000, 0)).isTrue();
    }

    @Test
    void shouldCountACallsTokensOnlyWhenATokensPerMinuteLimitNeedsThem() {
        java.util.concurrent.atomic.AtomicInteger counted = new java.util.concurrent.atomic.AtomicInteger();
        java.util.function.LongSupplier estimate = () -> {
            counted.incrementAndGet();
            return 100;
        };
        assertThat(DeploymentLimits.unlimited().tryTake(false, estimate, 0)).isTrue();
        assertThat(new DeploymentLimits(600, 0, 0, () -> 1.0).tryTake(false, estimate, 0)).isTrue();
        assertThat(counted).as("no TPM limit: the prompt is not tokenized").hasValue(0);

        DeploymentLimits tpm = new DeploymentLimits(0, 6_000, 0, () -> 1.0); // 100 tokens a second
        assertThat(tpm.tryTake(false, estimate, 0)).isTrue();
        assertThat(counted).hasValue(1);
        long taken = 1;
        for (long now = 1; now <= 10_000; now++) if (tpm.tryTake(false, estimate, now)) taken++;
        assertThat(taken).as("100-token calls within 6,000 tokens a minute, over 10 s (+ a second's tolerance)").isBetween(10L, 12L);
    }
}
