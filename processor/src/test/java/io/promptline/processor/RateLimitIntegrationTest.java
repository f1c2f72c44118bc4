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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Per-tenant limits on the embedded broker with two processor instances: a tenant offered three
 * times its limit starts exactly its limit (measured from the provider's side, the simulator's
 * arrival times), other tenants are not held up, a quota change applies without restart, and an
 * instance joining mid-run (its tasks, and their buckets, move) keeps the limit exact.
 */
class RateLimitIntegrationTest {
    private static final int PER_SECOND_LIMIT = 20; // 1,200 a minute
    private static final int OFFERED_PER_SECOND = 60;

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:20").instances(2).build());

    @TempDir
    Path dir;

    private ProcessorApp processor(Topics topics, String name) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProcessorConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProcessorConfig.SCHEMA_REGISTRY_URL_CONFIG, REGISTRY.url());
        p.put(ProcessorConfig.TOPICS_BASE_CONFIG, topics.base());
        p.put(ProcessorConfig.APPLICATION_ID_CONFIG, "limits-" + topics.base());
        p.put(ProcessorConfig.STATE_DIR_CONFIG, dir.resolve(name).toString());
        p.put(ProcessorConfig.TIERS_CONFIG, "NORMAL");
        p.put(ProcessorConfig.METRICS_PORT_CONFIG, -1);
        p.put(ProcessorConfig.LLM_BASE_URL_CONFIG, SIM.baseUrl());
        p.put(ProcessorConfig.LLM_PROVIDER_CONFIG, "simulator");
        // Defaults leave the other tenants unlimited; the hot tenant's limit comes from the quotas topic.
        p.put("promptline.ratelimit.normal.requests.per.minute", 0L);
        p.put("promptline.ratelimit.normal.tokens.per.minute", 0L);
        p.put(ProcessorConfig.RETRY_DELAYS_CONFIG, "1s,5s,30s");
        p.put(ProcessorConfig.RATE_MAX_HOLD_MS_CONFIG, 5_000L);
        ProcessorApp app = new ProcessorApp(new ProcessorConfig(p), Clock.systemUTC());
        app.start();
        return app;
    }

    private void setQuota(Topics topics, String tenant, long requestsPerMinute) throws Exception {
        try (KafkaProducer<String, Quota> producer = new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
                new StringSerializer(), new AvroSerializer<>(new RestSchemaRegistryClient(REGISTRY.url()), true))) {
            producer.send(new ProducerRecord<>(topics.quotas(), tenant, Quota.newBuilder().setTenant(tenant)
                    .setLimits(List.of(new TierLimit(Priority.NORMAL, requestsPerMinute, null))).setUpdatedAt(Instant.now()).build())).get();
        }
    }

    /** Start times (ms) of the calls for {@code prefix}, from the provider's side. */
    private static List<Long> callTimes(String prefix) {
        return SIM.simulator().arrivals().stream().filter(a -> a.idempotencyKey() != null && a.idempotencyKey().startsWith(prefix))
                .map(Arrival::receivedAtMillis).sorted().toList();
    }

    private static long countBetween(List<Long> times, long from, long to) {
        return times.stream().filter(t -> t >= from && t < to).count();
    }

    /** The longest time (ms) without a call between {@code from} and {@code to}, the window's edges included. */
    private static long longestGap(List<Long> sortedTimes, long from, long to) {
        long previous = from;
        long longest = 0;
        for (long t : sortedTimes) {
            if (t < from) continue;
            if (t >= to) break;
            longest = Math.max(longest, t - previous);
            previous = t;
        }
        return Math.max(longest, to - previous);
    }

    @Test
    void shouldHoldATenantOfferedThreeTimesItsLimitToItExactlyAcrossTwoInstances() throws Exception {
        Topics topics = KAFKA.newTopics(6, List.of(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30)));
        String hot = topics.base() + "-hot-";
        String cold = topics.base() + "-cold-";
        setQuota(topics, "hot", PER_SECOND_LIMIT * 60L);
        SIM.warmUp(20); // the provider's side is measured: a cold simulator would bunch the first calls' arrivals
        ProcessorApp first = processor(topics, "first");
        ProcessorApp second = null;
        int seconds = 40;
        List<String> coldIds = new ArrayList<>();
        try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(KAFKA.bootstrapServers())
                .schemaRegistryUrl(REGISTRY.url()).topics(topics).build()) {
            // Given the hot tenant offered 60 a second (3x its limit of 20) for 40 s, beside 5 light tenants
            for (int s = 0; s < seconds; s++) {
                long tick = System.nanoTime();
                for (int i = 0; i < OFFERED_PER_SECOND; i++) {
                    producer.submit(Prompt.builder("hot").requestId(hot + (s * OFFERED_PER_SECOND + i)).model("gpt-4.1").user("q").maxTokens(50).build());
                }
                for (int t = 0; t < 5; t++) {
                    String id = cold + s + "-" + t;
                    coldIds.add(id);
                    producer.submit(Prompt.builder("light-" + t).requestId(id).model("gpt-4.1").user("q").maxTokens(50).build());
                }
                producer.flush();
                // When a second instance joins 10 s in: the partitions, and the hot tenant's bucket, may move
                if (s == 10) second = processor(topics, "second");
                Thread.sleep(Math.max(0, 1000 - (System.nanoTime() - tick) / 1_000_000));
            }
        }
        try {
            // Then the light tenants are served as they come
            List<PromptResult> coldResults = TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.results(),
                    PromptResult.class, 0, Duration.ZERO, Duration.ofSeconds(3)).stream()
                    .filter(r -> r.getRequestId().startsWith(cold)).toList();
            assertThat(coldResults).extracting(PromptResult::getRequestId).doesNotHaveDuplicates().hasSameElementsAs(coldIds);

            // And the hot tenant starts exactly its limit, never more than its burst above it
            List<Long> calls = callTimes(hot);
            long start = calls.get(0);
            int burst = (int) Math.floor(PER_SECOND_LIMIT * 60 * 0.05);
            long steadyFrom = start + 5_000;
            long steadyTo = start + (seconds - 2) * 1_000L;
            double rate = countBetween(calls, steadyFrom, steadyTo) / ((steadyTo - steadyFrom) / 1000.0);
            long maxInAnySecond = 0;
            for (long t = start; t < steadyTo; t += 100) maxInAnySecond = Math.max(maxInAnySecond, countBetween(calls, t, t + 1_000));
            // The longest time without a call: the hot tenant's task moving to the joining instance stops its calls for a while
            long longestPause = longestGap(calls, steadyFrom, steadyTo);
            System.out.printf("rate limit: offered %d/s, limit %d/s: %d calls started, steady %.2f/s = %.1f%% of the limit (longest pause "
                            + "%d ms); most in any 1 s window %d (burst %d + %d/s)%n", OFFERED_PER_SECOND, PER_SECOND_LIMIT, calls.size(), rate,
                    100 * rate / PER_SECOND_LIMIT, longestPause, maxInAnySecond, burst, PER_SECOND_LIMIT);
            assertThat(rate / PER_SECOND_LIMIT).as("dispatched rate over the limit").isBetween(0.97, 1.005);
            assertThat(maxInAnySecond).isLessThanOrEqualTo(burst + PER_SECOND_LIMIT);

            // When the quota is raised to 3,000 a minute without a restart, the backlog drains at the new rate:
            // faster at once, and never more than the new burst (150) above it
            long before = System.currentTimeMillis();
            setQuota(topics, "hot", 3_000);
            Thread.sleep(8_000);
            List<Long> after = callTimes(hot);
            long inWindow = countBetween(after, before + 3_000, before + 8_000);
            long maxSecondAfter = 0;
            for (long t = before + 1_000; t < before + 7_000; t += 100) maxSecondAfter = Math.max(maxSecondAfter, countBetween(after, t, t + 1_000));
            System.out.printf("rate limit raised to 50/s: %.1f calls/s in the 5 s after it took effect, most in any 1 s window %d "
                    + "(burst 150 + 50/s)%n", inWindow / 5.0, maxSecondAfter);
            assertThat(inWindow / 5.0).as("the raise took effect").isGreaterThan(40.0);
            assertThat(inWindow).isLessThanOrEqualTo(5 * 50 + 150);
            assertThat(maxSecondAfter).isLessThanOrEqualTo(150 + 50);
        } finally {
            first.close();
            if (second != null) second.close();
        }
    }
}
