package io.promptline.processor.dispatch;

import io.promptline.avro.Priority;
import io.promptline.processor.cost.PriceTable;
import io.promptline.processor.routing.Router;
import io.promptline.registry.SchemaRegistryClient;

import java.time.Duration;

/**
 * What a tier's dispatch tasks need besides the shared {@link Dispatcher}.
 *
 * @param maxPending  pending entries per task above which the task waits
 * @param maxBlock    longest a task waits for room before admitting anyway (stays far below max.poll.interval.ms)
 * @param dedupeRetention how long a completed request_id is remembered
 */
public record TierSettings(Priority tier, SchemaRegistryClient registry, Router router, PriceTable prices,
                           int maxPending, Duration drainInterval, Duration maxBlock, Duration dedupeRetention) {
}
