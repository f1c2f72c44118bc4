package io.promptline.sink.rollup;

import io.promptline.avro.CostEvent;
import io.promptline.avro.CostRollup;
import io.promptline.avro.Priority;
import io.promptline.avro.SpendTotal;
import io.promptline.serde.PromptlineSerdes;
import io.promptline.testkit.RegistryFixture;
import io.promptline.topics.Topics;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Instant;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

class CostRollupTopologyTest {
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    private final Topics topics = Topics.defaults();
    private PromptlineSerdes serdes;
    private TopologyTestDriver driver;
    private TestInputTopic<String, CostEvent> costs;
    private int seq;

    @BeforeEach
    void setUp() {
        serdes = REGISTRY.serdes();
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "rollup-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(CostRollupTopology.build(topics, serdes), p);
        costs = driver.createInputTopic(topics.costs(), new StringSerializer(), serdes.cost().serializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    private void cost(String tenant, String model, String currency, long micros, String at) {
        Instant t = Instant.parse(at);
        costs.pipeInput(tenant, CostEvent.newBuilder().setEventId("e" + (++seq)).setRequestId("r" + seq).setTenant(tenant)
                .setPriority(Priority.NORMAL).setProvider("openai").setModel(model).setPromptTokens(100).setCachedTokens(20)
                .setCompletionTokens(50).setReasoningTokens(5).setCostMicros(micros).setCurrency(currency).setPriceVersion("v")
                .setTimestamp(t).build(), t);
    }

    private <T> Map<String, T> latest(String topic, org.apache.kafka.common.serialization.Deserializer<T> d) {
        return driver.createOutputTopic(topic, new StringDeserializer(), d).readKeyValuesToMap();
    }

    @Test
    void shouldSumSpendAndTokensPerTenantModelAndHourToTheMicroUnit() {
        cost("acme", "gpt-4.1", "USD", 1_234, "2026-11-22T10:05:00Z");
        cost("acme", "gpt-4.1", "USD", 766, "2026-11-22T10:59:59Z");
        cost("acme", "gpt-4.1", "USD", 1, "2026-11-22T11:00:00Z");
        cost("acme", "deepseek-v3.2", "USD", 7, "2026-11-22T10:30:00Z");
        cost("globex", "gpt-4.1", "CNY", 500, "2026-11-22T10:10:00Z");

        Map<String, CostRollup> hourly = latest(topics.costsHourly(), serdes.costRollup().deserializer());
        CostRollup ten = hourly.get("acme|gpt-4.1|USD|2026-11-22T10:00:00Z");
        assertThat(ten.getCostMicros()).isEqualTo(2_000);
        assertThat(ten.getCalls()).isEqualTo(2);
        assertThat(ten.getPromptTokens()).isEqualTo(200);
        assertThat(ten.getCachedTokens()).isEqualTo(40);
        assertThat(ten.getCompletionTokens()).isEqualTo(100);
        assertThat(ten.getReasoningTokens()).isEqualTo(10);
        assertThat(ten.getWindowStart()).isEqualTo(Instant.parse("2026-11-22T10:00:00Z"));
        assertThat(ten.getWindowEnd()).isEqualTo(Instant.parse("2026-11-22T11:00:00Z"));
        assertThat(hourly.get("acme|gpt-4.1|USD|2026-11-22T11:00:00Z").getCostMicros()).isEqualTo(1);
        assertThat(hourly.get("acme|deepseek-v3.2|USD|2026-11-22T10:00:00Z").getCostMicros()).isEqualTo(7);
        assertThat(hourly.get("globex|gpt-4.1|CNY|2026-11-22T10:00:00Z").getCostMicros()).isEqualTo(500);
        assertThat(hourly).hasSize(4);
    }

    @Test
    void shouldKeepSpendPerTenantCurrencyDayAndMonthForBudgets() {
        cost("acme", "gpt-4.1", "USD", 1_000, "2026-11-21T23:59:00Z");
        cost("acme", "deepseek-v3.2", "USD", 250, "2026-11-22T00:01:00Z");
        cost("acme", "gpt-4.1", "CNY", 9_999, "2026-11-22T00:02:00Z");
        cost("acme", "gpt-4.1", "USD", 5, "2026-12-01T00:00:00Z");

        Map<String, SpendTotal> spend = latest(topics.spend(), serdes.spend().deserializer());
        assertThat(spend.get("acme|USD|D:2026-11-21").getCostMicros()).isEqualTo(1_000);
        assertThat(spend.get("acme|USD|D:2026-11-22").getCostMicros()).isEqualTo(250);
        assertThat(spend.get("acme|USD|M:2026-11").getCostMicros()).isEqualTo(1_250);
        assertThat(spend.get("acme|USD|M:2026-11").getCalls()).isEqualTo(2);
        assertThat(spend.get("acme|CNY|M:2026-11").getCostMicros()).as("currencies are never mixed").isEqualTo(9_999);
        assertThat(spend.get("acme|USD|M:2026-12").getCostMicros()).isEqualTo(5);
        assertThat(spend.get("acme|USD|M:2026-11").getPeriod()).isEqualTo("M:2026-11");
    }

    @Test
    void shouldCountALateCostEventInItsOwnHourWithinTheGrace() {
        cost("acme", "gpt-4.1", "USD", 100, "2026-11-22T10:30:00Z");
        cost("acme", "gpt-4.1", "USD", 100, "2026-11-22T14:00:00Z");
        cost("acme", "gpt-4.1", "USD", 42, "2026-11-22T10:45:00Z"); // 3 h 15 min late, within the 6 h grace

        Map<String, CostRollup> hourly = latest(topics.costsHourly(), serdes.costRollup().deserializer());
        assertThat(hourly.get("acme|gpt-4.1|USD|2026-11-22T10:00:00Z").getCostMicros()).isEqualTo(142);
    }

    @Test
    void shouldCountUnpricedCallsEstimatedSpendAndCacheWritesApart() {
        Instant t = Instant.parse("2026-11-22T10:05:00Z");
        java.util.function.Supplier<CostEvent.Builder> base = () -> CostEvent.newBuilder().setTenant("acme").setPriority(Priority.BATCH).setProvider("anthropic")
                .setModel("claude-sonnet-4.5").setPromptTokens(1_000).setCachedTokens(0).setCompletionTokens(100).setReasoningTokens(0)
                .setCurrency("USD").setPriceVersion("v").setTimestamp(t);
        costs.pipeInput("acme", base.get().setEventId("a").setRequestId("a").setCacheWriteTokens(400)
                .setCostMicros(3_000).setBillingMode(io.promptline.avro.BillingMode.BATCH_API).build(), t);
        costs.pipeInput("acme", base.get().setEventId("b").setRequestId("b").setCostMicros(4_500)
                .setUsageEstimated(true).setUnconfirmed(true).build(), t);
        costs.pipeInput("acme", base.get().setEventId("c").setRequestId("c").setCostMicros(0)
                .setUnpriced(true).setCurrency("USD").build(), t);

        CostRollup r = latest(topics.costsHourly(), serdes.costRollup().deserializer()).get("acme|claude-sonnet-4.5|USD|2026-11-22T10:00:00Z");
        assertThat(r.getCalls()).isEqualTo(3);
        assertThat(r.getCostMicros()).isEqualTo(7_500);
        assertThat(r.getEstimatedCostMicros()).as("of which billed on estimated usage").isEqualTo(4_500);
        assertThat(r.getUnpricedCalls()).isEqualTo(1);
        assertThat(r.getCacheWriteTokens()).isEqualTo(400);
    }
}
