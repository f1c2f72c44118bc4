package io.promptline.processor.provider;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.TokenUsage;
import io.promptline.processor.provider.CallOutcome;
import io.promptline.processor.provider.ChatCall;
import io.promptline.processor.provider.ChatClient;
import io.promptline.testkit.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static org.assertj.core.api.Assertions.assertThat;

class EndpointTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));
    private final ChatClient unused = new ChatClient() {
        @Override
        public CompletionStage<CallOutcome> call(ChatCall call) {
            return new CompletableFuture<>();
        }

        @Override
        public String provider() {
            return "test";
        }

        @Override
        public void close() {
        }
    };
    private final Endpoint endpoint = new Endpoint("test", "http://test/v1", unused,
            new Endpoint.BreakerSettings(5, Duration.ofSeconds(60), 2), new AdaptiveLimit(100, 1, 1_000), Duration.ofSeconds(30), clock);

    private static CallOutcome failure(ErrorCategory c, Integer status) {
        return new CallOutcome.Failure(c, status, "boom", 10);
    }

    private static CallOutcome ok() {
        return new CallOutcome.Success("m", "hi", "stop", new TokenUsage(1L, 1L, 0L, 0L, 0L, false), 10, null);
    }

    private void call(CallOutcome outcome) {
        assertThat(endpoint.tryAcquire("m")).isEqualTo(Endpoint.Slot.ACQUIRED);
        endpoint.release("m", outcome);
    }

    @Test
    void shouldOpenAfterFiveConsecutiveProviderFailuresAndHalfOpenAfterTheWait() {
        for (int i = 0; i < 4; i++) call(failure(ErrorCategory.PROVIDER_ERROR, 503));
        call(ok());
        for (int i = 0; i < 4; i++) call(failure(ErrorCategory.TIMEOUT, null));
        assertThat(endpoint.breakerState()).as("a success in between resets the count").isEqualTo(CircuitBreaker.State.CLOSED);

        call(failure(ErrorCategory.NETWORK, null));
        assertThat(endpoint.breakerState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(endpoint.tryAcquire("m")).isEqualTo(Endpoint.Slot.OPEN);

        clock.advance(Duration.ofSeconds(59));
        assertThat(endpoint.tryAcquire("m")).as("no call while open").isEqualTo(Endpoint.Slot.OPEN);
        clock.advance(Duration.ofMillis(1_001)); // resilience4j half-opens strictly after the wait
        call(ok());
        assertThat(endpoint.breakerState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        call(ok());
        assertThat(endpoint.breakerState()).as("both probes answered").isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void shouldNotCountThrottlingOrClientErrorsAgainstTheProvider() {
        for (int i = 0; i < 10; i++) call(failure(ErrorCategory.RATE_LIMIT, 429));
        for (int i = 0; i < 10; i++) call(failure(ErrorCategory.INVALID_REQUEST, 400));
        for (int i = 0; i < 10; i++) call(failure(ErrorCategory.AUTHENTICATION, 401));
        assertThat(endpoint.breakerState()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void shouldPauseWhileTheProviderAskedToWait() {
        assertThat(endpoint.tryAcquire("m")).isEqualTo(Endpoint.Slot.ACQUIRED);
        endpoint.release("m", new CallOutcome.Failure(ErrorCategory.RATE_LIMIT, 429, "slow down", Duration.ofSeconds(2), 5, Duration.ofSeconds(2),
                CallOutcome.EndpointFault.NONE));
        assertThat(endpoint.tryAcquire("m")).isEqualTo(Endpoint.Slot.PAUSED);
        clock.advance(Duration.ofMillis(1999));
        assertThat(endpoint.tryAcquire("m")).isEqualTo(Endpoint.Slot.PAUSED);
        clock.advance(Duration.ofMillis(1));
        assertThat(endpoint.tryAcquire("m")).isEqualTo(Endpoint.Slot.ACQUIRED);
    }

    private static CallOutcome fault(CallOutcome.EndpointFault fault, int status) {
        return new CallOutcome.Failure(ErrorCategory.AUTHENTICATION, status, "HTTP " + status, null, 5, null, fault);
    }

    @Test
    void shouldPauseAMisconfiguredEndpointAndLetOneProbeThroughUntilItAnswers() {
        // Given a wrong key: the first 401 pauses the endpoint for the fault pause (30 s here)
        call(fault(CallOutcome.EndpointFault.CREDENTIALS, 401));
        assertThat(endpoint.faulted()).isTrue();
        assertThat(endpoint.misconfigured()).isEqualTo(1);
        assertThat(endpoint.tryAcquire("m")).isEqualTo(Endpoint.Slot.FAULTED);
        clock.advance(Duration.ofSeconds(29));
        assertThat(endpoint.tryAcquire("other")).as("no call of any model").isEqualTo(Endpoint.Slot.FAULTED);

        // When the pause ends, exactly one probe goes; a second 401 pauses again
        clock.advance(Duration.ofSeconds(1));
        assertThat(endpoint.tryAcquire("m")).isEqualTo(Endpoint.Slot.ACQUIRED);
        assertThat(endpoint.tryAcquire("m")).as("one probe at a time").isEqualTo(Endpoint.Slot.FAULTED);
        endpoint.release("m", fault(CallOutcome.EndpointFault.CREDENTIALS, 401));
        assertThat(endpoint.tryAcquire("m")).isEqualTo(Endpoint.Slot.FAULTED);

        // Then once the key is fixed, the next probe answers and every call may go again
        clock.advance(Duration.ofSeconds(30));
        call(ok());
        assertThat(endpoint.faulted()).isFalse();
        assertThat(endpoint.tryAcquire("m")).isEqualTo(Endpoint.Slot.ACQUIRED);
        assertThat(endpoint.breakerState()).as("a misconfiguration is not an outage").isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void shouldPauseOnlyAModelTheEndpointDoesNotServe() {
        call(fault(CallOutcome.EndpointFault.MODEL_NOT_FOUND, 404));
        assertThat(endpoint.tryAcquire("m")).isEqualTo(Endpoint.Slot.MODEL_FAULTED);
        assertThat(endpoint.faulted()).isFalse();
        assertThat(endpoint.tryAcquire("gpt-4.1")).as("other models go on").isEqualTo(Endpoint.Slot.ACQUIRED);
    }

    @Test
    void shouldHalveConcurrencyOnThrottlingOncePerIntervalAndRecoverOnSuccess() {
        AdaptiveLimit limit = new AdaptiveLimit(64, 4, 1_000);
        for (int i = 0; i < 10; i++) assertThat(limit.tryAcquire()).isTrue();
        for (int i = 0; i < 10; i++) limit.release(true, 5_000);
        assertThat(limit.limit()).as("one burst of 429s halves once").isEqualTo(32);
        for (int step = 1; step <= 5; step++) {
            assertThat(limit.tryAcquire()).isTrue();
            limit.release(true, 5_000 + step * 1_000L);
        }
        assertThat(limit.limit()).as("never below the floor").isEqualTo(4);
        for (int i = 0; i < 4; i++) assertThat(limit.tryAcquire()).isTrue();
        assertThat(limit.tryAcquire()).as("at the limit").isFalse();
        for (int i = 0; i < 4; i++) limit.release(false, 20_000);
        assertThat(limit.limit()).isEqualTo(8);
    }

    @Test
    void shouldKeepUrgentGoingThroughAStormOf429sCausedByBatchTraffic() {
        // A deployment of 10 concurrent calls with 20% reserved for urgent, 600 RPM
        Endpoint d = new Endpoint("test", "http://test/v1", unused, new Endpoint.BreakerSettings(5, Duration.ofSeconds(60), 2),
                new AdaptiveLimit(10, 1, 1_000), Duration.ofSeconds(30), Duration.ofSeconds(30), clock,
                new EndpointShape("d", java.util.Set.of("m"), new DeploymentLimits(600_000, 0, 0.2, () -> 1.0), CapacityView.ALONE, 0.2));
        // Non-urgent calls fill their 8 slots; urgent still has 2
        for (int i = 0; i < 8; i++) assertThat(d.tryAcquire("m", false, 10)).isEqualTo(Endpoint.Slot.ACQUIRED);
        assertThat(d.tryAcquire("m", false, 10)).isEqualTo(Endpoint.Slot.SATURATED);
        assertThat(d.tryAcquire("m", true, 10)).isEqualTo(Endpoint.Slot.ACQUIRED);
        assertThat(d.tryAcquire("m", true, 10)).isEqualTo(Endpoint.Slot.ACQUIRED);
        assertThat(d.tryAcquire("m", true, 10)).as("the deployment's 10 in all").isEqualTo(Endpoint.Slot.SATURATED);
        d.release("m", true, ok());
        d.release("m", true, ok());

        // The batch calls are answered 429 with Retry-After 20 s: batch pauses and halves, urgent goes on
        for (int i = 0; i < 8; i++) {
            d.release("m", false, new CallOutcome.Failure(ErrorCategory.RATE_LIMIT, 429, "slow down", Duration.ofSeconds(20), 5,
                    Duration.ofSeconds(20), CallOutcome.EndpointFault.NONE));
        }
        clock.advance(Duration.ofMillis(100));
        assertThat(d.tryAcquire("m", false, 10)).isEqualTo(Endpoint.Slot.PAUSED);
        assertThat(d.tryAcquire("m", true, 10)).isEqualTo(Endpoint.Slot.ACQUIRED);
        assertThat(d.tryAcquire("other-model", true, 10)).isEqualTo(Endpoint.Slot.NOT_SERVED);
        // A 429 answered to an urgent call pauses everyone
        d.release("m", true, new CallOutcome.Failure(ErrorCategory.RATE_LIMIT, 429, "slow down", Duration.ofSeconds(5), 5,
                Duration.ofSeconds(5), CallOutcome.EndpointFault.NONE));
        assertThat(d.tryAcquire("m", true, 10)).isEqualTo(Endpoint.Slot.PAUSED);
    }
}
