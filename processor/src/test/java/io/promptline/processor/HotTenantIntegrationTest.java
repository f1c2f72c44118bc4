package io.promptline.processor;

import io.promptline.avro.Priority;
import io.promptline.avro.PromptResult;
import io.promptline.avro.Quota;
import io.promptline.avro.TierLimit;
import io.promptline.ops.simulator.Arrival;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.config.ProcessorConfig;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.serde.AvroSerializer;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import io.promptline.testkit.TopicReader;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One tenant's backlog spread over several tasks: with {@code promptline.processor.tenant.shards}
 * {@code acme=6}, its requests go to six lines on the six partitions of the by-tenant topic, so
 * two instances both call for it; its limit (1,200 a minute) is split exactly between the lines,
 * so together they keep to it.
 */
class HotTenantIntegrationTest {
    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:20").build());

    @TempDir
    Path dir;

    @Test
    void shouldSpreadOneTenantOverTheInstancesAndKeepItsLimitExactly() throws Exception {
        Topics topics = KAFKA.newTopics(6, List.of(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30)));
        try (KafkaProducer<String, Quota> q = new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()), new StringSerializer(),
                new AvroSerializer<>(new RestSchemaRegistryClient(REGISTRY.url()), true))) {
            q.send(new ProducerRecord<>(topics.quotas(), "acme", Quota.newBuilder().setTenant("acme")
                    .setLimits(List.of(new TierLimit(Priority.NORMAL, 1_200L, null))).setUpdatedAt(Instant.now()).build())).get();
        }
        List<ProcessorApp> apps = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                Map<String, Object> c = InProcess.config(KAFKA.bootstrapServers(), REGISTRY.url(), SIM.baseUrl(), topics, "hot-" + topics.base(),
                        dir.resolve("p" + i));
                c.put(ProcessorConfig.TENANT_SHARDS_CONFIG, "acme=6");
                c.put(ProcessorConfig.INSTANCE_ID_CONFIG, "hot-" + i);
                apps.add(InProcess.start(c));
            }
            Set<String> sent = new HashSet<>();
            long t0 = System.currentTimeMillis();
            try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(KAFKA.bootstrapServers())
                    .schemaRegistryUrl(REGISTRY.url()).topics(topics).build()) {
                List<CompletableFuture<String>> all = new ArrayList<>();
                for (int i = 0; i < 1_200; i++) {
                    all.add(producer.submit(Prompt.builder("acme").requestId(topics.base() + "-" + i).model("gpt-4.1-mini").user("row " + i)
                            .maxTokens(20).build()));
                }
                for (CompletableFuture<String> f : all) sent.add(f.get(60, TimeUnit.SECONDS));
            }
            List<PromptResult> results = TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.results(),
                    PromptResult.class, sent.size(), Duration.ofSeconds(150), Duration.ofSeconds(3));
            assertThat(results).extracting(PromptResult::getRequestId).doesNotHaveDuplicates().hasSameElementsAs(sent);

            // Both instances called for the one tenant
            List<Double> callsPerInstance = apps.stream().map(a -> a.gateway().metrics().registry().find("promptline.calls").counters()
                    .stream().mapToDouble(c -> c.count()).sum()).toList();
            assertThat(callsPerInstance).allSatisfy(n -> assertThat(n).as("calls made by each instance").isGreaterThan(100));
            // And together they kept to its 1,200 a minute (20/s): 800 at most in 40 s of steady backlog (each line has ~200 to do)
            List<Long> starts = SIM.simulator().arrivals().stream().filter(a -> a.idempotencyKey() != null
                    && a.idempotencyKey().startsWith(topics.base())).map(Arrival::receivedAtMillis).sorted().toList();
            long first = starts.get(0);
            long inWindow = starts.stream().filter(t -> t >= first + 10_000 && t < first + 50_000).count();
            System.out.printf("hot tenant: 1,200 requests over 6 lines on 2 instances: calls per instance %s; %d calls in 40 s "
                    + "(limit 1,200 a minute = 800 in 40 s for the tenant, split exactly between its lines); done in %d s%n", callsPerInstance,
                    inWindow, (System.currentTimeMillis() - t0) / 1000);
            // at most the limit plus the tenant's burst (5% of a minute's limit, split like the limit), and close to the limit
            assertThat(inWindow).isBetween(760L, 800L + 60L);
        } finally {
            apps.forEach(ProcessorApp::close);
        }
    }
}
