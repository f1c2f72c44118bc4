package io.promptline.processor.dispatch;

import io.promptline.requests.Messages;
import io.promptline.avro.BillingMode;
import io.promptline.avro.CostEvent;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.TokenUsage;
import io.promptline.pricing.Price;
import io.promptline.pricing.PriceTable;
import io.promptline.processor.cost.Billing;
import io.promptline.processor.output.Origin;
import io.promptline.processor.provider.CallOutcome;
import io.promptline.processor.provider.Completion;
import io.promptline.processor.ratelimit.Reservation;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AnswersTest {
    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
    // gpt-4.1: $2 in, $0.50 cached in, $8 out per million tokens; a 50% discount only through a Batch API
    private static final Price GPT41 = new Price("openai", "gpt-4.1", "USD", 2_000_000, 500_000, 2_000_000, 8_000_000, 50, "v1",
            Instant.EPOCH);
    private static final TokenUsage USAGE = TokenUsage.newBuilder().setPromptTokens(1_000).setCachedTokens(400).setCompletionTokens(500)
            .build();

    private static PendingCall pending(Priority tier, String model) {
        PromptRequest r = PromptRequest.newBuilder().setRequestId("r1").setTenant("acme").setPriority(tier).setModel(model)
                .setMessages(List.of(Messages.text("user", "hi"))).setCreatedAt(NOW).build();
        return new PendingCall(r, new byte[0], model, new Origin("t", 0, 0), 1, 0, 0, 0, NOW.toEpochMilli(), new Reservation(0, 0, 10), null, "model", 1);
    }

    @Test
    void shouldBillABatchTierCallMadeSynchronouslyAtTheProvidersFullPrice() {
        CallOutcome.Success s = new CallOutcome.Success("gpt-4.1", "ok", "stop", USAGE, 10, null);
        Completion c = new Completion("r1", 1, NOW.toEpochMilli(), s, "openai", null);
        Billing billing = new Billing(new PriceTable("v1", List.of(GPT41)), Billing.UnpricedPolicy.REJECT);

        CostEvent cost = Answers.cost(pending(Priority.BATCH, "gpt-4.1"), s, c, billing);

        // 600 x 2 + 400 x 0.5 + 500 x 8 = 1,200 + 200 + 4,000 = 5,400 micro-USD: the synchronous endpoint's bill
        assertThat(cost.getCostMicros()).isEqualTo(5_400);
        assertThat(cost.getBillingMode()).isEqualTo(BillingMode.SYNC);
        assertThat(cost.getPriceVersion()).isEqualTo("v1");
        assertThat(cost.getTimestamp()).as("priced at the call's start").isEqualTo(NOW);
        assertThat(cost.getUsageEstimated()).isFalse();
        assertThat(cost.getUnpriced()).isFalse();
    }

    @Test
    void shouldRecordACallOfAnUnpricedModelAsUnpricedNeverAsAPlainZero() {
        CallOutcome.Success s = new CallOutcome.Success("llama-local", "ok", "stop", USAGE, 10, null);
        Completion c = new Completion("r1", 1, NOW.toEpochMilli(), s, "local", null);
        Billing billing = new Billing(new PriceTable("v1", List.of(GPT41)), Billing.UnpricedPolicy.RECORD);

        CostEvent cost = Answers.cost(pending(Priority.NORMAL, "llama-local"), s, c, billing);

        assertThat(cost.getUnpriced()).isTrue();
        assertThat(cost.getCostMicros()).isZero();
        assertThat(cost.getCurrency()).isEqualTo("XXX");
        assertThat(cost.getPromptTokens()).isEqualTo(1_000);
        assertThat(billing.refusal("local", "llama-local", NOW)).isEmpty();
        assertThat(new Billing(billing.table(), Billing.UnpricedPolicy.REJECT).refusal("local", "llama-local", NOW)).get().asString()
                .contains("'llama-local' has no price for provider local").contains("promptline.processor.unpriced.models=record");
    }
}
