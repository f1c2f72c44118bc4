package io.promptline.processor;

import io.promptline.avro.CostEvent;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptResult;
import io.promptline.avro.PromptRequest;
import io.promptline.ops.simulator.RecordedCall;
import io.promptline.processor.config.ProcessorConfig;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.requests.TenantProof;
import io.promptline.serde.AvroSerializer;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import io.promptline.testkit.TopicReader;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tenant-auth mode: requests signed with their tenant's secret are answered (through the delay
 * ladder too); requests that claim a tenant without its proof — none, another tenant's, a proof
 * lifted from another record — are dead-lettered as UNAUTHORIZED with no call and no cost, and do
 * not use up the request_id they carry.
 */
class TenantAuthIntegrationTest {
    private static final byte[] ACME = "acme-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final byte[] GLOBEX = "globex-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final List<Duration> LADDER = List.of(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30));

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture();

    @TempDir
    Path dir;

    @Test
    void shouldAnswerProvenTenantsAndDeadLetterForgedOnesWithoutACallOrACost() throws Exception {
        Topics topics = KAFKA.newTopics(3, LADDER);
        Path secrets = dir.resolve("tenants.properties");
        Files.writeString(secrets, "acme=" + Base64.getEncoder().encodeToString(ACME) + "\nglobex=" + Base64.getEncoder().encodeToString(GLOBEX) + "\n");
        Map<String, Object> c = InProcess.config(KAFKA.bootstrapServers(), REGISTRY.url(), SIM.baseUrl(), topics, "auth-" + topics.base(), dir);
        c.put(ProcessorConfig.TENANT_AUTH_SECRETS_FILE_CONFIG, secrets.toString());
        String p = topics.base() + "-";
        List<String> legit = List.of(p + "ok-1", p + "ok-2", p + "ok-retried", p + "reused");
        List<String> forged = List.of(p + "no-proof", p + "globex-key", p + "lifted-proof", p + "reused");
        try (ProcessorApp app = InProcess.start(c);
             PromptlineProducer acme = PromptlineProducer.builder().bootstrapServers(KAFKA.bootstrapServers()).schemaRegistryUrl(REGISTRY.url())
                     .topics(topics).tenantSecret("acme", ACME).build();
             KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
                     new StringSerializer(), new ByteArraySerializer())) {
            String topic = topics.requests(Priority.NORMAL);
            AvroSerializer<PromptRequest> avro = new AvroSerializer<>(new RestSchemaRegistryClient(REGISTRY.url()), true);
            // Given forgeries claiming tenant acme: no proof; a proof made with globex's secret; acme's real proof of
            // another record (its first legit request) put on a different request; and one using an id acme will use later
            byte[] noProof = avro.serialize(topic, request(p + "no-proof", "forged: no proof"));
            raw.send(new ProducerRecord<>(topic, "acme", noProof)).get(30, TimeUnit.SECONDS);
            byte[] globexSigned = avro.serialize(topic, request(p + "globex-key", "forged: globex signs for acme"));
            send(raw, topic, globexSigned, TenantProof.sign(GLOBEX, topic, globexSigned));
            byte[] genuine = avro.serialize(topic, request(p + "ok-1", "hello 1"));
            byte[] lifted = avro.serialize(topic, request(p + "lifted-proof", "forged: a lifted proof"));
            send(raw, topic, lifted, TenantProof.sign(ACME, topic, genuine));
            byte[] reusedForgery = avro.serialize(topic, request(p + "reused", "forged: takes the id first"));
            send(raw, topic, reusedForgery, null);

            // And acme's own requests, one of them refused once by the provider (through the delay ladder and back)
            acme.submit(Prompt.builder("acme").requestId(p + "ok-1").model("gpt-4.1-mini").user("hello 1").build()).get(30, TimeUnit.SECONDS);
            acme.submit(Prompt.builder("acme").requestId(p + "ok-2").model("gpt-4.1-mini").user("hello 2").build()).get(30, TimeUnit.SECONDS);
            acme.submit(Prompt.builder("acme").requestId(p + "ok-retried").model("gpt-4.1-mini").user("retry me [[sim:503x1]]").build())
                    .get(30, TimeUnit.SECONDS);
            acme.submit(Prompt.builder("acme").requestId(p + "reused").model("gpt-4.1-mini").user("the real one").build()).get(30, TimeUnit.SECONDS);

            // Then every genuine request is answered once, and every forgery is dead-lettered as UNAUTHORIZED
            var registry = new RestSchemaRegistryClient(REGISTRY.url());
            List<PromptResult> results = TopicReader.readCommitted(KAFKA.bootstrapServers(), registry, topics.results(), PromptResult.class,
                    legit.size(), Duration.ofSeconds(90), Duration.ofSeconds(2));
            assertThat(results).extracting(PromptResult::getRequestId).containsExactlyInAnyOrderElementsOf(legit);
            assertThat(results).filteredOn(r -> r.getRequestId().equals(p + "reused")).singleElement()
                    .satisfies(r -> assertThat(r.getContent()).contains("the real one"));
            List<DeadLetter> dead = TopicReader.readCommitted(KAFKA.bootstrapServers(), registry, topics.dlq(), DeadLetter.class,
                    forged.size(), Duration.ofSeconds(30), Duration.ofSeconds(1));
            assertThat(dead).extracting(DeadLetter::getRequestId).containsExactlyInAnyOrderElementsOf(forged);
            assertThat(dead).allSatisfy(d -> {
                assertThat(d.getCategory()).isEqualTo(ErrorCategory.UNAUTHORIZED);
                assertThat(d.getTenant()).isEqualTo("acme");
                assertThat(d.getAttempts()).isZero();
            });
            assertThat(dead).filteredOn(d -> d.getRequestId().equals(p + "globex-key")).singleElement()
                    .satisfies(d -> assertThat(d.getMessage()).contains("does not match tenant 'acme'"));

            // And no forged prompt reached the provider, and no cost event names a forgery: only acme's own calls were billed
            List<RecordedCall> calls = SIM.simulator().recordedCalls().stream().filter(r -> r.idempotencyKey().startsWith(p)).toList();
            assertThat(calls).extracting(RecordedCall::idempotencyKey).containsOnlyOnceElementsOf(Set.of(p + "ok-1", p + "ok-2", p + "reused"))
                    .doesNotContain(p + "no-proof", p + "globex-key", p + "lifted-proof");
            List<CostEvent> costs = TopicReader.readCommitted(KAFKA.bootstrapServers(), registry, topics.costs(), CostEvent.class, legit.size(),
                    Duration.ofSeconds(30), Duration.ofSeconds(1));
            assertThat(costs).extracting(CostEvent::getRequestId).containsExactlyInAnyOrderElementsOf(legit);
            assertThat(app.isRunning()).isTrue();
        }
    }

    private static PromptRequest request(String id, String text) {
        return PromptRequest.newBuilder().setRequestId(id).setTenant("acme").setPriority(Priority.NORMAL).setModel("gpt-4.1-mini")
                .setMaxTokens(50).setMessages(List.of(io.promptline.requests.Messages.text("user", text))).setCreatedAt(Instant.now()).build();
    }

    private static void send(KafkaProducer<String, byte[]> raw, String topic, byte[] value, byte[] proof) throws Exception {
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, "acme", value);
        if (proof != null) r.headers().add(TenantProof.HEADER, proof);
        raw.send(r).get(30, TimeUnit.SECONDS);
    }
}
