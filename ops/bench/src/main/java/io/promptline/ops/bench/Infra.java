package io.promptline.ops.bench;

import io.promptline.ops.local.KafkaBrokerProcess;
import io.promptline.ops.registry.RegistryConfig;
import io.promptline.ops.registry.SchemaRegistryServer;
import io.promptline.ops.simulator.LlmSimulator;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.topics.TopicLayout;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What every run of the benchmark shares: one Kafka broker process (KRaft), one schema registry
 * and one LLM simulator per latency, started once.
 */
final class Infra implements AutoCloseable {
    private final KafkaBrokerProcess broker;
    private final SchemaRegistryServer registry;
    private final Admin admin;
    private final Map<String, LlmSimulator> simulators = new HashMap<>();
    private int topicSeq;

    private Infra(KafkaBrokerProcess broker, SchemaRegistryServer registry) {
        this.broker = broker;
        this.registry = registry;
        this.admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()));
    }

    static Infra start(Path dir, int kafkaPort) throws IOException, InterruptedException {
        KafkaBrokerProcess broker = new KafkaBrokerProcess(dir.resolve("kafka"), kafkaPort, kafkaPort + 1);
        broker.start(Duration.ofSeconds(90));
        return new Infra(broker, SchemaRegistryServer.start(RegistryConfig.defaults()));
    }

    String bootstrap() {
        return broker.bootstrapServers();
    }

    String registryUrl() {
        return registry.url();
    }

    /** The base URL of a simulator answering with {@code latencySpec} (e.g. {@code fixed:200}); started on first use. */
    LlmSimulator simulator(String latencySpec) {
        return simulators.computeIfAbsent(latencySpec, spec -> {
            LlmSimulator sim = new LlmSimulator(SimulatorConfig.builder().latency(spec).instances(2)
                    .recordCalls(false).completionTokensMin(40).completionTokensMax(160).build());
            sim.start();
            return sim;
        });
    }

    /** Fresh request, result, cost and DLQ topics for one run. */
    Topics newTopics(String label, int partitions) {
        Topics topics = Topics.withBase("bench" + (++topicSeq) + "-" + label);
        List<NewTopic> list = TopicLayout.topics(topics, partitions, TopicLayout.DEFAULT_LADDER, (short) 1);
        try {
            broker.createTopics(list); // and waits for their leaders
        } catch (Exception e) {
            throw new IllegalStateException("Cannot create the topics of run " + topics.base() + ": " + e.getMessage(), e);
        }
        return topics;
    }

    /** Deletes a finished run's topics (and the internal topics of the applications that read them). */
    void deleteTopics(Topics topics, String applicationPrefix) {
        try {
            List<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                    .filter(n -> n.startsWith(topics.base() + ".") || n.startsWith(applicationPrefix)).toList();
            admin.deleteTopics(names).all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("bench: could not delete the topics of " + topics.base() + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        simulators.values().forEach(LlmSimulator::close);
        admin.close(Duration.ofSeconds(5));
        registry.close();
        broker.close();
    }
}
