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
 * @param maxPending      pending entries per task above which the task waits
 * @param maxBlock        longest a task waits for room before admitting anyway (stays far below max.poll.interval.ms)
 * @param dedupeRetention how long a completed request_id is remembered
 * @param rateLimits      the tier's default tenant limits and how waiting for them works
 */
public record TierSettings(Priority tier, SchemaRegistryClient registry, Router router, ContextRouting context, PriceTable prices,
                           int maxPending, Duration drainInterval, Duration maxBlock, Duration dedupeRetention,
                           RetryPolicy retry, RateLimits rateLimits) {

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
