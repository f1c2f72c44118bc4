package io.promptline.processor;

import io.promptline.requests.Messages;
import io.promptline.avro.BudgetPeriod;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.avro.Quota;
import io.promptline.avro.SpendTotal;
import io.promptline.avro.TierLimit;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.dispatch.TaskStores;
import io.promptline.processor.provider.CallGateway;
import io.promptline.processor.config.TierSettings;
import io.promptline.quota.SpendKeys;
import io.promptline.processor.ratelimit.Limits;
import io.promptline.processor.output.FailureHeaders;
import io.promptline.processor.retry.RetryHeaders;
import io.promptline.processor.retry.RetryPolicy;
import io.promptline.processor.routing.ContextRouting;
import io.promptline.serde.PromptlineSerdes;
import io.promptline.testkit.MutableClock;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import io.promptline.topics.Topics;
import io.vertx.core.Vertx;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retries through the delay ladder, context fallbacks, tenant rate limits from the quotas topic
 * and budgets, on one tier's topology with the real simulator. The relay's part (sending a ladder
 * record back to the tier topic when due) is played by the test, which pipes the record back.
 */
class ResilienceTopologyTest {
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:5")
            .completionTokensMin(10).completionTokensMax(50).hangMillis(30_000).build());
    private static final Duration RUNG_1S = Duration.ofSeconds(1);
    private static final Duration RUNG_5S = Duration.ofSeconds(5);
    private static final RetryPolicy RETRY = new RetryPolicy(List.of(RUNG_1S, RUNG_5S), 3, Duration.ofMillis(200), 2, 0);
    private static final ContextRouting CONTEXT = new ContextRouting(
            Map.of("gpt-4.1-mini", 500, "gpt-4.1", 1_000_000, "deepseek-v3.2", 200), Map.of("gpt-4.1-mini", "gpt-4.1"));

    private static Vertx vertx;
    private final Topics topics = Topics.defaults();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));
    private PromptlineSerdes serdes;
    private CallGateway dispatcher;
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> input;
    private TestInputTopic<String, byte[]> quotas;
    private TestInputTopic<String, byte[]> spend;
    private TestOutputTopic<String, PromptResult> results;
    private TestOutputTopic<String, DeadLetter> dlq;
    private TestOutputTopic<String, byte[]> retry1s;
    private TestOutputTopic<String, byte[]> retry5s;

    @BeforeAll
    static void vertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void closeVertx() {
        vertx.close();
    }

    private void start(TierSettings.RateLimits limits) {
        start(limits, List.of(TestDispatch.endpoint(vertx, "openai", SIM.baseUrl(), 64, 1_000, TestDispatch.LENIENT_BREAKER, clock)));
    }

    private void start(TierSettings.RateLimits limits, List<io.promptline.processor.provider.Endpoint> endpoints) {
        SIM.simulator().reset();
        serdes = REGISTRY.serdes();
        dispatcher = TestDispatch.dispatcher(endpoints, 64, clock);
        TierSettings tier = TestDispatch.tier(serdes.registry(), RETRY, limits, CONTEXT);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "resilience-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(PromptlineTopology.build(topics, serdes, dispatcher, tier), props);
        input = driver.createInputTopic(topics.requests(Priority.NORMAL), new StringSerializer(), new ByteArraySerializer());
        quotas = driver.createInputTopic(topics.quotas(), new StringSerializer(), new ByteArraySerializer());
        spend = driver.createInputTopic(topics.spend(), new StringSerializer(), new ByteArraySerializer());
        results = driver.createOutputTopic(topics.results(), new StringDeserializer(), serdes.result().deserializer());
        dlq = driver.createOutputTopic(topics.dlq(), new StringDeserializer(), serdes.deadLetter().deserializer());
        retry1s = driver.createOutputTopic(topics.retry(RUNG_1S), new StringDeserializer(), new ByteArrayDeserializer());
        retry5s = driver.createOutputTopic(topics.retry(RUNG_5S), new StringDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
        dispatcher.close();
    }

    private PromptRequest.Builder request(String id, String content) {
        return PromptRequest.newBuilder().setRequestId(id).setTenant("acme").setPriority(Priority.NORMAL).setModel("gpt-4.1")
                .setMessages(List.of(Messages.text("user", content))).setCreatedAt(clock.instant());
    }

    private void send(PromptRequest r) {
        input.pipeInput(r.getTenant(), serdes.request().serializer().serialize(topics.requests(Priority.NORMAL), r));
    }

    /** Does what the relay does when a ladder record is due: sends it back, with its headers, to the tier topic. */
    private void relay(TestRecord<String, byte[]> delayed) {
        input.pipeInput(new TestRecord<>(delayed.key(), delayed.value(), delayed.headers(), clock.instant()));
    }

    private void pumpUntil(BooleanSupplier done) {
        TestDispatch.pumpUntil(driver, done);
    }

    private static String header(Headers h, String key) {
        return FailureHeaders.text(h, key);
    }

    @Test
    void shouldRetryThroughTheLadderAndAnswerOnTheNextCall() {
        start(TierSettings.RateLimits.unlimited());
        // Given a provider that fails the first call with a 503
        PromptRequest r = request("flaky", "hello [[sim:503x1]]").build();
        send(r);
        pumpUntil(() -> !retry1s.isEmpty());

        // Then the request goes to the ladder with what happened, not to the DLQ
        TestRecord<String, byte[]> delayed = retry1s.readRecord();
        Headers h = delayed.headers();
        assertThat(header(h, FailureHeaders.ATTEMPTS)).isEqualTo("1");
        assertThat(header(h, FailureHeaders.CATEGORY)).isEqualTo("PROVIDER_ERROR");
        assertThat(header(h, FailureHeaders.HTTP_STATUS)).isEqualTo("503");
        assertThat(header(h, FailureHeaders.MESSAGE)).contains("HTTP 503 from openai");
        assertThat(header(h, RetryHeaders.TIER)).isEqualTo("NORMAL");
        assertThat(header(h, FailureHeaders.ORIGIN_TOPIC)).isEqualTo(topics.requests(Priority.NORMAL));
        assertThat(header(h, FailureHeaders.ORIGIN_OFFSET)).isEqualTo("0");
        assertThat(Long.parseLong(header(h, RetryHeaders.DUE_AT))).isEqualTo(clock.millis() + 200);
        assertThat(delayed.key()).isEqualTo("acme");
        assertThat(dlq.isEmpty()).isTrue();

        // And a copy published while it waits is not called
        send(r);
        driver.advanceWallClockTime(Duration.ofMillis(50));
        assertThat(SIM.simulator().stats().requestsReceived()).isEqualTo(1);

        // When the relay sends it back, it is called again and answered, with its attempts counted
        relay(delayed);
        pumpUntil(() -> !results.isEmpty());
        PromptResult result = results.readValue();
        assertThat(result.getRequestId()).isEqualTo("flaky");
        assertThat(result.getAttempts()).isEqualTo(2);
        assertThat(SIM.simulator().stats().requestsReceived()).isEqualTo(2);
        assertThat(driver.getKeyValueStore(TaskStores.PENDING_STORE).get("flaky")).isNull();
    }

    @Test
    void shouldDeadLetterAfterTheLastAttemptWithTheWholeStory() {
        start(TierSettings.RateLimits.unlimited());
        send(request("down", "hello [[sim:500]]").build());
        pumpUntil(() -> !retry1s.isEmpty());
        TestRecord<String, byte[]> first = retry1s.readRecord();
        relay(first);
        pumpUntil(() -> !retry1s.isEmpty());
        TestRecord<String, byte[]> second = retry1s.readRecord();
        assertThat(header(second.headers(), FailureHeaders.ATTEMPTS)).isEqualTo("2");
        assertThat(Long.parseLong(header(second.headers(), RetryHeaders.DUE_AT))).as("backoff doubles").isEqualTo(clock.millis() + 400);
        relay(second);
        pumpUntil(() -> !dlq.isEmpty());

        TestRecord<String, DeadLetter> record = dlq.readRecord();
        DeadLetter dl = record.value();
        assertThat(dl.getCategory()).isEqualTo(ErrorCategory.PROVIDER_ERROR);
        assertThat(dl.getHttpStatus()).isEqualTo(500);
        assertThat(dl.getAttempts()).isEqualTo(3);
        assertThat(dl.getMessage()).contains("HTTP 500 from openai").endsWith("(after 3 attempts)");
        assertThat(dl.getFirstAttemptAt()).isNotNull();
        assertThat(dl.getLastAttemptAt()).isAfterOrEqualTo(dl.getFirstAttemptAt());
        assertThat(dl.getOriginOffset()).as("the original record, not the relayed copy").isZero();
        assertThat(dl.getRequest().getRequestId()).isEqualTo("down");
        assertThat(header(record.headers(), FailureHeaders.ATTEMPTS)).isEqualTo("3");
        assertThat(header(record.headers(), FailureHeaders.CATEGORY)).isEqualTo("PROVIDER_ERROR");
        assertThat(header(record.headers(), FailureHeaders.ORIGIN_OFFSET)).isEqualTo("0");
        assertThat(SIM.simulator().stats().requestsReceived()).isEqualTo(3);
    }

    @Test
    void shouldNotRetryWhatNoRetryCanFix() {
        start(TierSettings.RateLimits.unlimited());
        send(request("context", "x [[sim:context_length]]").build());
        send(request("policy", "x [[sim:content_policy]]").build());
        pumpUntil(() -> dlq.getQueueSize() == 2);

        assertThat(dlq.readValuesToList()).extracting(DeadLetter::getCategory)
                .containsExactlyInAnyOrder(ErrorCategory.CONTEXT_LENGTH, ErrorCategory.CONTENT_POLICY);
        assertThat(retry1s.isEmpty()).isTrue();
    }

    @Test
    void shouldFallBackToALargerModelWhenTheProviderSaysTheContextIsExceeded() {
        start(TierSettings.RateLimits.unlimited());
        send(request("long", "x [[sim:context_lengthx1]]").setModel("gpt-4.1-mini").build());
        pumpUntil(() -> !results.isEmpty());

        PromptResult result = results.readValue();
        assertThat(result.getRequestedModel()).isEqualTo("gpt-4.1-mini");
        assertThat(result.getModel()).isEqualTo("gpt-4.1");
        assertThat(result.getAttempts()).isEqualTo(2);
        assertThat(result.getFallbackReason()).contains("context_length_exceeded").contains("routed to gpt-4.1");
    }

    @Test
    void shouldRouteAnOversizedPromptBeforeCallingOrRefuseItNamingTheWindow() {
        start(TierSettings.RateLimits.unlimited());
        String text = "w".repeat(3_000); // about 750 tokens
        send(request("big", text).setModel("gpt-4.1-mini").build());
        send(request("too-big", text).setModel("deepseek-v3.2").build());
        pumpUntil(() -> !results.isEmpty() && !dlq.isEmpty());

        PromptResult result = results.readValue();
        assertThat(result.getModel()).isEqualTo("gpt-4.1");
        assertThat(result.getAttempts()).isEqualTo(1);
        assertThat(result.getFallbackReason()).contains("exceeds gpt-4.1-mini's context window of 500");
        DeadLetter dl = dlq.readValue();
        assertThat(dl.getRequestId()).isEqualTo("too-big");
        assertThat(dl.getCategory()).isEqualTo(ErrorCategory.CONTEXT_LENGTH);
        assertThat(dl.getMessage()).contains("deepseek-v3.2 (200)").contains("no context fallback is configured");
        assertThat(SIM.simulator().arrivals()).extracting(a -> a.model()).containsExactly("gpt-4.1");
    }

    @Test
    void shouldHoldATenantToItsQuotaAndParkWhatWaitsLongerThanTheHold() {
        // Given a default of 6,000 a minute, a quota of 60 a minute for acme (a burst of 3), and a 1 s hold
        start(new TierSettings.RateLimits(new Limits(6_000, 0), 0.05, Duration.ofSeconds(1), 100));
        quotas.pipeInput("acme", serdes.quota().serializer().serialize(topics.quotas(), Quota.newBuilder().setTenant("acme")
                .setLimits(List.of(new TierLimit(Priority.NORMAL, 60L, null))).setUpdatedAt(clock.instant()).build()));

        // When acme sends 8 requests at once and globex 3
        for (int i = 0; i < 8; i++) send(request("a" + i, "hello " + i).build());
        for (int i = 0; i < 3; i++) send(request("g" + i, "hello " + i).setTenant("globex").build());
        pumpUntil(() -> results.getQueueSize() == 6);

        // Then acme's burst and globex go at once; acme's 4th waits its turn in the task (1 s away),
        // and the other 4 (2..5 s away) wait in the ladder, keeping their turns
        assertThat(results.readValuesToList()).extracting(PromptResult::getRequestId)
                .containsExactlyInAnyOrder("a0", "a1", "a2", "g0", "g1", "g2");
        List<TestRecord<String, byte[]>> parked = retry1s.readRecordsToList();
        assertThat(parked).hasSize(4);
        assertThat(parked).allSatisfy(p -> {
            assertThat(header(p.headers(), RetryHeaders.RESERVATION)).isNotNull();
            assertThat(header(p.headers(), FailureHeaders.CATEGORY)).as("waiting is not a failure").isNull();
            assertThat(header(p.headers(), FailureHeaders.ATTEMPTS)).isEqualTo("0");
        });

        // When a second passes, the one held in the task starts
        clock.advance(Duration.ofSeconds(1));
        pumpUntil(() -> results.getQueueSize() == 1);
        assertThat(results.readValue().getRequestId()).isEqualTo("a3");

        // And the parked ones, back from the ladder, start one a second in their order (those whose turn
        // is still beyond the hold go back to the ladder, due a rung later, and the relay returns them again)
        parked.forEach(this::relay);
        List<String> order = new ArrayList<>();
        for (int second = 0; second < 4; second++) {
            if (second > 0) retry1s.readRecordsToList().forEach(this::relay);
            driver.advanceWallClockTime(Duration.ofMillis(50));
            assertThat(results.isEmpty()).as("nothing before its turn").isTrue();
            clock.advance(Duration.ofSeconds(1));
            pumpUntil(() -> !results.isEmpty());
            order.add(results.readValue().getRequestId());
        }
        assertThat(order).containsExactly("a4", "a5", "a6", "a7");
        assertThat(SIM.simulator().stats().requestsReceived()).isEqualTo(11);
    }

    @Test
    void shouldGiveBackTheTurnOfAParkedRequestThatExpiresInTheLadder() {
        // Given acme at 60 a minute (a burst of 3) and a 1 s hold
        start(new TierSettings.RateLimits(new Limits(6_000, 0), 0.05, Duration.ofSeconds(1), 100));
        quotas.pipeInput("acme", serdes.quota().serializer().serialize(topics.quotas(), Quota.newBuilder().setTenant("acme")
                .setLimits(List.of(new TierLimit(Priority.NORMAL, 60L, null))).setUpdatedAt(clock.instant()).build()));

        // When its burst and a 4th go, and a 5th, whose turn is 2 s away, is parked but expires in 1.5 s
        for (int i = 0; i < 4; i++) send(request("a" + i, "hello " + i).build());
        send(request("late", "hello").setDeadline(clock.instant().plusMillis(1_500)).build());
        pumpUntil(() -> results.getQueueSize() == 3);
        List<TestRecord<String, byte[]>> parked = retry1s.readRecordsToList();
        assertThat(parked).singleElement().satisfies(p -> assertThat(header(p.headers(), RetryHeaders.RESERVATION)).isNotNull());
        clock.advance(Duration.ofSeconds(2));
        pumpUntil(() -> results.getQueueSize() == 4);
        parked.forEach(this::relay);
        pumpUntil(() -> !dlq.isEmpty());
        assertThat(dlq.readValue()).satisfies(d -> {
            assertThat(d.getRequestId()).isEqualTo("late");
            assertThat(d.getCategory()).isEqualTo(ErrorCategory.DEADLINE_EXCEEDED);
        });

        // Then the turn it held is free: of two more, one starts now and the other waits in the task for
        // the next second (had the expired one kept its place, the second would be 2 s away and parked)
        send(request("next", "hello").build());
        send(request("after", "hello").build());
        pumpUntil(() -> results.getQueueSize() == 5);
        assertThat(retry1s.isEmpty()).as("nothing parked").isTrue();
        clock.advance(Duration.ofSeconds(1));
        pumpUntil(() -> results.getQueueSize() == 6);
        assertThat(results.readValuesToList()).extracting(PromptResult::getRequestId)
                .containsExactly("a0", "a1", "a2", "a3", "next", "after");
    }

    @Test
    void shouldDeadLetterATenantOverItsBudgetWithoutCalling() {
        start(TierSettings.RateLimits.unlimited());
        quotas.pipeInput("spender", serdes.quota().serializer().serialize(topics.quotas(), Quota.newBuilder().setTenant("spender")
                .setBudgetMicros(5_000L).setBudgetCurrency("USD").setBudgetPeriod(BudgetPeriod.MONTHLY).setUpdatedAt(clock.instant()).build()));
        String key = SpendKeys.key("spender", "USD", BudgetPeriod.MONTHLY, clock.instant());
        spend.pipeInput(key, serdes.spend().serializer().serialize(topics.spend(), SpendTotal.newBuilder().setTenant("spender")
                .setCurrency("USD").setPeriod("M:2026-11").setCalls(12).setCostMicros(5_000).setUpdatedAt(clock.instant()).build()));

        send(request("over", "hello").setTenant("spender").build());
        send(request("fine", "hello").setTenant("thrifty").build());
        pumpUntil(() -> !results.isEmpty() && !dlq.isEmpty());

        DeadLetter dl = dlq.readValue();
        assertThat(dl.getRequestId()).isEqualTo("over");
        assertThat(dl.getCategory()).isEqualTo(ErrorCategory.BUDGET_EXCEEDED);
        assertThat(dl.getMessage()).contains("has spent 5000 of its monthly budget of 5000 micro-USD (M:2026-11)");
        assertThat(results.readValue().getRequestId()).isEqualTo("fine");
        assertThat(SIM.simulator().stats().requestsReceived()).isEqualTo(1);
    }

    @Test
    void shouldCallTheFallbackProviderWhileThePrimaryIsDownAndRecordIt() {
        // Given a primary endpoint nobody listens on (its breaker opens after 2 failures) and a fallback provider
        var breaker = new io.promptline.processor.provider.Endpoint.BreakerSettings(2, Duration.ofMinutes(1), 1);
        start(TierSettings.RateLimits.unlimited(), List.of(
                TestDispatch.endpoint(vertx, "openai", "http://127.0.0.1:9/v1", 64, 1_000, breaker, clock),
                TestDispatch.endpoint(vertx, "holysheep", SIM.baseUrl(), 64, 1_000, breaker, clock)));

        send(request("first", "hello").build());
        send(request("second", "hello").build());
        pumpUntil(() -> retry1s.getQueueSize() == 2);
        assertThat(retry1s.readValuesToList()).hasSize(2);

        // When the breaker is open, new and retried requests go to the fallback, and the result says so
        send(request("third", "hello").build());
        pumpUntil(() -> !results.isEmpty());
        PromptResult result = results.readValue();
        assertThat(result.getRequestId()).isEqualTo("third");
        assertThat(result.getProvider()).isEqualTo("holysheep");
        assertThat(result.getFallbackReason()).contains("provider openai (http://127.0.0.1:9/v1) unavailable: circuit breaker open")
                .contains("called holysheep");
        assertThat(dispatcher.endpoints().get(0).breakerState()).isEqualTo(io.github.resilience4j.circuitbreaker.CircuitBreaker.State.OPEN);
        // And it is billed at the fallback provider's price (holysheep bills gpt-4.1 in CNY)
        var cost = driver.createOutputTopic(topics.costs(), new StringDeserializer(), serdes.cost().deserializer()).readValue();
        assertThat(cost.getProvider()).isEqualTo("holysheep");
        assertThat(cost.getCurrency()).isEqualTo("CNY");
    }

    @Test
    void shouldDeadLetterARecordWithUnreadableRetryHeaders() {
        start(TierSettings.RateLimits.unlimited());
        PromptRequest r = request("odd", "hello").build();
        TestRecord<String, byte[]> record = new TestRecord<>("acme", serdes.request().serializer().serialize(topics.requests(Priority.NORMAL), r));
        record.headers().add(FailureHeaders.ATTEMPTS, "two".getBytes());
        input.pipeInput(record);

        DeadLetter dl = dlq.readValue();
        assertThat(dl.getCategory()).isEqualTo(ErrorCategory.MALFORMED_INPUT);
        assertThat(dl.getMessage()).contains("two");
    }
}
