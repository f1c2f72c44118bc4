package io.promptline.processor;

import io.promptline.avro.CostEvent;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptResult;
import io.promptline.avro.ResultDelta;
import io.promptline.ops.registry.RegistryConfig;
import io.promptline.ops.registry.SchemaRegistryServer;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Streamed answers end to end on the embedded broker, the processor in its own JVM: a request that
 * asks for it has its answer's pieces on {@code llm.results.stream} as the simulator streams them
 * (numbered from 0, in order, the last with its finish reason, together the result's text), and
 * still exactly one result and one cost event. A processor killed mid-stream: the pieces of the
 * call it was making stop, and the call made again streams from piece 0 under the next attempt —
 * a reader that shows the highest attempt never splices two.
 */
class StreamingIntegrationTest {
    /** About fifteen words in the simulator's answer: at 200 ms a piece, three seconds of stream. */
    private static final String QUESTION = "please tell me about the weather on the coast of Brittany in May";

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:100").streamPieceMillis(200).build());

    @TempDir
    Path dir;

    private ChildJvm processor(Topics topics, String name) {
        Map<String, String> env = ProcessorEnv.of(KAFKA.bootstrapServers(), REGISTRY.url(), SIM.baseUrl(), topics, "stream-" + topics.base(),
                dir.resolve("state"));
        env.put("PROMPTLINE_PROCESSOR_TIERS", "URGENT");
        return ChildJvm.start(name, ProcessorMain.class, env, dir.resolve(name + ".log"), List.of("-Xmx512m"));
    }

    private static void submit(Topics topics, String id, boolean stream) throws Exception {
        try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(KAFKA.bootstrapServers())
                .schemaRegistryUrl(REGISTRY.url()).topics(topics).build()) {
            producer.submit(Prompt.builder("acme").requestId(id).priority(Priority.URGENT).model("gpt-4.1").user(QUESTION).stream(stream)
                    .build()).get(30, TimeUnit.SECONDS);
        }
    }

    private static List<ResultDelta> pieces(Topics topics, String id, Duration wait) {
        return TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.resultsStream(), ResultDelta.class, Integer.MAX_VALUE,
                wait, Duration.ZERO).stream().filter(d -> d.getRequestId().equals(id)).toList();
    }

    private static List<PromptResult> results(Topics topics, String id) {
        return TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.results(), PromptResult.class, Integer.MAX_VALUE,
                Duration.ofSeconds(3), Duration.ZERO).stream().filter(r -> r.getRequestId().equals(id)).toList();
    }

    private static List<CostEvent> costs(Topics topics, String id) {
        return TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.costs(), CostEvent.class, Integer.MAX_VALUE,
                Duration.ofSeconds(3), Duration.ZERO).stream().filter(c -> c.getRequestId().equals(id)).toList();
    }

    /** The pieces of one attempt: numbered 0, 1, 2 … in the order they were written. */
    private static List<ResultDelta> attempt(List<ResultDelta> all, int attempt) {
        List<ResultDelta> of = all.stream().filter(d -> d.getAttempt() == attempt).toList();
        for (int i = 0; i < of.size(); i++) assertThat(of.get(i).getSeq()).as("piece %d of attempt %d", i, attempt).isEqualTo(i);
        return of;
    }

    private static String text(List<ResultDelta> pieces) {
        return pieces.stream().map(ResultDelta::getContent).collect(Collectors.joining());
    }

    @Test
    void shouldStreamTheAnswerInNumberedPiecesAndStillEndWithOneResultAndOneCost() throws Exception {
        Topics topics = KAFKA.newTopics(3);
        try (ChildJvm ignored = processor(topics, "processor")) {
            // Given a request that asks for its answer streamed, and one that does not
            submit(topics, "streamed", true);
            submit(topics, "whole", false);

            // Then its pieces arrive while the answer is still being made (the first long before the last)
            Await.until(Duration.ofSeconds(60), "the first piece", () -> !pieces(topics, "streamed", Duration.ofMillis(300)).isEmpty());
            long firstSeen = System.nanoTime();
            Await.until(Duration.ofSeconds(30), "the last piece", () -> pieces(topics, "streamed", Duration.ofMillis(300)).stream()
                    .anyMatch(d -> d.getFinishReason() != null));
            long streamedMs = (System.nanoTime() - firstSeen) / 1_000_000;
            Await.until(Duration.ofSeconds(30), "both results", () -> results(topics, "streamed").size() + results(topics, "whole").size() == 2);

            // And they are numbered from 0 under attempt 1, the last says why it stopped, and together they are the result's text
            List<ResultDelta> all = pieces(topics, "streamed", Duration.ofSeconds(1));
            List<ResultDelta> first = attempt(all, 1);
            assertThat(first).hasSameSizeAs(all);
            assertThat(first.size()).isGreaterThan(10);
            assertThat(first.get(first.size() - 1).getFinishReason()).isEqualTo("stop");
            assertThat(first.subList(0, first.size() - 1)).allSatisfy(d -> assertThat(d.getFinishReason()).isNull());
            PromptResult result = results(topics, "streamed").get(0);
            assertThat(text(first)).isEqualTo(result.getContent()).startsWith("Simulated answer to: please tell me");
            assertThat(result.getAttempts()).isEqualTo(1);
            System.out.printf("streamed: %d pieces over %d ms after the first; the result's %d characters equal their text%n", first.size(),
                    streamedMs, result.getContent().length());

            // And exactly one result and one cost event each; the unstreamed request has no pieces
            assertThat(results(topics, "streamed")).hasSize(1);
            assertThat(costs(topics, "streamed")).hasSize(1);
            assertThat(results(topics, "whole")).hasSize(1);
            assertThat(costs(topics, "whole")).hasSize(1);
            assertThat(pieces(topics, "whole", Duration.ofSeconds(1))).isEmpty();
        }
    }

    @Test
    void shouldRestartTheStreamUnderTheNextAttemptAfterAKillMidStream() throws Exception {
        Topics topics = KAFKA.newTopics(3);
        List<ResultDelta> beforeKill;
        try (ChildJvm first = processor(topics, "first")) {
            // Given a streamed answer three pieces in
            submit(topics, "cut", true);
            Await.until(Duration.ofSeconds(60), "three pieces", () -> pieces(topics, "cut", Duration.ofMillis(300)).size() >= 3);

            // When its processor is killed with SIGKILL
            first.kill();
            beforeKill = pieces(topics, "cut", Duration.ofSeconds(1));
        }
        try (ChildJvm ignored = processor(topics, "second")) {
            // And started again
            Await.until(Duration.ofSeconds(90), "the result", () -> !results(topics, "cut").isEmpty());
            PromptResult result = results(topics, "cut").get(0);
            List<ResultDelta> all = pieces(topics, "cut", Duration.ofSeconds(1));

            // Then the first attempt's pieces stop short of the answer, and the call made again streams it whole from piece 0
            List<ResultDelta> cut = attempt(all, 1);
            assertThat(cut).hasSameSizeAs(beforeKill).isNotEmpty();
            assertThat(cut).allSatisfy(d -> assertThat(d.getFinishReason()).isNull());
            int last = all.stream().mapToInt(ResultDelta::getAttempt).max().orElseThrow();
            assertThat(last).as("the attempt of the call that answered").isEqualTo(result.getAttempts()).isGreaterThan(1);
            List<ResultDelta> again = attempt(all, last);
            assertThat(again.get(again.size() - 1).getFinishReason()).isEqualTo("stop");
            assertThat(text(again)).isEqualTo(result.getContent());
            assertThat(text(cut)).isNotEqualTo(result.getContent());
            assertThat(result.getContent()).startsWith(text(cut));
            System.out.printf("killed mid-stream: attempt 1 stopped after %d pieces; attempt %d streamed %d pieces, the whole answer%n",
                    cut.size(), last, again.size());

            // And one result, its calls all billed: the lost call's estimate (unconfirmed) and the answered call's usage
            assertThat(results(topics, "cut")).hasSize(1);
            List<CostEvent> billed = costs(topics, "cut");
            assertThat(billed).hasSize(result.getAttempts());
            assertThat(billed.stream().filter(CostEvent::getUsageEstimated).count()).isEqualTo(result.getCallsUnconfirmed());
        }
    }
    @Test
    void shouldStartAndGetReadyWhileTheRegistryIsAwayThenStreamOnceItAnswers() throws Exception {
        // Given a registry that is not there when the processor starts (ci28: a processor restarted in an outage refused to start)
        Topics topics = KAFKA.newTopics(3);
        int registryPort = freePort();
        int healthPort = freePort();
        Map<String, String> env = ProcessorEnv.of(KAFKA.bootstrapServers(), "http://127.0.0.1:" + registryPort, SIM.baseUrl(), topics,
                "stream-" + topics.base(), dir.resolve("state"));
        env.put("PROMPTLINE_PROCESSOR_TIERS", "URGENT");
        env.put("PROMPTLINE_METRICS_PORT", Integer.toString(healthPort));
        try (ChildJvm processor = ChildJvm.start("registry-away", ProcessorMain.class, env, dir.resolve("registry-away.log"), List.of("-Xmx512m"))) {
            // Then it gets ready (its streams running) with no registry to ask, and stays up
            Await.until(Duration.ofSeconds(90), "the processor ready", () -> {
                processor.requireAlive();
                return ready(healthPort);
            });
            Thread.sleep(2_000);
            processor.requireAlive();
            assertThat(ready(healthPort)).isTrue();

            // When the registry comes (on the address it was given) and a streamed request is published
            try (SchemaRegistryServer registry = SchemaRegistryServer.start(RegistryConfig.builder().port(registryPort).build());
                 PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(KAFKA.bootstrapServers())
                         .schemaRegistryUrl(registry.url()).topics(topics).build()) {
                producer.submit(Prompt.builder("acme").requestId("late").priority(Priority.URGENT).model("gpt-4.1").user(QUESTION).stream(true)
                        .build()).get(30, TimeUnit.SECONDS);

                // Then its pieces and its one result come as usual
                Await.until(Duration.ofSeconds(60), "the result", () -> !TopicReader.readCommitted(KAFKA.bootstrapServers(), registry.url(),
                        topics.results(), PromptResult.class, Integer.MAX_VALUE, Duration.ofSeconds(1), Duration.ZERO).isEmpty());
                List<ResultDelta> all = TopicReader.readCommitted(KAFKA.bootstrapServers(), registry.url(), topics.resultsStream(),
                        ResultDelta.class, Integer.MAX_VALUE, Duration.ofSeconds(2), Duration.ZERO);
                PromptResult result = TopicReader.readCommitted(KAFKA.bootstrapServers(), registry.url(), topics.results(), PromptResult.class,
                        Integer.MAX_VALUE, Duration.ofSeconds(1), Duration.ZERO).get(0);
                assertThat(result.getRequestId()).isEqualTo("late");
                List<ResultDelta> pieces = attempt(all, 1);
                assertThat(pieces).hasSameSizeAs(all).hasSizeGreaterThan(10);
                assertThat(text(pieces)).isEqualTo(result.getContent());
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static boolean ready(int port) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/health/ready").toURL().openConnection();
            c.setConnectTimeout(1_000);
            c.setReadTimeout(2_000);
            try {
                return c.getResponseCode() == 200;
            } finally {
                c.disconnect();
            }
        } catch (IOException notYet) {
            return false; // the health server is not listening yet
        }
    }
}
