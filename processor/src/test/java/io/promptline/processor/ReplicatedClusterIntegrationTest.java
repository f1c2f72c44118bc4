package io.promptline.processor;

import io.promptline.avro.PromptResult;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.config.ProcessorConfig;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.testkit.Await;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import io.promptline.testkit.TopicReader;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.admin.TopicDescription;
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
 * The processor on a three-broker cluster, as production runs it: every topic it makes or Kafka
 * Streams makes for it (changelogs, the repartition topic, hand-over and call-start records) is
 * replicated three times with min.insync.replicas 2, and a broker stopping mid-run loses and
 * doubles nothing. (Broker processes killed with SIGKILL: {@code BrokerFailoverIntegrationTest}.)
 */
class ReplicatedClusterIntegrationTest {
    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka(3);
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:50").build());

    @TempDir
    Path dir;

    @Test
    void shouldReplicateEveryTopicAndAnswerEveryRequestOnceWhileABrokerStops() throws Exception {
        Topics topics = KAFKA.newTopics(3, List.of(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30)));
        Map<String, Object> config = InProcess.config(KAFKA.bootstrapServers(), REGISTRY.url(), SIM.baseUrl(), topics, "rf3-" + topics.base(),
                dir.resolve("state"));
        config.put(ProcessorConfig.STANDBY_REPLICAS_CONFIG, 1);
        ProcessorApp app = InProcess.start(config);
        try {
            Set<String> sent = new HashSet<>();
            try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(KAFKA.bootstrapServers())
                    .schemaRegistryUrl(REGISTRY.url()).topics(topics).build()) {
                List<CompletableFuture<String>> all = new ArrayList<>();
                for (int i = 0; i < 600; i++) {
                    all.add(producer.submit(Prompt.builder("tenant-" + (i % 9)).requestId(topics.base() + "-" + i).model("gpt-4.1-mini")
                            .user("question " + i).build()));
                    if (i == 300) {
                        // Half-way, a broker leaves: its partitions' leadership moves, the ISR shrinks to two
                        for (CompletableFuture<String> f : all) sent.add(f.get(60, TimeUnit.SECONDS));
                        KAFKA.stopBroker(KAFKA.runningBrokers().iterator().next());
                    }
                }
                for (CompletableFuture<String> f : all) sent.add(f.get(120, TimeUnit.SECONDS));
            }
            assertThat(KAFKA.runningBrokers()).hasSize(2);

            List<PromptResult> results = TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.results(),
                    PromptResult.class, sent.size(), Duration.ofSeconds(120), Duration.ofSeconds(3));
            assertThat(results).extracting(PromptResult::getRequestId).doesNotHaveDuplicates().hasSameElementsAs(sent);

            // Every topic of this run, Promptline's and Kafka Streams', has three replicas and needs two in sync
            Set<String> ours = new HashSet<>();
            Await.until(Duration.ofSeconds(30), "the processor's internal topics listed", () -> {
                ours.clear();
                for (String t : topicNames()) {
                    if (t.startsWith(topics.base()) || t.startsWith("rf3-" + topics.base())) ours.add(t);
                }
                return ours.stream().anyMatch(t -> t.endsWith("-changelog")) && ours.stream().anyMatch(t -> t.endsWith("-calls-started"));
            });
            Map<String, TopicDescription> described = KAFKA.admin().describeTopics(ours).allTopicNames().get(30, TimeUnit.SECONDS);
            described.values().forEach(d -> d.partitions().forEach(p -> assertThat(p.replicas()).as(d.name()).hasSize(3)));
            var configs = KAFKA.admin().describeConfigs(ours.stream().map(t -> new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, t)).toList()).all().get(30, TimeUnit.SECONDS);
            configs.forEach((r, c) -> assertThat(c.get("min.insync.replicas").value()).as(r.name()).isEqualTo("2"));
            System.out.printf("three brokers: %d requests answered once each through a broker stopping; %d topics, each with 3 replicas "
                    + "and min.insync.replicas 2 (%s ...)%n", sent.size(), ours.size(), ours.stream().sorted().limit(4).toList());
        } finally {
            app.close();
        }
    }

    private static Set<String> topicNames() {
        try {
            return KAFKA.admin().listTopics().names().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot list topics", e);
        }
    }
}
