package io.promptline.ops.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class UnitsTest {

    @Test
    void latencySpecsParseAndSampleInRange() {
        assertThat(LatencyDistribution.parse("fixed:200").sampleMillis(new Random(1))).isEqualTo(200);
        LatencyDistribution uniform = LatencyDistribution.parse(" uniform:100-300 ");
        Random r = new Random(42);
        for (int i = 0; i < 1000; i++) {
            assertThat(uniform.sampleMillis(r)).isBetween(100L, 300L);
        }
        LatencyDistribution logn = LatencyDistribution.parse("lognormal:200,800");
        Random g = new Random(42);
        long[] samples = new long[5001];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = logn.sampleMillis(g);
        }
        Arrays.sort(samples);
        assertThat(samples[2500]).isBetween(180L, 220L); // median
        assertThat(samples[4950]).isBetween(600L, 1050L); // ~p99
        assertThat(logn.spec()).isEqualTo("lognormal:200,800");
    }

    @Test
    void latencySamplingIsDeterministicForASeed() {
        LatencyDistribution d = LatencyDistribution.parse("lognormal:50,400");
        Random a = new Random(9);
        Random b = new Random(9);
        for (int i = 0; i < 100; i++) {
            assertThat(d.sampleMillis(a)).isEqualTo(d.sampleMillis(b));
        }
    }

    @Test
    void badLatencySpecsNameTheSpec() {
        for (String bad : List.of("fixed", "fixed:-1", "uniform:300-100", "uniform:1", "lognormal:800,200",
                "lognormal:0,10", "pareto:1", "fixed:1.5")) {
            assertThatThrownBy(() -> LatencyDistribution.parse(bad))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'" + bad + "'");
        }
    }

    @Test
    void tokenArithmetic() {
        assertThat(TokenEstimator.messageTokens("")).isEqualTo(4);
        // o200k_base: "Hello world" is 2 tokens; "こんにちは世界" 2; "你好，世界" 3
        assertThat(TokenEstimator.messageTokens("Hello world")).isEqualTo(2 + 4);
        assertThat(TokenEstimator.messageTokens("こんにちは世界")).isEqualTo(2 + 4);
        assertThat(TokenEstimator.messageTokens("你好，世界")).isEqualTo(3 + 4);
        assertThat(TokenEstimator.promptTokens(List.of("Hello world", "こんにちは世界"))).isEqualTo(3 + 6 + 6);
        assertThat(TokenEstimator.cachedTokens(1023, 0.5, 1024)).isZero();
        assertThat(TokenEstimator.cachedTokens(1025, 0.5, 1024)).isEqualTo(512);
        assertThat(TokenEstimator.reasoningTokens(33, 0.5)).isEqualTo(16);
        int natural = TokenEstimator.naturalCompletionTokens("m", List.of("a"), 20, 200);
        assertThat(natural).isBetween(20, 200)
                .isEqualTo(TokenEstimator.naturalCompletionTokens("m", List.of("a"), 20, 200));
        assertThat(TokenEstimator.completionTokens("m", List.of("a"), 20, 200, 10)).isEqualTo(10);
        assertThat(TokenEstimator.truncated("m", List.of("a"), 20, 200, 10)).isTrue();
        assertThat(TokenEstimator.completionTokens("m", List.of("a"), 20, 200, 500)).isEqualTo(natural);
        assertThat(TokenEstimator.truncated("m", List.of("a"), 20, 200, null)).isFalse();
        assertThat(TokenEstimator.contentHash("m", List.of("ab"))).isNotEqualTo(TokenEstimator.contentHash("m", List.of("a", "b")));
    }

    @Test
    void markerParsing() {
        assertThat(FaultMarker.find(List.of("plain"))).isNull();
        assertThat(FaultMarker.find(List.of("x [[sim:503x2]] y")))
                .isEqualTo(new FaultMarker(Outcome.OVERLOADED, 2, null, "[[sim:503x2]]"));
        assertThat(FaultMarker.find(List.of("[[sim:429:retry-after=9]]")))
                .isEqualTo(new FaultMarker(Outcome.RATE_LIMITED, -1, 9, "[[sim:429:retry-after=9]]"));
        assertThat(FaultMarker.find(List.of("a", "[[sim:429x3:retry-after=4]]")).retryAfterSeconds()).isEqualTo(4);
        assertThat(FaultMarker.find(List.of("[[sim:context_length]]")).fault()).isEqualTo(Outcome.CONTEXT_LENGTH);
        assertThat(FaultMarker.find(List.of("[[sim:content_policy]]")).fault()).isEqualTo(Outcome.CONTENT_POLICY);
        assertThat(FaultMarker.find(List.of("[[sim:hangx1]]")).transientFault()).isTrue();
        assertThat(FaultMarker.find(List.of("[[sim:reset]]")).transientFault()).isFalse();
        assertThat(FaultMarker.find(List.of("[[sim:401]]", "[[sim:500]]")).fault()).isEqualTo(Outcome.UNAUTHORIZED);
    }

    @Test
    void statsSerialiseWithJacksonAndJsonObject() throws Exception {
        SimulatorStats s = new SimulatorStats(3, 2, Map.of("ok", 2L, "429", 1L), 0, 2,
                Map.of("gpt-4.1", new SimulatorStats.ModelUsage(2, 20, 40, 0, 0)), 2, 0, 0, 2, 0);
        ObjectMapper mapper = new ObjectMapper();

        String json = mapper.writeValueAsString(s);
        assertThat(mapper.readValue(json, SimulatorStats.class)).isEqualTo(s);
        assertThat(SimulatorStats.fromJson(s.toJson())).isEqualTo(s);
        assertThat(s.toJson().getJsonObject("usageByModel").getJsonObject("gpt-4.1").getLong("completionTokens"))
                .isEqualTo(40);
        assertThat(s.totalUsage().promptTokens()).isEqualTo(20);
        assertThat(mapper.readTree(json).fieldNames()).toIterable().containsExactlyInAnyOrder("requestsReceived",
                "succeeded", "countsByOutcome", "inFlight", "maxInFlight", "usageByModel", "distinctIdempotencyKeys",
                "duplicateSuccessfulCalls", "unknownModelRequests", "recordedCalls", "droppedCallRecords");
    }

    @Test
    void ledgerIsBounded() {
        StatsCollector c = new StatsCollector(true, 2);
        for (int i = 0; i < 5; i++) {
            c.success(new RecordedCall("k" + i, "m", 1, 1, 0, 0));
        }

        assertThat(c.calls()).hasSize(2);
        assertThat(c.snapshot().succeeded()).isEqualTo(5);
        assertThat(c.snapshot().droppedCallRecords()).isEqualTo(3);
        assertThat(c.snapshot().recordedCalls()).isEqualTo(2);
    }
}
