package io.promptline.ops.local;

import io.promptline.avro.CostEvent;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptResult;
import io.promptline.ops.registry.RegistryConfig;
import io.promptline.ops.registry.SchemaRegistryServer;
import io.promptline.ops.simulator.FaultRates;
import io.promptline.ops.simulator.LlmSimulator;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.ProcessorMain;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.testkit.Await;
import io.promptline.testkit.JavaProcess;
import io.promptline.testkit.ProcessorEnv;
import io.promptline.testkit.TopicReader;
import io.promptline.topics.TopicLayout;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Chaos on the local stack's real parts: the broker process killed (kill -9) and restarted mid-run,
 * processors killed and replaced, a fault storm from the provider. The invariant holds: every
 * request ends exactly once in results or the DLQ, one cost event per result, and when the load
 * ends nothing is left pending (every task's changelogged pending store is empty).
 */
class ChaosIntegrationTest {
    private static final List<Duration> LADDER = List.of(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30));

    @TempDir
    Path dir;

    private JavaProcess processor(String bootstrap, String registry, String llm, Topics topics, String name) {
        Map<String, String> env = ProcessorEnv.of(bootstrap, registry, llm, topics, "chaos", dir.resolve(name));
        env.put("PROMPTLINE_PROCESSOR_MAX_IN_FLIGHT", "128");
        env.put("PROMPTLINE_RETRY_DELAYS", "1s,5s,30s");
        env.put("PROMPTLINE_RETRY_BACKOFF_INITIAL_MS", "1000");
        env.put("PROMPTLINE_RETRY_BACKOFF_MULTIPLIER", "2");
        env.put("PROMPTLINE_RATELIMIT_MAX_HOLD_MS", "5000");
        env.put("PROMPTLINE_PROVIDER_BREAKER_OPEN_MS", "2000");
        env.put("PROMPTLINE_PROVIDER_MAX_PAUSE_MS", "200");
        env.put("PROMPTLINE_LLM_TIMEOUT_MS", "3000");
        return JavaProcess.start(ProcessorMain.class, env, dir.resolve(name + ".log"), "-Xmx384m");
    }

    private static List<CompletableFuture<String>> publish(PromptlineProducer producer, Topics topics, int from, int count) {
        List<CompletableFuture<String>> sent = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            sent.add(producer.submit(Prompt.builder("tenant-" + (i % 10)).requestId("chaos-" + i).priority(Priority.values()[i % 3])
                    .model("gpt-4.1").user("question " + i).build()));
        }
        return sent;
    }

    @Test
    void shouldEndEveryRequestExactlyOnceThroughBrokerRestartsKillsAndFaultStorms() throws Exception {
        int port = Ports.freePair();
        KafkaBrokerProcess broker = new KafkaBrokerProcess(dir.resolve("kafka"), port, port + 1);
        List<JavaProcess> processors = new ArrayList<>();
        try (SchemaRegistryServer registry = SchemaRegistryServer.start(RegistryConfig.defaults());
             LlmSimulator sim = new LlmSimulator(SimulatorConfig.builder().latency("uniform:100-400").instances(2).build())) {
            broker.start(Duration.ofSeconds(90));
            sim.start();
            Topics topics = Topics.withBase("chaos");
            broker.createTopics(TopicLayout.topics(topics, 3, LADDER, (short) 1));
            String bootstrap = broker.bootstrapServers();
            processors.add(processor(bootstrap, registry.url(), sim.baseUrl(), topics, "p1"));
            processors.add(processor(bootstrap, registry.url(), sim.baseUrl(), topics, "p2"));
            Set<String> sent = new HashSet<>();
            List<CompletableFuture<String>> pending = new ArrayList<>();
            try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(bootstrap).schemaRegistryUrl(registry.url())
                    .topics(topics).maxBlock(Duration.ofSeconds(60)).build()) {
                // Wave 1, then a fault storm and a processor killed with kill -9 (a new one takes its place)
                pending.addAll(publish(producer, topics, 0, 1_000));
                Thread.sleep(4_000);
                sim.faults(new FaultRates(0.05, 0, 0.05, 0, 0.03, 0, 0));
                Thread.sleep(3_000);
                processors.get(0).kill();
                processors.add(processor(bootstrap, registry.url(), sim.baseUrl(), topics, "p3"));
                Thread.sleep(3_000);

                // The broker process killed with kill -9, and started again on its data 5 s later
                broker.kill();
                Thread.sleep(5_000);
                broker.start(Duration.ofSeconds(90));

                // Wave 2 while things recover, the storm ends, wave 3
                pending.addAll(publish(producer, topics, 1_000, 1_000));
                Thread.sleep(8_000);
                sim.faults(FaultRates.NONE);
                pending.addAll(publish(producer, topics, 2_000, 1_000));
                for (CompletableFuture<String> f : pending) sent.add(f.get(120, TimeUnit.SECONDS));
            }
            assertThat(sent).hasSize(3_000);

            // Then every request ends exactly once
            List<PromptResult> results = new ArrayList<>();
            List<DeadLetter> dead = new ArrayList<>();
            Await.until(Duration.ofMinutes(6), "every request in results or the DLQ", () -> {
                results.clear();
                dead.clear();
                results.addAll(TopicReader.readCommitted(bootstrap, registry.url(), topics.results(), PromptResult.class, 0, Duration.ZERO,
                        Duration.ofSeconds(2)));
                dead.addAll(TopicReader.readCommitted(bootstrap, registry.url(), topics.dlq(), DeadLetter.class, 0, Duration.ZERO,
                        Duration.ofMillis(500)));
                return results.size() + dead.size() >= sent.size();
            });
            Thread.sleep(3_000);
            results.clear();
            dead.clear();
            results.addAll(TopicReader.readCommitted(bootstrap, registry.url(), topics.results(), PromptResult.class, 3_000, Duration.ofSeconds(30),
                    Duration.ofSeconds(2)));
            dead.addAll(TopicReader.readCommitted(bootstrap, registry.url(), topics.dlq(), DeadLetter.class, 0, Duration.ZERO, Duration.ofSeconds(1)));
            List<String> ended = new ArrayList<>();
            results.forEach(r -> ended.add(r.getRequestId()));
            dead.forEach(d -> ended.add(d.getRequestId()));
            assertThat(ended).doesNotHaveDuplicates().hasSameElementsAs(sent);
            List<CostEvent> costs = TopicReader.readCommitted(bootstrap, registry.url(), topics.costs(), CostEvent.class, results.size(),
                    Duration.ofSeconds(60), Duration.ofSeconds(2));
            assertThat(costs).extracting(CostEvent::getRequestId).doesNotHaveDuplicates().hasSameElementsAs(
                    results.stream().map(PromptResult::getRequestId).toList());

            // And nothing is left pending: every task's pending store ends empty, no call is open
            Await.until(Duration.ofSeconds(60), "the pending stores to empty", () -> leftPending(bootstrap) == 0,
                    () -> leftPending(bootstrap) + " entries still pending");
            assertThat(sim.stats().inFlight()).isZero();
            Map<String, Long> outcomes = new java.util.TreeMap<>();
            sim.arrivals().forEach(a -> outcomes.merge(a.outcome(), 1L, Long::sum));
            Map<String, Long> categories = new java.util.TreeMap<>();
            dead.forEach(d -> categories.merge(d.getCategory().name(), 1L, Long::sum));
            System.out.printf("chaos: 3,000 requests through a broker kill -9 and restart, a processor kill -9 and replacement and a "
                            + "fault storm: %d calls %s; %d results, %d dead letters %s, 0 lost, 0 doubled; pending stores empty%n",
                    sim.stats().requestsReceived(), outcomes, results.size(), dead.size(), categories);
        } finally {
            processors.forEach(JavaProcess::close);
            broker.close();
        }
    }

    /** Entries whose latest record in a pending-calls changelog is not a deletion. */
    private static long leftPending(String bootstrap) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
             KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                     ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new ByteArrayDeserializer())) {
            List<String> changelogs = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                    .filter(t -> t.startsWith("chaos-") && t.endsWith("-pending-calls-changelog")).toList();
            assertThat(changelogs).hasSize(3);
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : changelogs) c.partitionsFor(t).forEach(p -> parts.add(new TopicPartition(t, p.partition())));
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            Map<String, Boolean> live = new HashMap<>();
            while (parts.stream().anyMatch(p -> c.position(p) < end.get(p))) {
                c.poll(Duration.ofMillis(200)).forEach(r -> live.put(r.topic() + "/" + r.key(), r.value() != null));
            }
            return live.values().stream().filter(v -> v).count();
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the pending changelogs: " + e.getMessage(), e);
        }
    }
}
