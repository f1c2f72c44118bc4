package io.promptline.processor;

import io.promptline.requests.Messages;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.avro.Quota;
import io.promptline.avro.TierLimit;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.output.FailureHandlers;
import io.promptline.processor.provider.CallGateway;
import io.promptline.processor.provider.Endpoint;
import io.promptline.processor.provider.ProviderApi;
import io.promptline.processor.retry.RetryPolicy;
import io.promptline.processor.routing.ContextRouting;
import io.promptline.ops.simulator.FaultRates;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.serde.PromptlineSerdes;
import io.promptline.testkit.MutableClock;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import io.promptline.topics.Topics;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * One tier's topology on a {@link TopologyTestDriver}, with the topics a test reads and writes and
 * the relay's part played by {@link #relay}: the driver under test is exactly what production runs.
 */
final class TierHarness implements AutoCloseable {
    final Topics topics = Topics.defaults();
    final MutableClock clock;
    final PromptlineSerdes serdes;
    final CallGateway gateway;
    final TopologyTestDriver driver;
    final TestInputTopic<String, byte[]> input;
    final TestInputTopic<String, byte[]> quotas;
    final TestInputTopic<String, byte[]> spend;
    final TestOutputTopic<String, PromptResult> results;
    final TestOutputTopic<String, DeadLetter> dlq;
    private final RetryPolicy retry;

    TierHarness(PromptlineSerdes serdes, MutableClock clock, List<Endpoint> endpoints, RetryPolicy retry, TierSettings.RateLimits limits,
                ContextRouting context, Properties extra) {
        this(serdes, clock, endpoints, TestDispatch.tier(serdes.registry(), retry, limits, context), extra);
    }

    TierHarness(PromptlineSerdes serdes, MutableClock clock, List<Endpoint> endpoints, TierSettings tier, Properties extra) {
        this.serdes = serdes;
        this.clock = clock;
        this.retry = tier.retry();
        this.gateway = TestDispatch.dispatcher(endpoints, 64, clock);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "tier-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.putAll(FailureHandlers.configs(topics.dlq(), tier.tier(), serdes.deadLetter().serializer(), gateway.metrics(), clock));
        props.putAll(extra);
        driver = new TopologyTestDriver(PromptlineTopology.build(topics, serdes, gateway, tier), props);
        input = driver.createInputTopic(topics.requests(Priority.NORMAL), new StringSerializer(), new ByteArraySerializer());
        quotas = driver.createInputTopic(topics.quotas(), new StringSerializer(), new ByteArraySerializer());
        spend = driver.createInputTopic(topics.spend(), new StringSerializer(), new ByteArraySerializer());
        results = driver.createOutputTopic(topics.results(), new StringDeserializer(), serdes.result().deserializer());
        dlq = driver.createOutputTopic(topics.dlq(), new StringDeserializer(), serdes.deadLetter().deserializer());
    }

    /**
     * A harness on the simulator (reset first): one endpoint {@code openai} at its base URL, a
     * lenient breaker, a clock at a fixed instant, the tier settings {@code tier} makes of the registry.
     */
    static TierHarness start(RegistryFixture registry, SimulatorFixture sim, VertxFixture vertx,
                             Function<SchemaRegistryClient, TierSettings> tier) {
        sim.simulator().reset();
        sim.simulator().faults(FaultRates.NONE);
        MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
        PromptlineSerdes serdes = registry.serdes();
        return new TierHarness(serdes, clock, List.of(TestDispatch.endpoint(vertx.vertx(), "openai", sim.baseUrl(), 64, 1_000,
                TestDispatch.LENIENT_BREAKER, clock)), tier.apply(serdes.registry()), new Properties());
    }

    /** A harness whose one endpoint speaks {@code api} to the simulator (which speaks them all), no rate limits. */
    static TierHarness start(RegistryFixture registry, SimulatorFixture sim, VertxFixture vertx, RetryPolicy retry, ProviderApi api,
                             String baseUrl) {
        sim.simulator().reset();
        sim.simulator().faults(FaultRates.NONE);
        MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
        PromptlineSerdes serdes = registry.serdes();
        return new TierHarness(serdes, clock, List.of(TestDispatch.endpoint(vertx.vertx(), api, api.name(), baseUrl, 64, 1_000,
                TestDispatch.LENIENT_BREAKER, clock)), TestDispatch.tier(serdes.registry(), retry, TierSettings.RateLimits.unlimited(),
                ContextRouting.none()), new Properties());
    }

    /** As {@link #start(RegistryFixture, SimulatorFixture, VertxFixture, Function)} with no rate limits and no context routing. */
    static TierHarness start(RegistryFixture registry, SimulatorFixture sim, VertxFixture vertx, RetryPolicy retry) {
        return start(registry, sim, vertx, r -> TestDispatch.tier(r, retry, TierSettings.RateLimits.unlimited(), ContextRouting.none()));
    }

    /** The records sent to one rung of the delay ladder. */
    TestOutputTopic<String, byte[]> rung(Duration delay) {
        return driver.createOutputTopic(topics.retry(delay), new StringDeserializer(), new ByteArrayDeserializer());
    }

    PromptRequest.Builder request(String id, String content) {
        return PromptRequest.newBuilder().setRequestId(id).setTenant("acme").setPriority(Priority.NORMAL).setModel("gpt-4.1")
                .setMessages(List.of(Messages.text("user", content))).setCreatedAt(clock.instant());
    }

    byte[] wire(PromptRequest r) {
        return serdes.request().serializer().serialize(topics.requests(Priority.NORMAL), r);
    }

    /** Publishes a request keyed by its tenant, as the producer library does. */
    void send(PromptRequest r) {
        input.pipeInput(r.getTenant(), wire(r));
    }

    /** Does what the relay does when a ladder record is due: sends it back, with its headers, to the tier topic. */
    void relay(TestRecord<String, byte[]> delayed) {
        input.pipeInput(new TestRecord<>(delayed.key(), delayed.value(), delayed.headers(), clock.instant()));
    }

    void quota(String tenant, long requestsPerMinute) {
        quotas.pipeInput(tenant, serdes.quota().serializer().serialize(topics.quotas(), Quota.newBuilder().setTenant(tenant)
                .setLimits(List.of(new TierLimit(Priority.NORMAL, requestsPerMinute, null))).setUpdatedAt(clock.instant()).build()));
    }

    /** Advances the driver's wall clock (running the punctuator) until the condition holds, for at most 10 s. */
    void pumpUntil(BooleanSupplier done) {
        TestDispatch.pumpUntil(driver, done);
    }

    RetryPolicy retry() {
        return retry;
    }

    @Override
    public void close() {
        driver.close();
        gateway.close();
    }
}
