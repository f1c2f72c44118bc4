package io.promptline.processor;

import io.micrometer.core.instrument.Gauge;
import io.promptline.avro.CostEvent;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.PromptResult;
import io.promptline.ops.simulator.Arrival;
import io.promptline.ops.simulator.FaultRates;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.retry.RetryPolicy;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When the endpoint, not the request, is wrong (a bad key, an empty account, a wrong base URL), the
 * backlog waits for the fix instead of being dead-lettered; and an answer without usage is an
 * answer, billed on an estimate that says so.
 */
class EndpointFaultTopologyTest {
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final VertxFixture VERTX = new VertxFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:5").build());
    private static final RetryPolicy RETRY = new RetryPolicy(List.of(Duration.ofSeconds(1)), 3, Duration.ofMillis(200), 2, 0);

    private TierHarness tier;

    private void start() {
        tier = TierHarness.start(REGISTRY, SIM, VERTX, RETRY);
    }

    @AfterEach
    void tearDown() {
        tier.close();
        SIM.simulator().faults(FaultRates.NONE);
    }

    private double misconfigured() {
        Gauge g = tier.gateway.metrics().registry().find("promptline.endpoint.misconfigured").gauge();
        return g == null ? -1 : g.value();
    }

    @Test
    void shouldHoldTheBacklogWhileTheKeyIsRejectedAndAnswerItOnceFixed() {
        start();
        // Given a key the provider rejects (every call answers 401)
        SIM.simulator().faults(new FaultRates(0, 0, 0, 0, 0, 0, 1.0));
        tier.send(tier.request("r0", "hello").build());
        tier.pumpUntil(() -> misconfigured() == 1.0);

        // When a backlog arrives, nothing is called and nothing is dead-lettered: the endpoint is paused (the gauge alerts)
        for (int i = 1; i < 20; i++) tier.send(tier.request("r" + i, "hello " + i).build());
        idle();
        tier.clock.advance(Duration.ofSeconds(29));
        idle();
        assertThat(SIM.simulator().stats().requestsReceived()).as("no call while paused").isEqualTo(1);
        assertThat(tier.dlq.isEmpty()).isTrue();

        // When the pause ends one probe goes; it is still refused, so the endpoint pauses again
        tier.clock.advance(Duration.ofSeconds(1));
        tier.pumpUntil(() -> SIM.simulator().stats().requestsReceived() == 2);
        idle();
        assertThat(SIM.simulator().stats().requestsReceived()).as("one probe per pause").isEqualTo(2);
        assertThat(misconfigured()).isEqualTo(1.0);

        // When the key is fixed, the next probe answers and the whole backlog is answered, once each
        SIM.simulator().faults(FaultRates.NONE);
        tier.clock.advance(Duration.ofSeconds(30));
        tier.pumpUntil(() -> tier.results.getQueueSize() == 20);
        List<PromptResult> results = tier.results.readValuesToList();
        assertThat(results).extracting(PromptResult::getRequestId).doesNotHaveDuplicates().hasSize(20);
        assertThat(tier.dlq.isEmpty()).isTrue();
        assertThat(misconfigured()).isZero();
        assertThat(SIM.simulator().stats().requestsReceived()).isEqualTo(22);
        // And each result counts every call made for it, the refused ones included
        Map<String, Long> calls = SIM.simulator().arrivals().stream().collect(Collectors.groupingBy(Arrival::idempotencyKey, Collectors.counting()));
        assertThat(results).allSatisfy(r -> assertThat((long) r.getAttempts()).as("calls made for " + r.getRequestId())
                .isEqualTo(calls.get(r.getRequestId())));
        assertThat(results.stream().mapToInt(PromptResult::getAttempts).sum()).isEqualTo(22);
    }

    @Test
    void shouldDeadLetterARequestRefusedAgainAfterTheEndpointAnsweredOthers() {
        start();
        // Given one request the provider refuses on its own (the key is fine: others are answered)
        tier.send(tier.request("refused", "hello [[sim:401]]").build());
        tier.pumpUntil(() -> misconfigured() == 1.0);
        for (int i = 0; i < 3; i++) tier.send(tier.request("fine-" + i, "hello " + i).build());

        // When the pause ends, the probes answer the others, and the refused one is refused again
        for (int round = 0; round < 6 && tier.dlq.isEmpty(); round++) {
            tier.clock.advance(Duration.ofSeconds(30));
            idle();
        }
        tier.pumpUntil(() -> !tier.dlq.isEmpty() && tier.results.getQueueSize() == 3);

        // Then it alone is dead-lettered, saying why; the others are answered and the endpoint is not paused
        DeadLetter dl = tier.dlq.readValue();
        assertThat(dl.getRequestId()).isEqualTo("refused");
        long refusedCalls = SIM.simulator().arrivals().stream().filter(a -> "refused".equals(a.idempotencyKey())).count();
        assertThat(refusedCalls).isEqualTo(2);
        assertThat(dl.getAttempts()).as("both refused calls made for it").isEqualTo(2);
        assertThat(dl.getCategory()).isEqualTo(ErrorCategory.AUTHENTICATION);
        assertThat(dl.getMessage()).contains("refused again after the endpoint answered other calls");
        assertThat(tier.results.readValuesToList()).extracting(PromptResult::getRequestId).containsExactlyInAnyOrder("fine-0", "fine-1", "fine-2");
        assertThat(misconfigured()).isZero();
    }

    @Test
    void shouldCountRefusedCallsAsMadeButKeepTheRetryBudgetForTheRequestsOwnFailures() {
        start();
        // Given a request the endpoint refuses as misconfigured (a bad key)
        SIM.simulator().faults(new FaultRates(0, 0, 0, 0, 0, 0, 1.0));
        tier.send(tier.request("budget", "hello").build());
        tier.pumpUntil(() -> misconfigured() == 1.0);

        // When the key is fixed but the provider now fails every call (503), the request still gets its whole retry budget
        SIM.simulator().faults(new FaultRates(0, 0, 1.0, 0, 0, 0, 0));
        var ladder = tier.rung(Duration.ofSeconds(1));
        for (int round = 0; round < 20 && tier.dlq.isEmpty(); round++) {
            tier.clock.advance(Duration.ofSeconds(30));
            idle();
            while (!ladder.isEmpty()) tier.relay(ladder.readRecord());
        }
        tier.pumpUntil(() -> !tier.dlq.isEmpty());

        // Then it is dead-lettered after 1 refused + 3 failed calls, and says so: every call counted, the refusal not budgeted
        DeadLetter dl = tier.dlq.readValue();
        long calls = SIM.simulator().arrivals().stream().filter(a -> "budget".equals(a.idempotencyKey())).count();
        assertThat(calls).isEqualTo(1 + RETRY.maxAttempts());
        assertThat(dl.getCategory()).isEqualTo(ErrorCategory.PROVIDER_ERROR);
        assertThat(dl.getAttempts()).isEqualTo(calls);
        assertThat(dl.getMessage()).contains("after " + calls + " attempts");
    }

    /** Runs the punctuator a while (the wall clock of the driver), without moving the processor's clock. */
    private void idle() {
        for (int i = 0; i < 10; i++) {
            tier.driver.advanceWallClockTime(Duration.ofMillis(20));
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void shouldAnswerARequestWhoseAnswerHasNoUsageAndMarkItsCostEstimated() {
        start();
        tier.send(tier.request("bare", "hello [[sim:no_usage]]").setMaxTokens(50).build());
        tier.pumpUntil(() -> !tier.results.isEmpty());

        PromptResult result = tier.results.readValue();
        assertThat(result.getUsage().getEstimated()).isTrue();
        assertThat(result.getUsage().getPromptTokens()).isPositive();
        assertThat(result.getUsage().getCompletionTokens()).isPositive();
        CostEvent cost = tier.driver.createOutputTopic(tier.topics.costs(), new StringDeserializer(), tier.serdes.cost().deserializer())
                .readValue();
        assertThat(cost.getUsageEstimated()).isTrue();
        assertThat(cost.getPromptTokens()).isEqualTo(result.getUsage().getPromptTokens());
        // gpt-4.1 at $2 in and $8 out per MTok, in micro-units, half-up once
        long expected = cost.getPromptTokens() * 2 + cost.getCompletionTokens() * 8;
        assertThat(cost.getCostMicros()).isEqualTo(expected);
        assertThat(SIM.simulator().stats().requestsReceived()).as("answered, not retried").isEqualTo(1);
        assertThat(tier.dlq.isEmpty()).isTrue();
    }
}
