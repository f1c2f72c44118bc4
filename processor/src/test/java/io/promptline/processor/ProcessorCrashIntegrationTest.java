package io.promptline.processor;

import io.promptline.avro.CostEvent;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptResult;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.runtime.ChildJvm;
import io.promptline.testkit.Await;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.ProcessorEnv;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import io.promptline.testkit.TopicReader;
import io.promptline.topics.Topics;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Crashes and rebalances with the processor in its own JVM: whatever happens to a processor,
 * every request yields exactly one result and one confirmed cost event (read_committed). A
 * rebalance or a graceful stop repeats no call that answered in time: the task waits for its calls
 * and hands over what it could not apply. A crash repeats the calls it had in flight, and each
 * repeated call is on the bill: an unconfirmed, estimated cost event per call whose answer was
 * lost, counted on the result.
 */
class ProcessorCrashIntegrationTest {
    private static final int REQUESTS = 1_200;

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:3000").build());

    @TempDir
    Path dir;

    @BeforeEach
    void resetSimulator() {
        SIM.simulator().reset();
    }

    private Map<String, String> env(Topics topics, String appId, Path stateDir) {
        Map<String, String> env = ProcessorEnv.of(KAFKA.bootstrapServers(), REGISTRY.url(), SIM.baseUrl(), topics, appId, stateDir);
        env.put("PROMPTLINE_PROCESSOR_TIERS", "NORMAL");
        env.put("PROMPTLINE_PROCESSOR_MAX_IN_FLIGHT", "1024");
        env.put("PROMPTLINE_PROCESSOR_NORMAL_SHARE", "1.0");
        return env;
    }

    private ChildJvm processor(Map<String, String> env, String name) {
        return ChildJvm.start(name, ProcessorMain.class, env, dir.resolve(name + ".log"), List.of("-Xmx512m"));
    }

    private Set<String> publish(Topics topics) throws Exception {
        Set<String> ids = new HashSet<>();
        try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(KAFKA.bootstrapServers())
                .schemaRegistryUrl(REGISTRY.url()).topics(topics).build()) {
            List<CompletableFuture<String>> sent = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                sent.add(producer.submit(Prompt.builder("tenant-" + (i % 12)).requestId(topics.base() + "-" + i)
                        .priority(Priority.NORMAL).model("gpt-4.1").user("question " + i).build()));
            }
            for (CompletableFuture<String> f : sent) ids.add(f.get(60, TimeUnit.SECONDS));
        }
        return ids;
    }

    /**
     * Exactly one result and one confirmed cost event per request, read as a downstream application
     * would; the unconfirmed cost events (calls whose answers were lost), which the results count.
     */
    private List<CostEvent> assertExactlyOnce(Topics topics, Set<String> sent) {
        List<PromptResult> results = TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.results(),
                PromptResult.class, REQUESTS, Duration.ofSeconds(120), Duration.ofSeconds(3));
        List<CostEvent> costs = TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.costs(),
                CostEvent.class, REQUESTS, Duration.ofSeconds(60), Duration.ofSeconds(1));
        assertThat(results).extracting(PromptResult::getRequestId).doesNotHaveDuplicates().hasSameElementsAs(sent);
        List<CostEvent> confirmed = costs.stream().filter(c -> !c.getUnconfirmed()).toList();
        List<CostEvent> unconfirmed = costs.stream().filter(CostEvent::getUnconfirmed).toList();
        assertThat(confirmed).extracting(CostEvent::getRequestId).doesNotHaveDuplicates().hasSameElementsAs(sent);
        assertThat(costs).extracting(CostEvent::getEventId).doesNotHaveDuplicates();
        assertThat(unconfirmed).allSatisfy(c -> assertThat(c.getUsageEstimated()).isTrue());
        assertThat(results.stream().mapToInt(PromptResult::getCallsUnconfirmed).sum()).as("unconfirmed calls counted on the results")
                .isEqualTo(unconfirmed.size());
        return unconfirmed;
    }

    @Test
    void shouldLoseAndDoubleNothingWhenKilledWithCallsInFlight() throws Exception {
        Topics topics = KAFKA.newTopics(3);
        Map<String, String> env = env(topics, "crash-" + topics.base(), dir.resolve("state"));
        try (ChildJvm first = processor(env, "first")) {
            Set<String> sent = publish(topics);

            // Given at least 500 calls in flight (each takes 3 s) and none answered yet
            Await.until(Duration.ofSeconds(60), "500 calls in flight", () -> SIM.simulator().stats().inFlight() >= 500,
                    () -> SIM.simulator().stats().toString());
            long committedAtKill = TopicReader.countCommitted(KAFKA.bootstrapServers(), topics.results());

            // When the processor is killed with SIGKILL and started again
            first.kill();
            Await.until(Duration.ofSeconds(10), "the simulator to see the killed connections close",
                    () -> SIM.simulator().stats().inFlight() == 0);
            long callsBeforeRestart = SIM.simulator().stats().requestsReceived();
            long inFlightAtKill = callsBeforeRestart - SIM.simulator().stats().succeeded();
            long restartedAt = System.nanoTime();
            try (ChildJvm second = processor(env, "second")) {
                Await.until(Duration.ofSeconds(60), "a call from the restarted processor",
                        () -> SIM.simulator().stats().requestsReceived() > callsBeforeRestart);
                long resumeMs = (System.nanoTime() - restartedAt) / 1_000_000;

                // Then every request has exactly one result and one confirmed cost event, and every call made twice is billed
                List<CostEvent> unconfirmed = assertExactlyOnce(topics, sent);
                long repeated = SIM.simulator().stats().requestsReceived() - REQUESTS;
                System.out.printf("kill -9: %d calls in flight, %d results committed at the kill; %d calls made twice, %d recorded as "
                        + "unconfirmed (%d micro-USD estimated); restarted processor calling again after %d ms%n", inFlightAtKill,
                        committedAtKill, repeated, unconfirmed.size(), unconfirmed.stream().mapToLong(CostEvent::getCostMicros).sum(), resumeMs);
                assertThat(inFlightAtKill).as("calls in flight at the kill").isGreaterThanOrEqualTo(500);
                assertThat(repeated).as("calls made twice").isLessThanOrEqualTo(inFlightAtKill);
                assertThat((long) unconfirmed.size()).as("calls made twice are on the bill").isGreaterThanOrEqualTo(repeated);
                assertThat(SIM.simulator().stats().succeeded()).isGreaterThanOrEqualTo(REQUESTS);
                second.stop(Duration.ofSeconds(30));
            }
        }
    }

    @Test
    void shouldLoseAndDoubleNothingWhenAnInstanceJoinsAndAnotherLeaves() throws Exception {
        Topics topics = KAFKA.newTopics(3);
        String appId = "rebalance-" + topics.base();
        try (ChildJvm first = processor(env(topics, appId, dir.resolve("state-1")), "first")) {
            Set<String> sent = publish(topics);
            Await.until(Duration.ofSeconds(60), "calls in flight on the first instance",
                    () -> SIM.simulator().stats().inFlight() >= 300);

            // When a second instance joins mid-run, and then the first stops gracefully
            try (ChildJvm second = processor(env(topics, appId, dir.resolve("state-2")), "second")) {
                Await.until(Duration.ofSeconds(60), "some results committed",
                        () -> TopicReader.countCommitted(KAFKA.bootstrapServers(), topics.results()) >= 200);
                long callsAtStop = SIM.simulator().stats().requestsReceived();
                long committedAtStop = TopicReader.countCommitted(KAFKA.bootstrapServers(), topics.results());
                assertThat(first.stop(Duration.ofSeconds(60))).as("first instance exits on SIGTERM").isTrue();

                // Then the survivor finishes the work, exactly once, and no call that answered in time was made twice: the
                // rebalance and the stop each waited for their calls and handed over what they could not apply
                List<CostEvent> unconfirmed = assertExactlyOnce(topics, sent);
                long repeated = SIM.simulator().stats().requestsReceived() - REQUESTS;
                System.out.printf("rebalance: %d calls made, %d committed when the first instance stopped; %d calls made twice, "
                        + "%d unconfirmed%n", callsAtStop, committedAtStop, repeated, unconfirmed.size());
                assertThat(repeated).as("calls made twice").isZero();
                assertThat(unconfirmed).as("calls whose answers were lost").isEmpty();
                second.stop(Duration.ofSeconds(30));
            }
        }
    }
}
