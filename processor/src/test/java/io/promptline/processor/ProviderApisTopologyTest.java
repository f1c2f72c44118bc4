package io.promptline.processor;

import io.promptline.avro.CostEvent;
import io.promptline.avro.PromptResult;
import io.promptline.ops.simulator.RecordedCall;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.provider.ProviderApi;
import io.promptline.processor.retry.RetryPolicy;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request through a tier whose endpoint speaks OpenAI's, Azure's or Anthropic's API (to the
 * simulator, which speaks them all): the same answer, the usage the provider reported in OpenAI's
 * terms (cache reads included in the prompt), and the bill at the literal list price.
 */
class ProviderApisTopologyTest {
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

    @ParameterizedTest
    @ValueSource(strings = {"openai", "azure", "anthropic"})
    void shouldAnswerAndBillTheSameThroughEveryApi(String api) {
        String root = SIM.baseUrl().replace("/v1", "");
        String base = api.equals("azure") ? root + "/openai/deployments/gpt-4.1?api-version=2024-10-21" : root + "/v1";
        tier = TierHarness.start(REGISTRY, SIM, VERTX, RETRY, ProviderApi.of(api), base);
        // A prompt long enough (over 1,024 tokens) for the simulator to report half of it as read from the cache
        String prompt = "Summarise: " + "the quick brown fox jumps over the lazy dog. ".repeat(120);
        tier.send(tier.request(api + "-1", prompt).setMaxTokens(64).build());
        tier.pumpUntil(() -> !tier.results.isEmpty());

        PromptResult result = tier.results.readValue();
        RecordedCall call = SIM.simulator().recordedCalls().get(0);
        assertThat(result.getContent()).startsWith("Simulated answer to: Summarise: the quick brown fox");
        assertThat(result.getProvider()).isEqualTo(api);
        assertThat(result.getUsage().getPromptTokens()).isEqualTo(call.promptTokens());
        assertThat(result.getUsage().getCachedTokens()).isEqualTo(call.cachedTokens()).isPositive();
        assertThat(result.getUsage().getCompletionTokens()).isEqualTo(call.completionTokens());

        CostEvent cost = tier.driver.createOutputTopic(tier.topics.costs(), new StringDeserializer(), tier.serdes.cost().deserializer())
                .readValue();
        // gpt-4.1 list price: $2 per MTok in, $0.50 cached, $8 out; in micro-units per token 2, 0.5 and 8, rounded half-up once
        double micros = (call.promptTokens() - call.cachedTokens()) * 2.0 + call.cachedTokens() * 0.5 + call.completionTokens() * 8.0;
        assertThat(cost.getCostMicros()).isEqualTo(Math.round(micros));
        assertThat(tier.dlq.isEmpty()).isTrue();
    }
}
