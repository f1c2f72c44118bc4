package io.promptline.processor.cost;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptline.avro.TokenUsage;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PriceTest {
    private static final Price GPT41 = new Price("*", "gpt-4.1", "USD", 2_000_000, 500_000, 8_000_000, 50);
    private static final Price DEEPSEEK = new Price("*", "deepseek-v3.2", "USD", 70_000, 7_000, 420_000, 0);

    private static TokenUsage usage(long prompt, long cached, long completion) {
        return TokenUsage.newBuilder().setPromptTokens(prompt).setCachedTokens(cached).setCompletionTokens(completion).build();
    }

    @Test
    void shouldPriceCachedInputApartFromTheRestOfTheInput() {
        // 1,000 input of which 400 cached, 500 output: 600*2 + 400*0.5 + 500*8 = 5,400 micro-USD
        assertThat(GPT41.costMicros(usage(1_000, 400, 500), false)).isEqualTo(5_400);
    }

    @Test
    void shouldRoundHalfUpOncePerCall() {
        // deepseek: 10 input tokens * 0.07 = 0.7 micro → 1; 5 tokens → 0.35 → 0; 50 tokens → 3.5 → 4
        assertThat(DEEPSEEK.costMicros(usage(10, 0, 0), false)).isEqualTo(1);
        assertThat(DEEPSEEK.costMicros(usage(5, 0, 0), false)).isEqualTo(0);
        assertThat(DEEPSEEK.costMicros(usage(50, 0, 0), false)).isEqualTo(4);
    }

    @Test
    void shouldApplyTheBatchDiscountBeforeRounding() {
        assertThat(GPT41.costMicros(usage(1_000, 400, 500), true)).isEqualTo(2_700);
        assertThat(GPT41.costMicros(usage(1, 0, 0), true)).isEqualTo(1); // 2 * 50% = 1
        assertThat(DEEPSEEK.costMicros(usage(10, 0, 0), true)).as("no discount configured").isEqualTo(1);
    }

    @Test
    void shouldFailLoudlyOnOverflowInsteadOfWrapping() {
        assertThatThrownBy(() -> GPT41.costMicros(usage(Long.MAX_VALUE / 2, 0, 0), false)).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void shouldRejectBadPricesNamingTheEntry() {
        assertThatThrownBy(() -> new Price("x", "m", "USD", -1, 0, 0, 0)).hasMessageContaining("x/m");
        assertThatThrownBy(() -> new Price("x", "m", "dollars", 1, 0, 0, 0)).hasMessageContaining("ISO 4217");
        assertThatThrownBy(() -> new Price("x", "m", "USD", 1, 0, 0, 120)).hasMessageContaining("[0,100]");
    }

    @Test
    void shouldPreferTheProviderSpecificPriceAndRecordTheVersion() {
        PriceTable table = PriceTable.builtIn();
        assertThat(table.find("holysheep", "gpt-4.1")).get().extracting(Price::currency).isEqualTo("CNY");
        assertThat(table.find("openai", "gpt-4.1")).get().extracting(Price::currency).isEqualTo("USD");
        assertThat(table.find("openai", "no-such-model")).isEmpty();
        assertThat(table.version()).isNotBlank();
    }

    @Test
    void shouldNameTheFieldOfABadPriceTable() throws Exception {
        var json = new ObjectMapper().readTree("{\"version\":\"v9\",\"prices\":[{\"provider\":\"*\",\"model\":\"m\",\"currency\":\"USD\","
                + "\"input_per_mtok_micros\":2.5,\"cached_input_per_mtok_micros\":0,\"output_per_mtok_micros\":1}]}");
        assertThatThrownBy(() -> PriceTable.parse(json, "prices.json"))
                .hasMessageContaining("prices.json prices[0].input_per_mtok_micros").hasMessageContaining("integer");
    }
}
