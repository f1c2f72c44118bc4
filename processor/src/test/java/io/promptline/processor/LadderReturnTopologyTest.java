package io.promptline.processor;

import io.micrometer.core.instrument.Counter;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.output.FailureHeaders;
import io.promptline.processor.output.Origin;
import io.promptline.processor.retry.RetryHeaders;
import io.promptline.processor.retry.RetryPolicy;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request in the delay ladder is never forgotten: however late its record comes back, and
 * whichever task it comes back to, it is processed, or recognised as a true duplicate of a request
 * already answered or in flight.
 */
class LadderReturnTopologyTest {
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final VertxFixture VERTX = new VertxFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:5").build());
    private static final Duration RUNG = Duration.ofSeconds(1);
    private static final RetryPolicy RETRY = new RetryPolicy(List.of(RUNG, Duration.ofSeconds(5)), 3, Duration.ofMillis(200), 2, 0);

    private TierHarness tier;
    private TestOutputTopic<String, byte[]> ladder;

    private void start() {
        tier = TierHarness.start(REGISTRY, SIM, VERTX, RETRY);
        ladder = tier.rung(RUNG);
    }

    @AfterEach
    void tearDown() {
        tier.close();
    }

    /** Runs the punctuator for a while of wall-clock time (housekeeping included) without expecting output. */
    private void idle() {
        for (int i = 0; i < 20; i++) tier.driver.advanceWallClockTime(Duration.ofSeconds(61));
    }

    private double duplicates(String reason) {
        Counter c = tier.gateway.metrics().registry().find("promptline.duplicates").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void shouldAnswerARetryThatComesBackHoursLate() {
        start();
        // Given a request whose first call fails and that waits in the ladder
        tier.send(tier.request("late", "hello [[sim:503x1]]").build());
        tier.pumpUntil(() -> !ladder.isEmpty());
        TestRecord<String, byte[]> delayed = ladder.readRecord();

        // When its record comes back three hours late (processors down, a long backlog, a long Retry-After)
        tier.clock.advance(Duration.ofHours(3));
        idle();
        tier.relay(delayed);

        // Then it is called again and answered, once
        tier.pumpUntil(() -> !tier.results.isEmpty());
        PromptResult result = tier.results.readValue();
        assertThat(result.getRequestId()).isEqualTo("late");
        assertThat(result.getAttempts()).isEqualTo(2);
        assertThat(tier.dlq.isEmpty()).isTrue();
        assertThat(SIM.simulator().stats().requestsReceived()).isEqualTo(2);
    }

    @Test
    void shouldProcessARetryComingBackToATaskThatNeverSawIt() {
        start();
        // Given a ladder record of a request this task never parked: it was read in another partition
        // (another publisher's partitioner, a partition added) or by another owner
        PromptRequest r = tier.request("stranger", "hello").build();
        long now = tier.clock.millis();
        Headers headers = RetryHeaders.forRetry(FailureHeaders.describe(1, now - 5_000, now - 5_000,
                io.promptline.avro.ErrorCategory.PROVIDER_ERROR, 503, "HTTP 503", new Origin(tier.topics.requests(Priority.NORMAL), 3, 41)),
                Priority.NORMAL, now, null);

        // When the relay brings it back here
        tier.relay(new TestRecord<>("acme", tier.wire(r), headers, tier.clock.instant()));

        // Then it is called and answered with its attempts counted, naming where it was first read
        tier.pumpUntil(() -> !tier.results.isEmpty());
        PromptResult result = tier.results.readValue();
        assertThat(result.getRequestId()).isEqualTo("stranger");
        assertThat(result.getAttempts()).isEqualTo(2);
        assertThat(SIM.simulator().stats().requestsReceived()).isEqualTo(1);
    }

    @Test
    void shouldSkipOnlyTrueDuplicatesAndCountThemByReason() {
        start();
        // Given a request in flight, a copy published meanwhile is a duplicate of a request in flight
        PromptRequest r = tier.request("twice", "hello").build();
        tier.send(r);
        tier.send(r);
        tier.pumpUntil(() -> !tier.results.isEmpty());
        assertThat(tier.results.readValue().getRequestId()).isEqualTo("twice");
        assertThat(duplicates("in_flight")).isEqualTo(1);

        // And a copy published after it was answered is a duplicate of an answered request
        tier.send(r);
        tier.driver.advanceWallClockTime(Duration.ofMillis(50));
        assertThat(duplicates("answered")).isEqualTo(1);

        // And a ladder copy of an answered request is one too: nothing is called twice
        long now = tier.clock.millis();
        Headers headers = RetryHeaders.forRetry(FailureHeaders.describe(1, now, now, null, null, null, null), Priority.NORMAL, now, null);
        tier.relay(new TestRecord<>("acme", tier.wire(r), headers, tier.clock.instant()));
        tier.driver.advanceWallClockTime(Duration.ofMillis(50));
        assertThat(duplicates("answered")).isEqualTo(2);
        assertThat(tier.results.getQueueSize()).isZero();
        assertThat(SIM.simulator().stats().requestsReceived()).isEqualTo(1);
    }

    @Test
    void shouldSkipAStaleLadderCopyOfARequestParkedAgain() {
        start();
        // Given a request that failed twice: its second ladder record supersedes the first
        tier.send(tier.request("flaky", "hello [[sim:503x2]]").build());
        tier.pumpUntil(() -> !ladder.isEmpty());
        TestRecord<String, byte[]> first = ladder.readRecord();
        tier.relay(first);
        tier.pumpUntil(() -> !ladder.isEmpty());
        TestRecord<String, byte[]> second = ladder.readRecord();

        // When a copy of the first comes back (a redelivery), it is a stale retry: not called
        tier.relay(first);
        tier.driver.advanceWallClockTime(Duration.ofMillis(50));
        assertThat(duplicates("stale_retry")).isEqualTo(1);

        // And the second is answered on the third call
        tier.relay(second);
        tier.pumpUntil(() -> !tier.results.isEmpty());
        assertThat(tier.results.readValue().getAttempts()).isEqualTo(3);
        assertThat(SIM.simulator().stats().requestsReceived()).isEqualTo(3);
    }
}
