package io.promptline.processor;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptResult;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.intake.TenantRouter;
import io.promptline.processor.retry.RetryPolicy;
import io.promptline.processor.routing.ContextRouting;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests read outside their tenant's partition go through the by-tenant repartition topic to the
 * task that owns the tenant, with where they were first read; requests that cannot be routed
 * (undecodable, too large) are dealt with where they are.
 */
class TenantRoutingTopologyTest {
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final VertxFixture VERTX = new VertxFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:5").build());
    private static final RetryPolicy RETRY = new RetryPolicy(List.of(Duration.ofSeconds(1)), 3, Duration.ofMillis(200), 2, 0);

    private TierHarness tier;

    @AfterEach
    void tearDown() {
        tier.close();
    }

    @Test
    void shouldSendRequestsReadOutsideTheirTenantsPartitionToItsTask() {
        tier = TierHarness.start(REGISTRY, SIM, VERTX, registry -> TestDispatch.tier(registry, RETRY, TierSettings.RateLimits.unlimited(),
                ContextRouting.none(), 100, Duration.ofSeconds(5), new TierSettings.Intake(900_000, 4)));
        // Given tenants whose partition (of 4) is not the one this record is read from (the driver reads partition 0)
        List<String> away = new ArrayList<>();
        for (int t = 0; away.size() < 3; t++) {
            if (TenantRouter.partitionOf("tenant-" + t, 4) != 0) away.add("tenant-" + t);
        }
        for (int i = 0; i < 6; i++) tier.send(tier.request("r" + i, "hello").setTenant(away.get(i % 3)).build());
        tier.input.pipeInput("tenant", new byte[]{9, 9, 9}); // not a request: cannot be routed, dealt with here

        // Then each is answered, naming where it was first read (not the repartition topic)
        tier.pumpUntil(() -> tier.results.getQueueSize() == 6);
        assertThat(tier.results.readValuesToList()).extracting(PromptResult::getRequestId)
                .containsExactlyInAnyOrder("r0", "r1", "r2", "r3", "r4", "r5");
        DeadLetter bad = tier.dlq.readValue();
        assertThat(bad.getOriginTopic()).isEqualTo(tier.topics.requests(Priority.NORMAL));
        assertThat(tier.driver.producedTopicNames()).anyMatch(t -> t.endsWith("-by-tenant-repartition"));
    }
}
