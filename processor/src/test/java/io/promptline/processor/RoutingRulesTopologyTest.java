package io.promptline.processor;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.PromptResult;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.retry.RetryPolicy;
import io.promptline.processor.routing.ContextRouting;
import io.promptline.processor.routing.Router;
import io.promptline.processor.routing.RoutingRules;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Routing beyond task types, in the documented order: the request's own model, then the rules in
 * file order (prompt length, a regex, keywords in any language, metadata), then the task type's
 * route, then the default model; the route taken is on every result, and the simulator saw each
 * request on the model its route chose.
 */
class RoutingRulesTopologyTest {
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final VertxFixture VERTX = new VertxFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:5").build());
    private static final RetryPolicy RETRY = new RetryPolicy(List.of(Duration.ofSeconds(1)), 3, Duration.ofMillis(200), 2, 0);

    @TempDir
    Path dir;
    private TierHarness tier;

    @AfterEach
    void tearDown() {
        tier.close();
    }

    @Test
    void shouldRouteByRulesInOrderAndRecordTheRoute() throws Exception {
        Path file = dir.resolve("rules.json");
        Files.writeString(file, """
                {"rules": [
                  {"name": "long", "model": "gpt-4.1", "when": {"min_prompt_tokens": 2000}},
                  {"name": "code", "model": "deepseek-v3.2", "when": {"regex": "(?i)stack ?trace|NullPointerException"}},
                  {"name": "legal", "model": "claude-sonnet-4.5", "when": {"keywords": ["Contract", "契約"]}},
                  {"name": "vip", "model": "gpt-4.1", "when": {"metadata": {"plan": "enterprise"}, "max_prompt_tokens": 500}}
                ]}""");
        Router router = new Router(Map.of("quick", "gemini-2.5-flash"), "gpt-4.1-mini", RoutingRules.load(file));
        tier = TierHarness.start(REGISTRY, SIM, VERTX, registry -> TestDispatch.tier(registry, router, RETRY, TierSettings.RateLimits.unlimited(),
                ContextRouting.none(), 100, Duration.ofSeconds(5), new TierSettings.Intake(900_000, 1)));

        tier.send(tier.request("named", "a contract with a NullPointerException").build()); // names its model: no rule applies
        tier.send(tier.request("long", "contract clause. ".repeat(700)).setModel(null).build()); // first rule wins over "legal"
        tier.send(tier.request("trace", "Why this stack trace?").setModel(null).build());
        tier.send(tier.request("keiyaku", "この契約書を要約してください").setModel(null).build());
        tier.send(tier.request("vip", "hello").setModel(null).setMetadata(Map.of("plan", "enterprise")).build());
        tier.send(tier.request("vip-long", "hello ".repeat(600)).setModel(null).setMetadata(Map.of("plan", "enterprise")).build());
        tier.send(tier.request("quick", "hello").setModel(null).setTaskType("quick").build());
        tier.send(tier.request("plain", "hello").setModel(null).build());
        tier.send(tier.request("unknown-task", "hello").setModel(null).setTaskType("poetry").build());
        tier.pumpUntil(() -> tier.results.getQueueSize() == 8 && !tier.dlq.isEmpty());

        Map<String, PromptResult> results = tier.results.readValuesToList().stream()
                .collect(Collectors.toMap(PromptResult::getRequestId, Function.identity()));
        Map<String, List<String>> expected = Map.of(
                "named", List.of("gpt-4.1", "model"),
                "long", List.of("gpt-4.1", "rule:long"),
                "trace", List.of("deepseek-v3.2", "rule:code"),
                "keiyaku", List.of("claude-sonnet-4.5", "rule:legal"),
                "vip", List.of("gpt-4.1", "rule:vip"),
                "vip-long", List.of("gpt-4.1-mini", "default"),
                "quick", List.of("gemini-2.5-flash", "task_type:quick"),
                "plain", List.of("gpt-4.1-mini", "default"));
        expected.forEach((id, modelAndRoute) -> {
            assertThat(results.get(id).getModel()).as(id).isEqualTo(modelAndRoute.get(0));
            assertThat(results.get(id).getRoute()).as(id).isEqualTo(modelAndRoute.get(1));
        });
        Map<String, String> called = SIM.simulator().arrivals().stream()
                .collect(Collectors.toMap(a -> a.idempotencyKey(), a -> a.model(), (a, b) -> a));
        expected.forEach((id, modelAndRoute) -> assertThat(called.get(id)).as("the model the simulator was asked for " + id)
                .isEqualTo(modelAndRoute.get(0)));
        DeadLetter unrouted = tier.dlq.readValue();
        assertThat(unrouted.getRequestId()).isEqualTo("unknown-task");
        assertThat(unrouted.getMessage()).contains("task_type 'poetry' has no route, no routing rule matches");
    }
}
