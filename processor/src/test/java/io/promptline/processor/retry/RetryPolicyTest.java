package io.promptline.processor.retry;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetryPolicyTest {
    private final RetryPolicy policy = new RetryPolicy(List.of(Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofMinutes(10)),
            3, Duration.ofSeconds(10), 6, 0.2);

    @Test
    void shouldBackOffExponentiallyWithJitterWithinItsBounds() {
        assertThat(policy.backoff(1, null, () -> 0.0)).isEqualTo(Duration.ofSeconds(10));
        assertThat(policy.backoff(1, null, () -> 0.999)).isBetween(Duration.ofSeconds(10), Duration.ofSeconds(12));
        assertThat(policy.backoff(2, null, () -> 0.0)).isEqualTo(Duration.ofSeconds(60));
        assertThat(policy.backoff(3, null, () -> 0.5)).isEqualTo(Duration.ofSeconds(396));
    }

    @Test
    void shouldNeverWaitLessThanTheProviderAsked() {
        assertThat(policy.backoff(1, Duration.ofSeconds(45), () -> 0.0)).isEqualTo(Duration.ofSeconds(45));
        assertThat(policy.backoff(1, Duration.ofSeconds(2), () -> 0.0)).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void shouldCarryAWaitOnTheLargestRungNotAboveIt() {
        assertThat(policy.rungFor(Duration.ofSeconds(12))).isEqualTo(Duration.ofSeconds(10));
        assertThat(policy.rungFor(Duration.ofSeconds(60))).isEqualTo(Duration.ofMinutes(1));
        assertThat(policy.rungFor(Duration.ofHours(2))).isEqualTo(Duration.ofMinutes(10));
        assertThat(policy.rungFor(Duration.ofSeconds(1))).as("shorter than every rung: the first").isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void shouldAllowRetriesUntilTheLastAttempt() {
        assertThat(policy.mayRetry(1)).isTrue();
        assertThat(policy.mayRetry(2)).isTrue();
        assertThat(policy.mayRetry(3)).isFalse();
    }

    @Test
    void shouldRefuseABadLadderNamingIt() {
        assertThatThrownBy(() -> new RetryPolicy(List.of(Duration.ofMinutes(1), Duration.ofSeconds(10)), 3, Duration.ZERO, 2, 0))
                .hasMessageContaining("distinct and ascending").hasMessageContaining("PT1M");
        assertThatThrownBy(() -> new RetryPolicy(List.of(), 3, Duration.ZERO, 2, 0)).hasMessageContaining("at least one delay");
        assertThatThrownBy(() -> new RetryPolicy(List.of(Duration.ofSeconds(1)), 0, Duration.ZERO, 2, 0))
                .hasMessageContaining("max attempts must be >= 1, was 0");
        assertThatThrownBy(() -> new RetryPolicy(List.of(Duration.ofSeconds(1)), 1, Duration.ZERO, 0.5, 0))
                .hasMessageContaining("multiplier must be >= 1, was 0.5");
    }
}
