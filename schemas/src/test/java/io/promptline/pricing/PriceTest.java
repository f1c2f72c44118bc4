package io.promptline.pricing;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.promptline.avro.BillingMode;
import io.promptline.avro.TokenUsage;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PriceTest {
    private static final Instant ALWAYS = Instant.EPOCH;
    private static final Price GPT41 = new Price("*", "gpt-4.1", "USD", 2_000_000, 500_000, 2_000_000, 8_000_000, 50, "t1", ALWAYS);
    private static final Price DEEPSEEK = new Price("*", "deepseek-v3.2", "USD", 70_000, 7_000, 70_000, 420_000, 0, "t1", ALWAYS);
    private static final Price SONNET = new Price("*", "claude-sonnet-4.5", "USD", 3_000_000, 300_000, 3_750_000, 15_000_000, 50, "t1", ALWAYS);

    private static TokenUsage usage(long prompt, long cached, long completion) {
        return TokenUsage.newBuilder().setPromptTokens(prompt).setCachedTokens(cached).setCompletionTokens(completion).build();
    }

    @Test
    void shouldPriceCachedInputApartFromTheRest() {
        // 600 × $2 + 400 × $0.50 + 500 × $8 per MTok = 1,200 + 200 + 4,000 µ$
        assertThat(GPT41.costMicros(usage(1_000, 400, 500), BillingMode.SYNC)).isEqualTo(5_400);
    }

    @Test
    void shouldPriceCacheWritesApart() {
        TokenUsage u = TokenUsage.newBuilder().setPromptTokens(10_000).setCachedTokens(2_000).setCacheWriteTokens(4_000)
                .setCompletionTokens(1_000).build();
        // 4,000 × $3 + 2,000 × $0.30 + 4,000 × $3.75 + 1,000 × $15 per MTok = 12,000 + 600 + 15,000 + 15,000 µ$
        assertThat(SONNET.costMicros(u, BillingMode.SYNC)).isEqualTo(42_600);
    }

    @Test
    void shouldRoundHalfUpOncePerCall() {
        assertThat(DEEPSEEK.costMicros(usage(10, 0, 0), BillingMode.SYNC)).isEqualTo(1);
        assertThat(DEEPSEEK.costMicros(usage(5, 0, 0), BillingMode.SYNC)).isEqualTo(0);
        assertThat(DEEPSEEK.costMicros(usage(50, 0, 0), BillingMode.SYNC)).isEqualTo(4);
    }

    @Test
    void shouldDiscountOnlyCallsMadeThroughABatchApi() {
        assertThat(GPT41.costMicros(usage(1_000, 400, 500), BillingMode.BATCH_API)).isEqualTo(2_700);
        assertThat(GPT41.costMicros(usage(1_000, 400, 500), BillingMode.SYNC)).isEqualTo(5_400);
        assertThat(GPT41.costMicros(usage(1, 0, 0), BillingMode.BATCH_API)).isEqualTo(1); // 2 * 50% = 1
        assertThat(DEEPSEEK.costMicros(usage(10, 0, 0), BillingMode.BATCH_API)).as("no discount configured").isEqualTo(1);
    }

    @Test
    void shouldThrowRatherThanOverflow() {
        assertThatThrownBy(() -> GPT41.costMicros(usage(Long.MAX_VALUE / 2, 0, 0), BillingMode.SYNC)).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void shouldRejectBadPrices() {
        assertThatThrownBy(() -> new Price("x", "m", "USD", -1, 0, 0, 0, 0, "v", ALWAYS)).hasMessageContaining("x/m");
        assertThatThrownBy(() -> new Price("x", "m", "dollars", 1, 0, 0, 0, 0, "v", ALWAYS)).hasMessageContaining("ISO 4217");
        assertThatThrownBy(() -> new Price("x", "m", "USD", 1, 0, 0, 0, 120, "v", ALWAYS)).hasMessageContaining("[0,100]");
    }

    @Test
    void shouldPreferTheProviderSpecificPrice() {
        PriceTable table = PriceTable.builtIn();
        Instant now = Instant.parse("2026-12-02T00:00:00Z");
        assertThat(table.find("holysheep", "gpt-4.1", now)).get().extracting(Price::currency).isEqualTo("CNY");
        assertThat(table.find("openai", "gpt-4.1", now)).get().extracting(Price::currency).isEqualTo("USD");
        assertThat(table.find("openai", "no-such-model", now)).isEmpty();
        assertThat(table.find("openai", "claude-sonnet-4.5", now)).get().extracting(Price::cacheWriteMicrosPerMTok).isEqualTo(3_750_000L);
        assertThat(table.version()).isNotBlank();
    }

    @Test
    void shouldPriceEachCallByTheRowInEffectWhenItWasMade() throws Exception {
        var json = new ObjectMapper().readTree("""
                {"version": "2026-12", "prices": [
                  {"provider": "*", "model": "m", "currency": "USD", "input_per_mtok_micros": 1000000,
                   "cached_input_per_mtok_micros": 0, "output_per_mtok_micros": 0, "version": "2026-11"},
                  {"provider": "*", "model": "m", "currency": "USD", "input_per_mtok_micros": 3000000,
                   "cached_input_per_mtok_micros": 0, "output_per_mtok_micros": 0, "effective_from": "2026-12-15"},
                  {"provider": "acme", "model": "m", "currency": "EUR", "input_per_mtok_micros": 5000000,
                   "cached_input_per_mtok_micros": 0, "output_per_mtok_micros": 0, "effective_from": "2026-12-20T12:00:00Z"}
                ]}""");
        PriceTable table = PriceTable.parse(json, "prices.json");
        TokenUsage million = usage(1_000_000, 0, 0);

        Price before = table.find("openai", "m", Instant.parse("2026-12-14T23:59:59.999Z")).orElseThrow();
        Price after = table.find("openai", "m", Instant.parse("2026-12-15T00:00:00Z")).orElseThrow();
        assertThat(before.costMicros(million, BillingMode.SYNC)).isEqualTo(1_000_000);
        assertThat(before.version()).isEqualTo("2026-11");
        assertThat(after.costMicros(million, BillingMode.SYNC)).isEqualTo(3_000_000);
        assertThat(after.version()).as("a row without its own version carries the table's").isEqualTo("2026-12");
        assertThat(after.effectiveFrom()).isEqualTo(Instant.parse("2026-12-15T00:00:00Z"));
        // A provider's own row applies from its date on; before it, the provider-independent row.
        assertThat(table.find("acme", "m", Instant.parse("2026-12-20T11:00:00Z"))).get().extracting(Price::currency).isEqualTo("USD");
        assertThat(table.find("acme", "m", Instant.parse("2026-12-20T12:00:00Z"))).get().extracting(Price::currency).isEqualTo("EUR");
        assertThat(table.prices("anyone", "m")).isTrue();
        assertThat(table.prices("anyone", "n")).isFalse();
    }

    @Test
    void shouldNameTheFieldOfABadPriceTable() throws Exception {
        var mapper = new ObjectMapper();
        var fractional = mapper.readTree("{\"version\":\"v9\",\"prices\":[{\"provider\":\"*\",\"model\":\"m\",\"currency\":\"USD\","
                + "\"input_per_mtok_micros\":2.5,\"cached_input_per_mtok_micros\":0,\"output_per_mtok_micros\":1}]}");
        assertThatThrownBy(() -> PriceTable.parse(fractional, "prices.json"))
                .hasMessageContaining("prices.json prices[0].input_per_mtok_micros").hasMessageContaining("integer");
        var badDate = mapper.readTree("{\"version\":\"v9\",\"prices\":[{\"provider\":\"*\",\"model\":\"m\",\"currency\":\"USD\","
                + "\"input_per_mtok_micros\":2,\"cached_input_per_mtok_micros\":0,\"output_per_mtok_micros\":1,\"effective_from\":\"1 Dec\"}]}");
        assertThatThrownBy(() -> PriceTable.parse(badDate, "prices.json"))
                .hasMessageContaining("prices.json prices[0].effective_from").hasMessageContaining("1 Dec");
        var twice = mapper.readTree("{\"version\":\"v9\",\"prices\":["
                + "{\"provider\":\"*\",\"model\":\"m\",\"currency\":\"USD\",\"input_per_mtok_micros\":2,\"cached_input_per_mtok_micros\":0,\"output_per_mtok_micros\":1},"
                + "{\"provider\":\"*\",\"model\":\"m\",\"currency\":\"USD\",\"input_per_mtok_micros\":3,\"cached_input_per_mtok_micros\":0,\"output_per_mtok_micros\":1}]}");
        assertThatThrownBy(() -> PriceTable.parse(twice, "prices.json")).hasMessageContaining("*/m twice");
    }
}
