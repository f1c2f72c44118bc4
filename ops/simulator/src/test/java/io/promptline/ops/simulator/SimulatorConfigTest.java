package io.promptline.ops.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SimulatorConfigTest {

    @Test
    void defaults() {
        SimulatorConfig c = SimulatorConfig.defaults();

        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isZero();
        assertThat(c.instances()).isEqualTo(1);
        assertThat(c.latency()).isEqualTo(new LatencyDistribution.Fixed(50));
        assertThat(c.seed()).isEqualTo(42);
        assertThat(c.completionTokensMin()).isEqualTo(20);
        assertThat(c.completionTokensMax()).isEqualTo(200);
        assertThat(c.cachedFraction()).isEqualTo(0.5);
        assertThat(c.cachedMinPromptTokens()).isEqualTo(1024);
        assertThat(c.reasoningFraction()).isZero();
        assertThat(c.models()).containsExactly("gpt-4.1", "gpt-4.1-mini", "claude-sonnet-4.5", "gemini-2.5-flash",
                "deepseek-v3.2");
        assertThat(c.contextWindows()).isEmpty();
        assertThat(c.contextWindow("anything")).isEqualTo(128_000);
        assertThat(c.totalFaultRate()).isZero();
        assertThat(c.retryAfterSeconds()).isEqualTo(1);
        assertThat(c.hangMillis()).isEqualTo(120_000);
        assertThat(c.apiKey()).isNull();
        assertThat(c.recordCalls()).isTrue();
        assertThat(c.maxRecordedCalls()).isEqualTo(2_000_000);
        assertThat(c.rateLimitRequests()).isEqualTo(10_000);
        assertThat(c.rateLimitTokens()).isEqualTo(10_000_000);
    }

    @Test
    void validationNamesFieldAndValue() {
        assertThatThrownBy(() -> SimulatorConfig.builder().rate429(1.5).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("promptline.simulator.fault.rate.429 must be in [0,1], was 1.5");
        assertThatThrownBy(() -> SimulatorConfig.builder().port(70000).build())
                .hasMessage("promptline.simulator.port must be in [0,65535], was 70000");
        assertThatThrownBy(() -> SimulatorConfig.builder().completionTokensMin(50).completionTokensMax(10).build())
                .hasMessageContaining("promptline.simulator.completion.tokens.max").hasMessageContaining("was 10");
        assertThatThrownBy(() -> SimulatorConfig.builder().cachedFraction(-0.1).build())
                .hasMessage("promptline.simulator.cached.fraction must be in [0,1], was -0.1");
        assertThatThrownBy(() -> SimulatorConfig.builder().rate500(0.6).rate503(0.6).build())
                .hasMessageContaining("fault.rate.* must sum to at most 1");
        assertThatThrownBy(() -> SimulatorConfig.builder().latency("gaussian:3").build())
                .hasMessageContaining("promptline.simulator.latency").hasMessageContaining("'gaussian:3'");
        assertThatThrownBy(() -> SimulatorConfig.builder().contextWindow("m", 0).build())
                .hasMessageContaining("promptline.simulator.context.windows");
        assertThatThrownBy(() -> SimulatorConfig.builder().hangMillis(0).build())
                .hasMessage("promptline.simulator.hang.millis must be in [1,86400000], was 0");
    }

    @Test
    void toBuilderRoundTrips() {
        SimulatorConfig c = SimulatorConfig.builder().latency("lognormal:200,800").contextWindow("m", 10)
                .apiKey("k").rateReset(0.1).build();

        assertThat(c.toBuilder().build()).isEqualTo(c);
    }

    @Test
    void fromEnvReadsEveryKey() {
        Map<String, String> env = Map.ofEntries(
                Map.entry("PROMPTLINE_SIMULATOR_HOST", "0.0.0.0"),
                Map.entry("PROMPTLINE_SIMULATOR_PORT", "8089"),
                Map.entry("PROMPTLINE_SIMULATOR_INSTANCES", "2"),
                Map.entry("PROMPTLINE_SIMULATOR_LATENCY", "uniform:100-300"),
                Map.entry("PROMPTLINE_SIMULATOR_SEED", "7"),
                Map.entry("PROMPTLINE_SIMULATOR_COMPLETION_TOKENS_MIN", "5"),
                Map.entry("PROMPTLINE_SIMULATOR_COMPLETION_TOKENS_MAX", "9"),
                Map.entry("PROMPTLINE_SIMULATOR_CACHED_FRACTION", "0.25"),
                Map.entry("PROMPTLINE_SIMULATOR_CACHED_MIN_PROMPT_TOKENS", "10"),
                Map.entry("PROMPTLINE_SIMULATOR_REASONING_FRACTION", "0.1"),
                Map.entry("PROMPTLINE_SIMULATOR_MODELS", "a, b"),
                Map.entry("PROMPTLINE_SIMULATOR_CONTEXT_WINDOWS", "a=1000,b=2000"),
                Map.entry("PROMPTLINE_SIMULATOR_CONTEXT_WINDOW_DEFAULT", "4096"),
                Map.entry("PROMPTLINE_SIMULATOR_FAULT_RATE_429", "0.1"),
                Map.entry("PROMPTLINE_SIMULATOR_FAULT_RATE_500", "0.02"),
                Map.entry("PROMPTLINE_SIMULATOR_FAULT_RATE_503", "0.03"),
                Map.entry("PROMPTLINE_SIMULATOR_FAULT_RATE_HANG", "0.04"),
                Map.entry("PROMPTLINE_SIMULATOR_FAULT_RATE_RESET", "0.05"),
                Map.entry("PROMPTLINE_SIMULATOR_FAULT_RATE_CONTEXT_LENGTH", "0.06"),
                Map.entry("PROMPTLINE_SIMULATOR_FAULT_RATE_401", "0.07"),
                Map.entry("PROMPTLINE_SIMULATOR_RETRY_AFTER_SECONDS", "3"),
                Map.entry("PROMPTLINE_SIMULATOR_HANG_MILLIS", "5000"),
                Map.entry("PROMPTLINE_SIMULATOR_API_KEY", "sk-test"),
                Map.entry("PROMPTLINE_SIMULATOR_RECORD_CALLS", "false"),
                Map.entry("PROMPTLINE_SIMULATOR_MAX_RECORDED_CALLS", "100"),
                Map.entry("PROMPTLINE_SIMULATOR_RATELIMIT_REQUESTS", "500"),
                Map.entry("PROMPTLINE_SIMULATOR_RATELIMIT_TOKENS", "90000"),
                Map.entry("PROMPTLINE_SIMULATOR_BATCH_COMPLETION_MILLIS", "250"),
                Map.entry("PROMPTLINE_SIMULATOR_STREAM_PIECE_MILLIS", "40"),
                Map.entry("PATH", "/usr/bin"));

        SimulatorConfig c = SimulatorConfig.fromEnv(env);

        assertThat(SimulatorEnv.knownVariables()).hasSize(env.size() - 1);
        assertThat(c).isEqualTo(new SimulatorConfig("0.0.0.0", 8089, 2, new LatencyDistribution.Uniform(100, 300), 7,
                5, 9, 0.25, 10, 0.1, List.of("a", "b"), Map.of("a", 1000, "b", 2000), 4096, 0.1, 0.02, 0.03, 0.04, 0.05,
                0.06, 0.07, 3, 5000, "sk-test", false, 100, 500, 90000, 250, 40));
    }

    @Test
    void fromEnvRejectsBadValuesAndUnknownKeys() {
        assertThatThrownBy(() -> SimulatorConfig.fromEnv(Map.of("PROMPTLINE_SIMULATOR_PORT", "http")))
                .hasMessage("PROMPTLINE_SIMULATOR_PORT must be an integer, was 'http'");
        assertThatThrownBy(() -> SimulatorConfig.fromEnv(Map.of("PROMPTLINE_SIMULATOR_LATENCY", "fixed:abc")))
                .hasMessageContaining("'fixed:abc'");
        assertThatThrownBy(() -> SimulatorConfig.fromEnv(Map.of("PROMPTLINE_SIMULATOR_FAULT_RATE_429", "1.5")))
                .hasMessage("promptline.simulator.fault.rate.429 must be in [0,1], was 1.5");
        assertThatThrownBy(() -> SimulatorConfig.fromEnv(Map.of("PROMPTLINE_SIMULATOR_LATENCYY", "fixed:1")))
                .hasMessageContaining("unknown simulator variable PROMPTLINE_SIMULATOR_LATENCYY");
        assertThat(SimulatorConfig.fromEnv(Map.of("PROMPTLINE_SIMULATOR_API_KEY", " "))).isEqualTo(SimulatorConfig.defaults());
    }
}
