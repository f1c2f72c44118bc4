package io.promptline.processor;

import io.promptline.requests.Messages;
import io.promptline.avro.CostEvent;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.pricing.PriceTable;
import io.promptline.processor.dispatch.TaskStores;
import io.promptline.processor.provider.CallGateway;
import io.promptline.pricing.PriceTable;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.cost.Billing;
import io.promptline.processor.routing.ContextRouting;
import io.promptline.requests.RequestHeaders;
import io.promptline.serde.PromptlineSerdes;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import io.promptline.topics.Topics;
import io.vertx.core.Vertx;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The topology of one tier driven by TopologyTestDriver, calling the real simulator over HTTP.
 * The driver runs the stream thread's side; completions arrive from Vert.x and are applied when
 * the wall clock advances (the punctuator) or the next record is processed.
 */
class DispatchTopologyTest {
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:5")
            .completionTokensMin(10).completionTokensMax(50).cachedMinPromptTokens(20).cachedFraction(0.5).hangMillis(30_000).build());

    private static Vertx vertx;
    private final Topics topics = Topics.defaults();
    private PromptlineSerdes serdes;
    private CallGateway dispatcher;
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> input;
    private TestOutputTopic<String, PromptResult> results;
    private TestOutputTopic<String, CostEvent> costs;
    private TestOutputTopic<String, DeadLetter> dlq;

    @BeforeAll
    static void vertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void closeVertx() {
        vertx.close();
    }

    @BeforeEach
    void setUp() {
        start(64);
    }

    private void start(int permits) {
        start(permits, TestDispatch.BUILT_IN);
    }

    private void start(int permits, Billing billing) {
        SIM.simulator().reset();
        serdes = REGISTRY.serdes();
        dispatcher = TestDispatch.dispatcher(List.of(TestDispatch.endpoint(vertx, "openai", SIM.baseUrl(), 64, 1_000,
                TestDispatch.LENIENT_BREAKER, Clock.systemUTC())), permits, Clock.systemUTC());
        // No retries here: a failed call's classification reaches the DLQ at once (RetryTopologyTest covers the ladder).
        TierSettings t = TestDispatch.tier(serdes.registry(), TestDispatch.NO_RETRIES, TierSettings.RateLimits.unlimited(),
                ContextRouting.none());
        TierSettings tier = new TierSettings(t.tier(), t.registry(), t.router(), t.context(), billing, t.maxPending(), t.drainInterval(),
                t.maxBlock(), t.dedupeRetention(), t.retry(), t.rateLimits(), t.intake());
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "dispatch-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(PromptlineTopology.build(topics, serdes, dispatcher, tier), props);
        input = driver.createInputTopic(topics.requests(Priority.NORMAL), new StringSerializer(), new ByteArraySerializer());
        results = driver.createOutputTopic(topics.results(), new StringDeserializer(), serdes.result().deserializer());
        costs = driver.createOutputTopic(topics.costs(), new StringDeserializer(), serdes.cost().deserializer());
        dlq = driver.createOutputTopic(topics.dlq(), new StringDeserializer(), serdes.deadLetter().deserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
        dispatcher.close();
    }

    private PromptRequest.Builder request(String id) {
        return PromptRequest.newBuilder().setRequestId(id).setTenant("acme").setPriority(Priority.NORMAL)
                .setMessages(List.of(Messages.text("system", "You are terse and exact in every answer."),
                        Messages.text("user", "Say hello to request " + id)))
                .setCreatedAt(Instant.now());
    }

    private void send(PromptRequest r) {
        input.pipeInput(r.getTenant(), serdes.request().serializer().serialize(topics.requests(Priority.NORMAL), r));
    }

    private void pumpUntil(BooleanSupplier done) {
        TestDispatch.pumpUntil(driver, done);
    }

    private KeyValueStore<String, byte[]> pendingStore() {
        return driver.getKeyValueStore(TaskStores.PENDING_STORE);
    }

    @Test
    void shouldEmitOneResultAndOneExactCostEventPerRequest() {
        send(request("ok-1").setModel("gpt-4.1").build());
        pumpUntil(() -> !results.isEmpty());

        PromptResult result = results.readValue();
        var call = SIM.simulator().recordedCalls().get(0);
        assertThat(result.getRequestId()).isEqualTo("ok-1");
        assertThat(result.getModel()).isEqualTo("gpt-4.1");
        assertThat(result.getProvider()).isEqualTo("openai");
        assertThat(result.getAttempts()).isEqualTo(1);
        assertThat(result.getContent()).isNotBlank();
        assertThat(result.getUsage().getPromptTokens()).isEqualTo(call.promptTokens());
        assertThat(result.getUsage().getCompletionTokens()).isEqualTo(call.completionTokens());
        assertThat(result.getUsage().getCachedTokens()).isEqualTo(call.cachedTokens()).isPositive();

        CostEvent cost = costs.readValue();
        // gpt-4.1: $2 input, $0.50 cached input, $8 output per million tokens; half-up to the micro-unit
        long scaled = (call.promptTokens() - call.cachedTokens()) * 2_000_000L + call.cachedTokens() * 500_000L
                + call.completionTokens() * 8_000_000L;
        assertThat(cost.getCostMicros()).isEqualTo((scaled + 500_000) / 1_000_000);
        assertThat(cost.getCurrency()).isEqualTo("USD");
        assertThat(cost.getPriceVersion()).isEqualTo(PriceTable.builtIn().version());
        assertThat(cost.getEventId()).startsWith("ok-1/1/");
        assertThat(costs.isEmpty()).isTrue();
        assertThat(dlq.isEmpty()).isTrue();
        assertThat(pendingStore().get("ok-1")).as("pending entry deleted once applied").isNull();
    }

    @Test
    void shouldCallAModelWithoutAPriceAndRecordItAsUnpricedWhenThePolicySaysRecord() {
        tearDown();
        start(64, new Billing(PriceTable.builtIn(), Billing.UnpricedPolicy.RECORD));

        send(request("local-1").setModel("llama-3-local").build());
        pumpUntil(() -> !results.isEmpty());

        assertThat(results.readValue().getModel()).isEqualTo("llama-3-local");
        CostEvent cost = costs.readValue();
        assertThat(cost.getUnpriced()).isTrue();
        assertThat(cost.getCostMicros()).isZero();
        assertThat(cost.getCurrency()).as("no currency: the cost is unknown, not zero dollars").isEqualTo("XXX");
        assertThat(cost.getPromptTokens()).isPositive();
        assertThat(dlq.isEmpty()).isTrue();
        assertThat(dispatcher.metrics().registry().get("promptline.unpriced.calls").tag("model", "llama-3-local").counter().count())
                .isEqualTo(1.0);
    }

    @Test
    void shouldDeadLetterUndecodableBytesWithTheirRawValueAndKeepGoing() {
        byte[] garbage = "{\"not\":\"avro\"}".getBytes();
        input.pipeInput("acme", garbage);
        send(request("after-garbage").build());
        pumpUntil(() -> !results.isEmpty());

        DeadLetter dl = dlq.readValue();
        assertThat(dl.getCategory()).isEqualTo(ErrorCategory.MALFORMED_INPUT);
        assertThat(dl.getMessage()).contains("Unknown magic byte 0x7b");
        assertThat(dl.getRawValue().array()).isEqualTo(garbage);
        assertThat(dl.getTenant()).isEqualTo("acme");
        assertThat(dl.getOriginTopic()).isEqualTo(topics.requests(Priority.NORMAL));
        assertThat(dl.getOriginOffset()).isZero();
        assertThat(results.readValue().getRequestId()).isEqualTo("after-garbage");
    }

    @Test
    void shouldDeadLetterInvalidRequestsNamingTheFieldWithoutCalling() {
        send(request("no-messages").setMessages(List.of()).build());
        send(request("bad-max-tokens").setMaxTokens(-5).build());
        send(request("absurd-max-tokens").setMaxTokens(50_000_000).build());
        send(request("empty-content").setMessages(List.of(Messages.text("user", " "))).build());
        send(request("unknown-model").setModel("gpt-99").build());
        send(request("unknown-task").setTaskType("poetry").build());
        send(request("expired").setDeadline(Instant.now().minusSeconds(1)).build());
        send(request("bad-format").setResponseFormat("{\"type\":\"json_object\"}}").build());

        List<DeadLetter> letters = dlq.readValuesToList();
        assertThat(letters).extracting(DeadLetter::getRequestId).containsExactly(
                "no-messages", "bad-max-tokens", "absurd-max-tokens", "empty-content", "unknown-model", "unknown-task", "expired",
                "bad-format");
        assertThat(letters.get(0).getMessage()).contains("messages");
        assertThat(letters.get(1).getMessage()).contains("max_tokens -5");
        assertThat(letters.get(2).getMessage()).contains("max_tokens 50000000");
        assertThat(letters.get(3).getMessage()).contains("messages[0].content");
        assertThat(letters.get(4).getMessage()).contains("model 'gpt-99'");
        assertThat(letters.get(5).getMessage()).contains("task_type 'poetry'");
        assertThat(letters.subList(0, 6)).allMatch(d -> d.getCategory() == ErrorCategory.INVALID_REQUEST);
        assertThat(letters.get(6).getCategory()).isEqualTo(ErrorCategory.DEADLINE_EXCEEDED);
        assertThat(letters.get(7).getCategory()).isEqualTo(ErrorCategory.INVALID_REQUEST);
        assertThat(letters.get(7).getMessage()).contains("response_format");
        assertThat(letters).allMatch(d -> d.getRequest() != null && d.getAttempts() == 0);
        assertThat(SIM.simulator().stats().requestsReceived()).as("no call for a refused request").isZero();
    }

    @Test
    void shouldHoldThePendingEntryWhileTheCallIsInFlight() {
        // Given a call the provider never answers (the client times out after 1 s)
        send(request("slow").setMessages(List.of(Messages.text("user", "wait [[sim:hang]]"))).build());

        // Then the request is in the changelogged pending store while the call is open
        assertThat(pendingStore().get("slow")).isNotNull();
        pumpUntil(() -> SIM.simulator().stats().inFlight() == 1);
        assertThat(pendingStore().get("slow")).isNotNull();

        // And when the timeout completes the call, the entry is replaced by a dead letter
        pumpUntil(() -> !dlq.isEmpty());
        DeadLetter dl = dlq.readValue();
        assertThat(dl.getCategory()).isEqualTo(ErrorCategory.TIMEOUT);
        assertThat(dl.getAttempts()).isEqualTo(1);
        assertThat(pendingStore().get("slow")).isNull();
    }

    @Test
    void shouldClassifyProviderErrors() {
        // (a 401 is not the request's fault: the endpoint pauses and the request waits; see ResilienceTopologyTest)
        send(request("ctx").setMessages(List.of(Messages.text("user", "x [[sim:context_length]]"))).build());
        send(request("policy").setMessages(List.of(Messages.text("user", "x [[sim:content_policy]]"))).build());
        send(request("reset").setMessages(List.of(Messages.text("user", "x [[sim:reset]]"))).build());
        send(request("down").setMessages(List.of(Messages.text("user", "x [[sim:503]]"))).build());
        pumpUntil(() -> driver.producedTopicNames().contains(topics.dlq()) && pendingStore().approximateNumEntries() == 0);

        Map<String, DeadLetter> byId = new java.util.HashMap<>();
        dlq.readValuesToList().forEach(d -> byId.put(d.getRequestId(), d));
        assertThat(byId).hasSize(4);
        assertThat(byId.get("ctx").getCategory()).isEqualTo(ErrorCategory.CONTEXT_LENGTH);
        assertThat(byId.get("policy").getCategory()).isEqualTo(ErrorCategory.CONTENT_POLICY);
        assertThat(byId.get("reset").getCategory()).isEqualTo(ErrorCategory.NETWORK);
        assertThat(byId.get("reset").getHttpStatus()).isNull();
        assertThat(byId.get("down").getCategory()).isEqualTo(ErrorCategory.PROVIDER_ERROR);
        assertThat(byId.get("down").getHttpStatus()).isEqualTo(503);
        assertThat(results.isEmpty()).isTrue();
    }

    @Test
    void shouldCallOnceForARequestIdPublishedTwiceWhileInFlight() {
        PromptRequest r = request("twice").build();
        send(r);
        send(r);
        pumpUntil(() -> !results.isEmpty() && pendingStore().approximateNumEntries() == 0);

        assertThat(results.readValuesToList()).hasSize(1);
        assertThat(costs.readValuesToList()).hasSize(1);
        assertThat(SIM.simulator().stats().requestsReceived()).isEqualTo(1);
    }

    @Test
    void shouldRouteByTaskTypeAndDefaultModel() {
        send(request("routed").setTaskType("code").build());
        send(request("default").build());
        pumpUntil(() -> results.getQueueSize() == 2);

        Map<String, String> modelById = new java.util.HashMap<>();
        results.readValuesToList().forEach(r -> modelById.put(r.getRequestId(), r.getModel()));
        assertThat(modelById).containsEntry("routed", "deepseek-v3.2").containsEntry("default", "gpt-4.1-mini");
    }

    @Test
    void shouldNotCallOrBillAgainForARequestPublishedAfterItsResult() {
        PromptRequest r = request("again").build();
        send(r);
        pumpUntil(() -> !results.isEmpty());
        send(r);
        driver.advanceWallClockTime(Duration.ofMillis(50));

        assertThat(results.readValuesToList()).hasSize(1);
        assertThat(costs.readValuesToList()).hasSize(1);
        assertThat(SIM.simulator().stats().requestsReceived()).isEqualTo(1);
    }

    @Test
    void shouldCallAgainWhenADeadLetteredRequestIsRedriven() {
        // Given a request whose first call fails (the provider is down once)
        PromptRequest r = request("redrive").setMessages(List.of(Messages.text("user", "x [[sim:503x1]]"))).build();
        send(r);
        pumpUntil(() -> !dlq.isEmpty());
        assertThat(dlq.readValue().getCategory()).isEqualTo(ErrorCategory.PROVIDER_ERROR);

        // When the same request is published again as such (a publisher's blind retry), it is a duplicate: not called
        send(r);
        driver.advanceWallClockTime(Duration.ofMillis(50));
        assertThat(results.isEmpty()).isTrue();
        assertThat(SIM.simulator().stats().requestsReceived()).isEqualTo(1);

        // When it is redriven from the DLQ (the record says so), it is called again and answered
        TestRecord<String, byte[]> redrive = new TestRecord<>(r.getTenant(), serdes.request().serializer().serialize(
                topics.requests(Priority.NORMAL), r));
        redrive.headers().add(RequestHeaders.REDRIVE, "dlq 0:0".getBytes(StandardCharsets.UTF_8));
        input.pipeInput(redrive);
        pumpUntil(() -> !results.isEmpty());
        assertThat(results.readValue().getRequestId()).isEqualTo("redrive");
        assertThat(SIM.simulator().stats().requestsReceived()).isEqualTo(2);
    }

    @Test
    void shouldDeadLetterARequestWhoseDeadlinePassesWhileWaitingForAPermit() {
        tearDown();
        start(1);
        // Given the only permit held by a call the provider never answers (client timeout 1 s)
        send(request("holder").setMessages(List.of(Messages.text("user", "wait [[sim:hang]]"))).build());
        send(request("late").setDeadline(Instant.now().plusMillis(200)).build());

        pumpUntil(() -> dlq.getQueueSize() >= 2);
        Map<String, DeadLetter> byId = new java.util.HashMap<>();
        dlq.readValuesToList().forEach(d -> byId.put(d.getRequestId(), d));
        assertThat(byId.get("late").getCategory()).isEqualTo(ErrorCategory.DEADLINE_EXCEEDED);
        assertThat(byId.get("late").getMessage()).contains("passed while waiting for").contains("a dispatch permit");
        assertThat(byId.get("holder").getCategory()).isEqualTo(ErrorCategory.TIMEOUT);
        assertThat(SIM.simulator().stats().requestsReceived()).as("the late request was never called").isEqualTo(1);
    }
}
