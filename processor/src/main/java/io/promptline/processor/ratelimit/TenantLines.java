package io.promptline.processor.ratelimit;

import io.promptline.avro.PromptRequest;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A tenant's lines: the keys its requests are routed, queued and rate-limited by. Most tenants
 * have one line, the tenant itself, so one task holds all of them. A hot tenant given N shards
 * ({@code promptline.processor.tenant.shards}, e.g. {@code acme=6}) has N lines,
 * {@code acme#0 … acme#5}: a request's line is fixed by its request_id (so its retries, its
 * duplicates and its place in line stay with one task), the lines land on different partitions
 * and so on different instances, and the tenant's limits are split exactly between them — shard
 * k gets {@code limit / N}, plus one of the remainder while {@code k < limit % N} — so together
 * they never pass the tenant's limit (unless the limit is below N: each line still gets one a
 * minute).
 */
public final class TenantLines {
    private static final char SEPARATOR = '#';
    private final Map<String, Integer> shards;

    /** @param shards tenant → number of lines (tenants not listed: one) */
    public TenantLines(Map<String, Integer> shards) {
        shards.forEach((t, n) -> {
            if (n < 1 || n > 1024) throw new IllegalArgumentException("tenant " + t + ": shards must be in [1, 1024], was " + n);
        });
        this.shards = Map.copyOf(shards);
    }

    public static TenantLines none() {
        return new TenantLines(Map.of());
    }

    /** The line of a request: its tenant, or for a sharded tenant {@code tenant#k} with k from its request_id. */
    public String of(PromptRequest r) {
        return of(r.getTenant(), r.getRequestId());
    }

    public String of(String tenant, String requestId) {
        Integer n = shards.get(tenant);
        if (n == null || n == 1) return tenant;
        int k = Utils.toPositive(Utils.murmur2(requestId.getBytes(StandardCharsets.UTF_8))) % n;
        return tenant + SEPARATOR + k;
    }

    /** The tenant of a line. */
    public String tenant(String line) {
        int i = line.lastIndexOf(SEPARATOR);
        if (i < 0) return line;
        String tenant = line.substring(0, i);
        return shards.containsKey(tenant) ? tenant : line;
    }

    /**
     * The partition of the by-tenant topic (and so the task) of a line: a tenant's own, as Kafka's
     * default partitioner places its key (murmur2); line k of a hot tenant the k-th after its
     * tenant's, so a tenant's lines land on distinct partitions (hashing "acme#0"… would not).
     */
    public int partition(String line, int partitions) {
        String tenant = tenant(line);
        int own = Utils.toPositive(Utils.murmur2(tenant.getBytes(StandardCharsets.UTF_8))) % partitions;
        if (tenant.equals(line)) return own;
        return (own + Integer.parseInt(line.substring(tenant.length() + 1))) % partitions;
    }

    /** A line's part of its tenant's limits: all of them, or the shard's exact share. */
    public Limits split(String line, Limits tenantLimits) {
        String tenant = tenant(line);
        Integer n = shards.get(tenant);
        if (n == null || n == 1 || tenant.equals(line)) return tenantLimits;
        int k = Integer.parseInt(line.substring(tenant.length() + 1));
        return new Limits(part(tenantLimits.requestsPerMinute(), n, k), part(tenantLimits.tokensPerMinute(), n, k));
    }

    /** Shard k's part of {@code total} split n ways; 0 (unlimited) stays 0. */
    static long part(long total, int n, int k) {
        if (total <= 0) return total;
        long p = total / n + (k < total % n ? 1 : 0);
        return Math.max(1, p); // a line of a tiny limit still moves, at one per minute
    }
}
