package io.promptline.processor;

import io.micrometer.core.instrument.Counter;
import io.promptline.avro.PromptResult;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.ratelimit.Limits;
import io.promptline.processor.retry.RetryPolicy;
import io.promptline.processor.routing.ContextRouting;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a task holds in memory is bounded whatever the backlog: requests parked in the ladder live
 * in a store, admitted requests beyond the task's capacity wait in the pending store and are
 * loaded as room frees, and a graceful stop does not pull the backlog into memory.
 */
class BoundedMemoryTopologyTest {
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final VertxFixture VERTX = new VertxFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:20").build());
    private static final Duration RUNG = Duration.ofSeconds(1);
    private static final RetryPolicy RETRY = new RetryPolicy(List.of(RUNG), 3, Duration.ofMillis(200), 2, 0);

    private TierHarness tier;

    private void start(TierSettings.RateLimits limits, int maxPending, Duration maxBlock) {
        tier = TierHarness.start(REGISTRY, SIM, VERTX, registry -> TestDispatch.tier(registry, RETRY, limits, ContextRouting.none(), maxPending,
                maxBlock, new TierSettings.Intake(900_000, 1)));
    }

    @AfterEach
    void tearDown() {
        tier.close();
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** The driver keeps every record the topology produced (outputs and changelogs) until read: that is the test's memory, not the processor's. */
    private void drainCapturedOutputs() {
        for (String topic : tier.driver.producedTopicNames()) {
            tier.driver.createOutputTopic(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer()).readRecordsToList();
        }
    }

    private double overflow() {
        Counter c = tier.gateway.metrics().registry().find("promptline.pending.overflow").counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void shouldKeepTheHeapFlatWhileARateLimitedTenantQueues200000Rows() {
        // Given a tenant limited to 60 a minute: all but its burst wait in the ladder, keeping their turns
        start(new TierSettings.RateLimits(new Limits(60, 0), 0.05, Duration.ofSeconds(1), 100), 100, Duration.ofSeconds(5));
        String prompt = "Classify this support ticket about a late delivery, please";
        long[] heap = new long[2];
        for (int i = 0; i < 200_000; i++) {
            tier.send(tier.request("bulk-" + i + "-0123456789abcdef", prompt).setTenant("bulk").build());
            if (i % 10_000 == 9_999) drainCapturedOutputs();
            if (i == 20_000) heap[0] = heapAfterGc();
        }
        drainCapturedOutputs();
        heap[1] = heapAfterGc();

        // Then the heap after the last 180,000 rows is where it was (markers live in the parked store, not in memory)
        long grownMb = (heap[1] - heap[0]) / (1024 * 1024);
        System.out.printf("heap after 20,000 rows %d MB, after 200,000 rows %d MB (grew %d MB)%n", heap[0] >> 20, heap[1] >> 20, grownMb);
        assertThat(grownMb).as("heap growth over 180,000 parked requests, MB").isLessThan(12);
        // And a row back from the ladder still finds its place (nothing was forgotten)
        assertThat(tier.dlq.isEmpty()).isTrue();
    }

    @Test
    void shouldHoldAtMostItsCapacityInMemoryAndLoadTheRestAsRoomFrees() {
        // Given a task that holds 10 requests and waits only 10 ms for room
        start(TierSettings.RateLimits.unlimited(), 10, Duration.ofMillis(10));

        // When 300 requests arrive at once, the task keeps what it cannot hold in its pending store only
        for (int i = 0; i < 300; i++) tier.send(tier.request("r" + i, "hello " + i).build());
        assertThat(overflow()).as("requests kept only in the store").isGreaterThan(200);
        assertThat(SIM.simulator().stats().maxInFlight()).isLessThanOrEqualTo(10);

        // Then every one is loaded as room frees and answered once
        tier.pumpUntil(() -> tier.results.getQueueSize() == 300);
        assertThat(tier.results.readValuesToList()).extracting(PromptResult::getRequestId).doesNotHaveDuplicates().hasSize(300);
        assertThat(SIM.simulator().stats().requestsReceived()).isEqualTo(300);
        assertThat(SIM.simulator().stats().maxInFlight()).as("never more than the task holds").isLessThanOrEqualTo(10);
    }

    @Test
    void shouldNotPullTheBacklogIntoMemoryWhileStopping() throws Exception {
        start(TierSettings.RateLimits.unlimited(), 10, Duration.ofMillis(10));
        // Given a graceful stop has begun (no call starts any more)
        assertThat(tier.gateway.drain(Duration.ZERO)).isTrue();

        // When a backlog keeps arriving, the task holds at most its capacity; the rest stays in its store for the next owner
        for (int i = 0; i < 2_000; i++) tier.send(tier.request("s" + i, "hello " + i).build());
        assertThat(overflow()).isGreaterThanOrEqualTo(1_990);
        assertThat(SIM.simulator().stats().requestsReceived()).isZero();
        assertThat(tier.results.isEmpty()).isTrue();
    }
}
