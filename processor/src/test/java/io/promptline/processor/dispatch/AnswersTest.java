package io.promptline.processor.dispatch;

import io.promptline.avro.ChatMessage;
import io.promptline.avro.CostEvent;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.TokenUsage;
import io.promptline.processor.cost.Price;
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

    private static PendingCall pending(Priority tier) {
        PromptRequest r = PromptRequest.newBuilder().setRequestId("r1").setTenant("acme").setPriority(tier).setModel("gpt-4.1")
                .setMessages(List.of(new ChatMessage("user", "hi"))).setCreatedAt(NOW).build();
        return new PendingCall(r, new byte[0], "gpt-4.1", new Origin("t", 0, 0), 1, 0, NOW.toEpochMilli(), new Reservation(0, 0, 10), null, 1);
    }

    @Test
    void shouldBillABatchTierCallMadeSynchronouslyAtTheProvidersFullPrice() {
        // gpt-4.1: $2 in, $0.50 cached in, $8 out per million tokens; a 50% discount only through a Batch API
        Price gpt41 = new Price("openai", "gpt-4.1", "USD", 2_000_000, 500_000, 8_000_000, 50);
        TokenUsage usage = TokenUsage.newBuilder().setPromptTokens(1_000).setCachedTokens(400).setCompletionTokens(500).setReasoningTokens(0)
                .build();
        CallOutcome.Success s = new CallOutcome.Success("gpt-4.1", "ok", "stop", usage, 10, null);
        Completion c = new Completion("r1", 1, NOW.toEpochMilli(), s, "openai", null);

        CostEvent cost = Answers.cost(pending(Priority.BATCH), s, c, gpt41, "v1", NOW);

        // 600 x 2 + 400 x 0.5 + 500 x 8 = 1,200 + 200 + 4,000 = 5,400 micro-USD: the synchronous endpoint's bill
        assertThat(cost.getCostMicros()).isEqualTo(5_400);
        assertThat(cost.getUsageEstimated()).isFalse();
    }
}
