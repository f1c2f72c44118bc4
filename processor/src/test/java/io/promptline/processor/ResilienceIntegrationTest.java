package io.promptline.processor;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.promptline.avro.BillingMode;
import io.promptline.avro.CostEvent;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptResult;
import io.promptline.ops.simulator.Arrival;
import io.promptline.ops.simulator.FaultRates;
import io.promptline.ops.simulator.RecordedCall;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.config.ProcessorConfig;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.testkit.Await;
import io.promptline.testkit.LiteralPrice;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import io.promptline.testkit.TopicReader;
import io.promptline.topics.Topics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Provider trouble on the embedded broker, with the processor in process and the simulator's fault
 * injection: every request ends exactly once in results or the DLQ, retries come no sooner than
 * asked, an open breaker sends nothing, and the bill matches the answers served.
 */
class ResilienceIntegrationTest {
    private static final List<Duration> LADDER = List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5));

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:5").instances(2)
            .hangMillis(30_000).completionTokensMin(20).completionTokensMax(120).build());

    @TempDir
    Path stateDir;
    private ProcessorApp app;

    @BeforeEach
    void resetSimulator() {
        SIM.simulator().reset();
        SIM.simulator().faults(FaultRates.NONE);
    }

    @AfterEach
    void stop() {
        if (app != null) app.close();
        SIM.simulator().faults(FaultRates.NONE);
    }

    private ProcessorApp start(Topics topics, Map<String, Object> overrides) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProcessorConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProcessorConfig.SCHEMA_REGISTRY_URL_CONFIG, REGISTRY.url());
        p.put(ProcessorConfig.TOPICS_BASE_CONFIG, topics.base());
        p.put(ProcessorConfig.APPLICATION_ID_CONFIG, "resilience-" + topics.base());
        p.put(ProcessorConfig.STATE_DIR_CONFIG, stateDir.resolve(topics.base()).toString());
        p.put(ProcessorConfig.TIERS_CONFIG, "NORMAL");
        p.put(ProcessorConfig.MAX_IN_FLIGHT_CONFIG, 256);
        p.put(ProcessorConfig.NORMAL_SHARE_CONFIG, 1.0);
        p.put(ProcessorConfig.BATCH_SHARE_CONFIG, 1.0);
        p.put(ProcessorConfig.METRICS_PORT_CONFIG, -1);
        p.put(ProcessorConfig.LLM_BASE_URL_CONFIG, SIM.baseUrl());
        p.put(ProcessorConfig.LLM_PROVIDER_CONFIG, "simulator");
        p.put(ProcessorConfig.LLM_TIMEOUT_MS_CONFIG, 1_000L);
        p.put(ProcessorConfig.RETRY_DELAYS_CONFIG, "1s,2s,5s");
        p.put(ProcessorConfig.RETRY_BACKOFF_INITIAL_MS_CONFIG, 300L);
        p.put(ProcessorConfig.RETRY_BACKOFF_MULTIPLIER_CONFIG, 2.0);
        p.put(ProcessorConfig.RETRY_MAX_ATTEMPTS_CONFIG, 4);
        p.put(ProcessorConfig.BREAKER_OPEN_MS_CONFIG, 2_000L);
        p.put(ProcessorConfig.BREAKER_HALF_OPEN_CALLS_CONFIG, 1);
        for (Priority tier : Priority.values()) {
            p.put("promptline.ratelimit." + tier.name().toLowerCase() + ".requests.per.minute", 0L);
            p.put("promptline.ratelimit." + tier.name().toLowerCase() + ".tokens.per.minute", 0L);
        }
        p.putAll(overrides);
        app = new ProcessorApp(new ProcessorConfig(p), Clock.systemUTC());
        app.start();
        return app;
    }

    private Set<String> publish(Topics topics, int count, IntFunction<String> content) throws Exception {
        return publish(topics, count, content, Priority.NORMAL, "gpt-4.1");
    }

    private Set<String> publish(Topics topics, int count, IntFunction<String> content, Priority tier, String model) throws Exception {
        Set<String> ids = new HashSet<>();
        try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(KAFKA.bootstrapServers())
                .schemaRegistryUrl(REGISTRY.url()).topics(topics).build()) {
            List<CompletableFuture<String>> sent = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                sent.add(producer.submit(Prompt.builder("tenant-" + (i % 7)).requestId(topics.base() + "-" + i)
                        .priority(tier).model(model).user(content.apply(i)).maxTokens(200).build()));
            }
            for (CompletableFuture<String> f : sent) ids.add(f.get(60, TimeUnit.SECONDS));
        }
        return ids;
    }

    private List<PromptResult> results(Topics topics, int expected, Duration timeout) {
        return TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.results(), PromptResult.class, expected,
                timeout, Duration.ofSeconds(2));
    }

    private List<DeadLetter> deadLetters(Topics topics, int expected, Duration timeout) {
        return TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.dlq(), DeadLetter.class, expected,
                timeout, Duration.ofSeconds(1));
    }

    private static Map<String, List<Arrival>> arrivalsById(String prefix) {
        return SIM.simulator().arrivals().stream().filter(a -> a.idempotencyKey() != null && a.idempotencyKey().startsWith(prefix))
                .collect(Collectors.groupingBy(Arrival::idempotencyKey));
    }

    @Test
    void shouldRetryA429StormNoSoonerThanRetryAfterAndCompleteEveryRequest() throws Exception {
        Topics topics = KAFKA.newTopics(3, LADDER);
        start(topics, Map.of());

        // Given 300 requests whose first call is answered 429 with Retry-After: 2
        Set<String> sent = publish(topics, 300, i -> "question " + i + " [[sim:429x1:retry-after=2]]");

        // Then every request completes, exactly once
        List<PromptResult> results = results(topics, 300, Duration.ofSeconds(90));
        assertThat(results).extracting(PromptResult::getRequestId).doesNotHaveDuplicates().hasSameElementsAs(sent);
        assertThat(results).allSatisfy(r -> assertThat(r.getAttempts()).isEqualTo(2));
        assertThat(deadLetters(topics, 0, Duration.ZERO)).isEmpty();

        // And no request was called again before the 2 s it was asked to wait
        Map<String, List<Arrival>> calls = arrivalsById(topics.base());
        assertThat(calls).hasSize(300);
        long soonest = Long.MAX_VALUE;
        for (List<Arrival> a : calls.values()) {
            assertThat(a).extracting(Arrival::outcome).containsExactly("429", "ok");
            soonest = Math.min(soonest, a.get(1).receivedAtMillis() - a.get(0).receivedAtMillis());
        }
        System.out.printf("429 storm: 300 requests, 600 calls, soonest retry %d ms after its 429 (Retry-After 2 s)%n", soonest);
        assertThat(soonest).isGreaterThanOrEqualTo(2_000);
    }

    @Test
    void shouldOpenTheBreakerDuringAnOutageCallNothingWhileOpenAndRecoverAfter() throws Exception {
        Topics topics = KAFKA.newTopics(3, LADDER);
        ProcessorApp processor = start(topics, Map.of());
        var endpoint = processor.gateway().endpoints().get(0);

        // Given a provider answering every call with 503
        SIM.simulator().faults(new FaultRates(0, 0, 1.0, 0, 0, 0, 0));
        Set<String> sent = publish(topics, 100, i -> "question " + i);

        // When the breaker opens, no call reaches the provider while it is open
        Await.until(Duration.ofSeconds(30), "the breaker to open", () -> endpoint.breakerState() == CircuitBreaker.State.OPEN);
        long openedAt = System.currentTimeMillis();
        Thread.sleep(5_000);
        long outageEnded = System.currentTimeMillis();
        SIM.simulator().faults(FaultRates.NONE);

        // Then after the outage every request completes, none burned through its retries
        List<PromptResult> results = results(topics, 100, Duration.ofSeconds(60));
        assertThat(results).extracting(PromptResult::getRequestId).doesNotHaveDuplicates().hasSameElementsAs(sent);
        assertThat(deadLetters(topics, 0, Duration.ZERO)).isEmpty();
        assertThat(endpoint.breakerState()).isEqualTo(CircuitBreaker.State.CLOSED);

        // This test's calls only: the simulator is shared by the class, and calls for other tests' requests are not this breaker's
        List<Arrival> all = arrivalsById(topics.base()).values().stream().flatMap(List::stream).toList();
        // The test sees OPEN up to a poll after it happened; calls that had their permit before it may reach the provider
        // in the next few ms (seen: up to 17 ms). Both counts below start after that slack.
        long inFlightSlack = 50;
        long beforeOpen = all.stream().filter(a -> a.receivedAtMillis() <= openedAt + inFlightSlack).count();
        long whileOpen = all.stream().filter(a -> a.receivedAtMillis() > openedAt + inFlightSlack && a.receivedAtMillis() < openedAt + 1_950).count();
        long probes = all.stream().filter(a -> a.receivedAtMillis() > openedAt + inFlightSlack && a.receivedAtMillis() <= outageEnded).count();
        System.out.printf("503 outage: %d calls failed before the breaker opened (5 in a row, plus those already in flight), "
                + "%d calls in its first 2 s open window, %d half-open probes in the %d s outage after it opened; "
                + "then all 100 requests answered, none dead-lettered%n", beforeOpen, whileOpen, probes, (outageEnded - openedAt) / 1000);
        assertThat(whileOpen).as("calls while the breaker was open").isZero();
        assertThat(probes).as("one probe per 2 s open window, nothing else; arrivals (ms after the breaker was seen open): %s",
                        all.stream().filter(a -> a.receivedAtMillis() > openedAt && a.receivedAtMillis() <= outageEnded)
                                .map(a -> (a.receivedAtMillis() - openedAt) + " " + a.outcome()).toList())
                .isLessThanOrEqualTo(3);
    }

    @Test
    void shouldRetryTimeoutsAndConnectionResets() throws Exception {
        Topics topics = KAFKA.newTopics(3, LADDER);
        start(topics, Map.of());

        Set<String> sent = publish(topics, 60, i -> "question " + i + (i % 2 == 0 ? " [[sim:hangx1]]" : " [[sim:resetx1]]"));

        List<PromptResult> results = results(topics, 60, Duration.ofSeconds(90));
        assertThat(results).extracting(PromptResult::getRequestId).doesNotHaveDuplicates().hasSameElementsAs(sent);
        assertThat(results).allSatisfy(r -> assertThat(r.getAttempts()).isGreaterThanOrEqualTo(2));
        assertThat(deadLetters(topics, 0, Duration.ZERO)).isEmpty();
        Map<String, Long> outcomes = SIM.simulator().arrivals().stream().collect(Collectors.groupingBy(Arrival::outcome, Collectors.counting()));
        assertThat(outcomes).containsEntry("hang", 30L).containsEntry("reset", 30L).containsEntry("ok", 60L);
    }

    @Test
    void shouldEndEveryRequestOfAMixedFaultRunExactlyOnceAndBillExactly() throws Exception {
        Topics topics = KAFKA.newTopics(6, LADDER);
        // A short pause on exhausted rate-limit windows: the simulator's 429s say "reset in 1 s" each time.
        start(topics, Map.of(ProcessorConfig.MAX_PAUSE_MS_CONFIG, 100L));
        SIM.simulator().faults(new FaultRates(0.01, 0.01, 0.01, 0.002, 0.01, 0.003, 0));
        int n = 10_000;

        Set<String> sent = publish(topics, n, i -> "question " + i);

        List<PromptResult> results = new ArrayList<>();
        List<DeadLetter> dead = new ArrayList<>();
        Await.until(Duration.ofSeconds(240), "every request in results or the DLQ", () -> {
            results.clear();
            dead.clear();
            results.addAll(results(topics, 0, Duration.ZERO));
            dead.addAll(deadLetters(topics, 0, Duration.ZERO));
            return results.size() + dead.size() >= n;
        });
        results.clear();
        dead.clear();
        results.addAll(results(topics, n, Duration.ofSeconds(10)));
        dead.addAll(deadLetters(topics, 0, Duration.ofSeconds(3)));

        // Every request_id ends exactly once: in results or in the DLQ, never both, never twice
        List<String> ended = new ArrayList<>();
        results.forEach(r -> ended.add(r.getRequestId()));
        dead.forEach(d -> ended.add(d.getRequestId()));
        assertThat(ended).doesNotHaveDuplicates().hasSameElementsAs(sent);
        assertThat(dead).allSatisfy(d -> assertThat(d.getCategory()).isIn(ErrorCategory.CONTEXT_LENGTH, ErrorCategory.RATE_LIMIT,
                ErrorCategory.PROVIDER_ERROR, ErrorCategory.NETWORK, ErrorCategory.TIMEOUT));

        // One cost event per answer, and the bill is the price table times the usage the provider reported
        List<CostEvent> costs = TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.costs(), CostEvent.class,
                results.size(), Duration.ofSeconds(30), Duration.ofSeconds(2));
        assertThat(costs).extracting(CostEvent::getRequestId).doesNotHaveDuplicates().hasSameElementsAs(
                results.stream().map(PromptResult::getRequestId).toList());
        List<RecordedCall> served = SIM.simulator().recordedCalls().stream()
                .filter(c -> c.idempotencyKey().startsWith(topics.base())).toList();
        assertThat(served).hasSize(results.size());
        // gpt-4.1 at $2 / $0.50 cached / $8 per MTok, the full price on the normal tier, half-up once per call
        long expected = served.stream().mapToLong(c -> LiteralPrice.GPT_4_1.micros(c.promptTokens(), c.cachedTokens(), c.completionTokens()))
                .sum();
        assertThat(costs.stream().mapToLong(CostEvent::getCostMicros).sum()).isEqualTo(expected);

        Map<String, Long> outcomes = SIM.simulator().arrivals().stream().filter(a -> a.idempotencyKey().startsWith(topics.base()))
                .collect(Collectors.groupingBy(Arrival::outcome, Collectors.counting()));
        Map<ErrorCategory, Long> byCategory = dead.stream().collect(Collectors.groupingBy(DeadLetter::getCategory, Collectors.counting()));
        System.out.printf("mixed faults: %d requests, %d calls %s; %d results, %d dead letters %s; cost %d micro-USD = usage x price%n",
                n, outcomes.values().stream().mapToLong(Long::longValue).sum(), outcomes, results.size(), dead.size(), byCategory, expected);
    }

    @Test
    void shouldBillUrgentCallsAtTheFullPriceIncludingRetriedOnes() throws Exception {
        Topics topics = KAFKA.newTopics(2, LADDER);
        start(topics, Map.of(ProcessorConfig.TIERS_CONFIG, "URGENT"));

        // 200 urgent requests on gpt-4.1-mini; every fifth is answered 503 once and billed only for the call that answered
        Set<String> sent = publish(topics, 200, i -> "urgent question " + i + (i % 5 == 0 ? " [[sim:503x1]]" : ""), Priority.URGENT,
                "gpt-4.1-mini");

        List<PromptResult> results = results(topics, 200, Duration.ofSeconds(90));
        assertThat(results).extracting(PromptResult::getRequestId).doesNotHaveDuplicates().hasSameElementsAs(sent);
        List<CostEvent> costs = TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.costs(), CostEvent.class,
                200, Duration.ofSeconds(30), Duration.ofSeconds(2));
        assertThat(costs).extracting(CostEvent::getRequestId).doesNotHaveDuplicates().hasSameElementsAs(sent);
        assertThat(costs).allSatisfy(c -> {
            assertThat(c.getBillingMode()).isEqualTo(BillingMode.SYNC);
            assertThat(c.getPriority()).isEqualTo(Priority.URGENT);
            assertThat(c.getCurrency()).isEqualTo("USD");
        });
        List<RecordedCall> served = SIM.simulator().recordedCalls().stream()
                .filter(c -> c.idempotencyKey().startsWith(topics.base())).toList();
        assertThat(served).hasSize(200);
        // gpt-4.1-mini at $0.40 / $0.10 cached / $1.60 per MTok, the full price on the urgent tier, half-up once per call
        long expected = served.stream()
                .mapToLong(c -> LiteralPrice.GPT_4_1_MINI.micros(c.promptTokens(), c.cachedTokens(), c.completionTokens())).sum();
        assertThat(costs.stream().mapToLong(CostEvent::getCostMicros).sum()).isEqualTo(expected).isPositive();
        System.out.printf("urgent tier: 200 requests, 40 retried after a 503; cost %d micro-USD = usage x literal price%n", expected);
    }
}
