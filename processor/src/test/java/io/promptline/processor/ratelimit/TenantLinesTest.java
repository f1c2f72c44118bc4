package io.promptline.processor.ratelimit;

import io.promptline.testkit.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class TenantLinesTest {
    private final TenantLines lines = new TenantLines(Map.of("acme", 4));

    @Test
    void shouldSpreadAHotTenantOverItsLinesByRequestIdAndKeepOthersWhole() {
        Map<String, Integer> perLine = new TreeMap<>();
        for (int i = 0; i < 10_000; i++) perLine.merge(lines.of("acme", "req-" + i), 1, Integer::sum);
        assertThat(perLine).containsOnlyKeys("acme#0", "acme#1", "acme#2", "acme#3");
        perLine.values().forEach(n -> assertThat(n).isBetween(2_200, 2_800));
        assertThat(lines.of("acme", "req-42")).as("a request always has the same line").isEqualTo(lines.of("acme", "req-42"));
        assertThat(lines.of("globex", "req-1")).isEqualTo("globex");
        assertThat(lines.tenant("acme#3")).isEqualTo("acme");
        assertThat(lines.tenant("globex")).isEqualTo("globex");
        assertThat(lines.tenant("a#b")).as("a '#' in another tenant's name is its own").isEqualTo("a#b");
    }

    @Test
    void shouldPutATenantsLinesOnDistinctPartitionsAndOtherTenantsWhereKafkaWould() {
        TenantLines six = new TenantLines(Map.of("acme", 6));
        java.util.Set<Integer> partitions = new java.util.HashSet<>();
        for (int k = 0; k < 6; k++) partitions.add(six.partition("acme#" + k, 6));
        assertThat(partitions).as("hashing acme#0..5 puts them all on even partitions; consecutive ones do not").hasSize(6);
        // Kafka's default partitioner for a keyed record (BuiltInPartitioner): murmur2 of the key's bytes
        for (String tenant : java.util.List.of("globex", "acme")) {
            int kafka = org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
                    tenant.getBytes(java.nio.charset.StandardCharsets.UTF_8))) % 6;
            assertThat(six.partition(tenant, 6)).as(tenant).isEqualTo(kafka);
        }
    }

    @Test
    void shouldSplitTheTenantsLimitsExactly() {
        Limits tenant = new Limits(1_202, 1_000_003);
        long requests = 0;
        long tokens = 0;
        for (int k = 0; k < 4; k++) {
            Limits part = lines.split("acme#" + k, tenant);
            requests += part.requestsPerMinute();
            tokens += part.tokensPerMinute();
        }
        assertThat(requests).isEqualTo(1_202);
        assertThat(tokens).isEqualTo(1_000_003);
        assertThat(lines.split("acme#0", Limits.UNLIMITED)).isEqualTo(Limits.UNLIMITED);
        assertThat(lines.split("globex", tenant)).isEqualTo(tenant);
    }

    @Test
    void shouldHoldTheTenantsLimitWhenItsLinesRunInDifferentTasks() {
        // Four tasks (each its own limiter and store), one line of acme each, all offered far more than the limit
        MutableClock clock = new MutableClock(Instant.parse("2026-12-02T10:00:00Z"));
        Limits acme = new Limits(600, 0);
        long started = 0;
        Map<String, RateLimiter> tasks = new HashMap<>();
        Map<String, Deque<Reservation>> queues = new HashMap<>();
        for (int k = 0; k < 4; k++) {
            Map<String, byte[]> buckets = new HashMap<>();
            BucketStore store = new BucketStore() {
                @Override
                public byte[] get(String t) {
                    return buckets.get(t);
                }

                @Override
                public void put(String t, byte[] b) {
                    buckets.put(t, b);
                }
            };
            tasks.put("acme#" + k, new RateLimiter(store, line -> lines.split(line, acme), clock, 0.05));
            queues.put("acme#" + k, new ArrayDeque<>());
        }
        long minuteOneStarts = 0;
        for (long t = 0; t < 180_000; t += 5) {
            for (var e : tasks.entrySet()) {
                Deque<Reservation> q = queues.get(e.getKey());
                while (q.size() < 50) q.add(e.getValue().reserve(e.getKey(), 10));
                while (!q.isEmpty() && e.getValue().tryStart(e.getKey(), q.peek())) {
                    q.poll();
                    started++;
                    if (t >= 60_000 && t < 120_000) minuteOneStarts++;
                }
            }
            clock.advance(Duration.ofMillis(5));
        }
        // Over three minutes at most 3 x 600 plus the burst (5% of each line's limit), and a full minute at the limit
        assertThat(started).isLessThanOrEqualTo(3 * 600 + 4 * 8);
        assertThat(minuteOneStarts).isBetween(596L, 604L);
    }
}
