package io.promptline.processor;

import io.promptline.avro.Priority;
import io.promptline.pricing.PriceTable;
import io.promptline.processor.cost.Billing;
import io.promptline.processor.provider.DispatchPermits;
import io.promptline.processor.provider.CallGateway;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.provider.ProviderApi;
import io.promptline.processor.provider.VertxChatClient;
import io.promptline.processor.metrics.ProcessorMetrics;
import io.promptline.processor.provider.AdaptiveLimit;
import io.promptline.processor.provider.Endpoint;
import io.promptline.processor.retry.RetryPolicy;
import io.promptline.processor.routing.ContextRouting;
import io.promptline.processor.routing.Router;
import io.promptline.registry.SchemaRegistryClient;
import io.vertx.core.Vertx;
import org.apache.kafka.streams.TopologyTestDriver;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Builds the dispatcher and tier settings of topology tests, against the simulator. */
final class TestDispatch {
    static final Billing BUILT_IN = new Billing(PriceTable.builtIn(), Billing.UnpricedPolicy.REJECT);
    static final RetryPolicy NO_RETRIES = new RetryPolicy(List.of(Duration.ofSeconds(1)), 1, Duration.ZERO, 1, 0);
    static final Endpoint.BreakerSettings LENIENT_BREAKER = new Endpoint.BreakerSettings(1000, Duration.ofSeconds(1), 1);

    private TestDispatch() {
    }

    static Endpoint endpoint(Vertx vertx, String provider, String baseUrl, int maxInFlight, long timeoutMs,
                             Endpoint.BreakerSettings breaker, Clock clock) {
        return endpoint(vertx, ProviderApi.of("openai"), provider, baseUrl, maxInFlight, timeoutMs, breaker, clock);
    }

    static Endpoint endpoint(Vertx vertx, ProviderApi api, String provider, String baseUrl, int maxInFlight, long timeoutMs,
                             Endpoint.BreakerSettings breaker, Clock clock) {
        return new Endpoint(provider, baseUrl, new VertxChatClient(vertx, api, provider, baseUrl, "test-key", timeoutMs, 1_000, maxInFlight,
                clock), breaker, new AdaptiveLimit(maxInFlight, 1, 1_000), Duration.ofSeconds(30), clock);
    }

    static CallGateway dispatcher(List<Endpoint> endpoints, int permits, Clock clock) {
        return new CallGateway(endpoints, new DispatchPermits(permits), BUILT_IN, clock, ProcessorMetrics.inMemory());
    }

    static TierSettings tier(SchemaRegistryClient registry, RetryPolicy retry, TierSettings.RateLimits limits, ContextRouting context) {
        return tier(registry, retry, limits, context, 100, Duration.ofSeconds(5), new TierSettings.Intake(900_000, 1));
    }

    static TierSettings tier(SchemaRegistryClient registry, RetryPolicy retry, TierSettings.RateLimits limits, ContextRouting context,
                             int maxPending, Duration maxBlock, TierSettings.Intake intake) {
        return tier(registry, new Router(Map.of("code", "deepseek-v3.2"), "gpt-4.1-mini"), retry, limits, context, maxPending, maxBlock, intake);
    }

    static TierSettings tier(SchemaRegistryClient registry, Router router, RetryPolicy retry, TierSettings.RateLimits limits,
                             ContextRouting context, int maxPending, Duration maxBlock, TierSettings.Intake intake) {
        return new TierSettings(Priority.NORMAL, registry, router, context, BUILT_IN, maxPending, Duration.ofMillis(5), maxBlock,
                Duration.ofHours(1), retry, limits, intake);
    }

    /** Advances the driver's wall clock (running the drain punctuator) until the condition holds, for at most 10 s. */
    static void pumpUntil(TopologyTestDriver driver, BooleanSupplier done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out after 10 s waiting for the topology's output");
            driver.advanceWallClockTime(Duration.ofMillis(5));
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
