package io.promptline.processor;

import io.promptline.requests.Messages;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.ops.simulator.Arrival;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.config.ProcessorConfig;
import io.promptline.processor.intake.TenantRouter;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.serde.AvroSerializer;
import io.promptline.testkit.Await;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import io.promptline.testkit.TopicReader;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Intake on the embedded broker, with publishers that are not the producer library: keys other
 * than the tenant, no key, librdkafka's CRC32 placement, partitions added to a tier topic, and a
 * request larger than any record may be. Every request ends once in the results or the DLQ.
 */
class IntakeIntegrationTest {
    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:20").build());
    private static final List<Duration> LADDER = List.of(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30));

    @TempDir
    Path dir;

    /** This test's requests fail their first call on purpose: the endpoint's circuit breaker must not take that for an outage. */
    private Map<String, Object> config(Topics topics, String name) {
        Map<String, Object> config = InProcess.config(KAFKA.bootstrapServers(), REGISTRY.url(), SIM.baseUrl(), topics, name + "-" + topics.base(),
                dir.resolve(name));
        config.put(ProcessorConfig.BREAKER_FAILURES_CONFIG, 1_000);
        return config;
    }

    private final AvroSerializer<PromptRequest> serializer = new AvroSerializer<>(new RestSchemaRegistryClient(REGISTRY.url()), true);

    private KafkaProducer<byte[], byte[]> rawProducer(String compression) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ProducerConfig.COMPRESSION_TYPE_CONFIG, compression, ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static PromptRequest request(String id, String tenant, String content) {
        return PromptRequest.newBuilder().setRequestId(id).setTenant(tenant).setPriority(Priority.NORMAL).setModel("gpt-4.1")
                .setMessages(List.of(Messages.text("user", content))).setCreatedAt(Instant.now()).build();
    }

    /** Where librdkafka's default partitioner (consistent_random) puts a keyed record: CRC32 of the key. */
    static int crc32Partition(String key, int partitions) {
        CRC32 crc = new CRC32();
        crc.update(key.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % partitions);
    }

    private static Map<String, Long> callsById(String prefix) {
        return SIM.simulator().arrivals().stream().filter(a -> a.idempotencyKey() != null && a.idempotencyKey().startsWith(prefix))
                .collect(Collectors.groupingBy(Arrival::idempotencyKey, Collectors.counting()));
    }

    private List<PromptResult> results(Topics topics, int expected) {
        return TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.results(), PromptResult.class, expected,
                Duration.ofSeconds(60), Duration.ofSeconds(2));
    }

    @Test
    void shouldAnswerEveryRetriedRequestOnceWhateverPartitionItsPublisherChose() throws Exception {
        Topics topics = KAFKA.newTopics(4, LADDER);
        String run = topics.base();
        ProcessorApp app = InProcess.start(config(topics, "intake"));
        List<String> ids = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = rawProducer("none")) {
            String topic = topics.requests(Priority.NORMAL);
            // Given requests whose first call fails (so each goes through the ladder), published as other clients do
            for (int i = 0; i < 36; i++) {
                String tenant = "tenant-" + (i % 6);
                String id = run + "-" + i;
                byte[] value = serializer.serialize(topic, request(id, tenant, "hello " + i + " [[sim:503x1]]"));
                ProducerRecord<byte[], byte[]> record = switch (i % 3) {
                    // librdkafka (Python, Go, .NET, kcat) keyed by tenant: CRC32, not murmur2
                    case 0 -> new ProducerRecord<>(topic, crc32Partition(tenant, 4), tenant.getBytes(StandardCharsets.UTF_8), value);
                    // keyed by the request id, as generic clients and kcat examples do
                    case 1 -> new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8), value);
                    // no key at all
                    default -> new ProducerRecord<>(topic, null, value);
                };
                producer.send(record).get(30, TimeUnit.SECONDS);
                ids.add(id);
            }
            // And one request published twice under different keys, so into different partitions
            String twice = run + "-twice";
            byte[] value = serializer.serialize(topic, request(twice, "tenant-0", "once please"));
            producer.send(new ProducerRecord<>(topic, "tenant-0".getBytes(StandardCharsets.UTF_8), value)).get(30, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(topic, twice.getBytes(StandardCharsets.UTF_8), value)).get(30, TimeUnit.SECONDS);
            ids.add(twice);

            // Then every request is answered exactly once, and the retried ones were called exactly twice
            List<PromptResult> results = results(topics, ids.size());
            assertThat(results).extracting(PromptResult::getRequestId).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(ids);
            assertThat(results).filteredOn(r -> !r.getRequestId().equals(twice)).allSatisfy(r -> assertThat(r.getAttempts()).isEqualTo(2));
            Map<String, Long> calls = callsById(run);
            assertThat(calls.get(twice)).as("a copy in another partition is still a duplicate").isEqualTo(1);
            ids.stream().filter(id -> !id.equals(twice)).forEach(id -> assertThat(calls.get(id)).as(id).isEqualTo(2));
            assertThat(TopicReader.countCommitted(KAFKA.bootstrapServers(), topics.dlq())).isZero();
        } finally {
            app.close();
        }
    }

    @Test
    void shouldDeadLetterARequestTooLargeToKeepAndAnswerTheRequestsBehindIt() throws Exception {
        Topics topics = KAFKA.newTopics(2, LADDER);
        String run = topics.base();
        ProcessorApp app = InProcess.start(config(topics, "big"));
        try (KafkaProducer<byte[], byte[]> producer = rawProducer("gzip")) {
            String topic = topics.requests(Priority.NORMAL);
            int partition = TenantRouter.partitionOf("acme", 2);
            // Given a 2 MB prompt its publisher compressed (so the broker took it), then 17 requests behind it in its partition
            String huge = "x".repeat(2 * 1024 * 1024);
            producer.send(new ProducerRecord<>(topic, partition, "acme".getBytes(StandardCharsets.UTF_8),
                    serializer.serialize(topic, request(run + "-huge", "acme", huge)))).get(30, TimeUnit.SECONDS);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 17; i++) {
                String id = run + "-" + i;
                producer.send(new ProducerRecord<>(topic, partition, "acme".getBytes(StandardCharsets.UTF_8),
                        serializer.serialize(topic, request(id, "acme", "hello " + i)))).get(30, TimeUnit.SECONDS);
                ids.add(id);
            }

            // Then the large one is dead-lettered, naming its size and the limit, and the partition goes on
            assertThat(results(topics, 17)).extracting(PromptResult::getRequestId).containsExactlyInAnyOrderElementsOf(ids);
            List<DeadLetter> dead = TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.dlq(), DeadLetter.class, 1,
                    Duration.ofSeconds(30), Duration.ofMillis(500));
            assertThat(dead).singleElement().satisfies(d -> {
                assertThat(d.getRequestId()).isEqualTo(run + "-huge");
                assertThat(d.getCategory()).isEqualTo(ErrorCategory.INVALID_REQUEST);
                assertThat(d.getMessage()).contains("exceeds the limit of 900000 bytes").contains("promptline.processor.max.request.bytes");
                assertThat(d.getRequest()).as("too large to carry").isNull();
            });
            assertThat(callsById(run + "-huge")).isEmpty();
            Await.until(Duration.ofSeconds(30), "the processor ready", app::isRunning, () -> app.health().report());
        } finally {
            app.close();
        }
    }

    @Test
    void shouldKeepEachTenantOnOneTaskWhenPartitionsAreAddedToATier() throws Exception {
        Topics topics = KAFKA.newTopics(2, LADDER);
        String run = topics.base();
        Map<String, Object> config = config(topics, "grow");
        config.put("kafka.metadata.max.age.ms", 1_000);
        ProcessorApp app = InProcess.start(config);
        List<String> ids = new ArrayList<>();
        String topic = topics.requests(Priority.NORMAL);
        Function<Integer, ProducerRecord<byte[], byte[]>> next = i -> {
            String id = run + "-" + i;
            ids.add(id);
            String tenant = "tenant-" + (i % 5);
            return new ProducerRecord<>(topic, tenant.getBytes(StandardCharsets.UTF_8),
                    serializer.serialize(topic, request(id, tenant, "hello " + i + " [[sim:503x1]]")));
        };
        try (KafkaProducer<byte[], byte[]> producer = rawProducer("none")) {
            // Given requests under way (each waits in the ladder after its first call)
            for (int i = 0; i < 20; i++) producer.send(next.apply(i)).get(30, TimeUnit.SECONDS);
            Await.until(Duration.ofSeconds(30), "the first calls", () -> callsById(run).size() >= 10);

            // When the tier topic grows from 2 to 6 partitions, and more requests come into every partition
            KAFKA.admin().createPartitions(Map.of(topic, NewPartitions.increaseTo(6))).all().get(30, TimeUnit.SECONDS);
            Thread.sleep(3_000); // the producer's metadata (and the processor's) sees the new partitions
            for (int i = 20; i < 40; i++) producer.send(next.apply(i)).get(30, TimeUnit.SECONDS);

            // Then every request, old and new, is answered once, and none was called more than twice
            assertThat(results(topics, ids.size())).extracting(PromptResult::getRequestId).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(ids);
            assertThat(callsById(run).values()).allSatisfy(n -> assertThat(n).isEqualTo(2));
            assertThat(TopicReader.countCommitted(KAFKA.bootstrapServers(), topics.dlq())).isZero();
        } finally {
            app.close();
        }
    }
}
