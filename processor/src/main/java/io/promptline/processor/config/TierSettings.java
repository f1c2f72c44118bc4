package io.promptline.processor.config;

import io.promptline.avro.Priority;
import io.promptline.processor.cost.PriceTable;
import io.promptline.processor.ratelimit.Limits;
import io.promptline.processor.retry.RetryPolicy;
import io.promptline.processor.routing.ContextRouting;
import io.promptline.processor.routing.Router;
import io.promptline.registry.SchemaRegistryClient;

import java.time.Duration;

/**
 * What a tier's dispatch tasks need besides the shared {@code CallGateway}.
 *
 * @param maxPending      admitted requests a task holds in memory (queued or in flight); above it the task waits for
 *                        room, then keeps what it admits in its pending store only, to load as room frees
 * @param maxBlock        longest a task waits for room per punctuation (stays far below the transaction timeout)
 * @param dedupeRetention how long a completed request_id is remembered
 * @param rateLimits      the tier's default tenant limits and how waiting for them works
 * @param intake          what intake takes in and where it sends each tenant
 */
public record TierSettings(Priority tier, SchemaRegistryClient registry, Router router, ContextRouting context, PriceTable prices,
                           int maxPending, Duration drainInterval, Duration maxBlock, Duration dedupeRetention,
                           RetryPolicy retry, RateLimits rateLimits, Intake intake) {

    /**
     * @param maxRequestBytes  a request larger than this (serialized) is dead-lettered as INVALID_REQUEST; stores, the
     *                         ladder and outputs are sized to hold what is admitted
     * @param tenantPartitions partitions of the tier's by-tenant repartition topic: a tenant's requests are all processed by
     *                         task murmur2(tenant) mod this, whatever partition their publisher chose and however many
     *                         partitions the tier topic has
     */
    public record Intake(int maxRequestBytes, int tenantPartitions) {
        public Intake {
            if (maxRequestBytes < 1024) throw new IllegalArgumentException("max request bytes must be >= 1024, was " + maxRequestBytes);
            if (tenantPartitions < 1) throw new IllegalArgumentException("tenant partitions must be >= 1, was " + tenantPartitions);
        }
    }

    /**
     * @param defaults           a tenant's limits on this tier unless its quota says otherwise
     * @param burstFraction      share of the per-minute limits that may go at once
     * @param maxHold            a request whose turn is further away waits in the delay ladder, keeping its turn
     * @param completionEstimate completion tokens charged up front when max_tokens is not set
     */
    public record RateLimits(Limits defaults, double burstFraction, Duration maxHold, int completionEstimate) {
        public static RateLimits unlimited() {
            return new RateLimits(Limits.UNLIMITED, 0.05, Duration.ofSeconds(15), 1024);
        }
    }
}
