package io.promptline.processor.provider;

import io.promptline.avro.TokenUsage;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class VertxChatClientTest {
    private static TokenUsage usage(long prompt, long cached, long completion) {
        return TokenUsage.newBuilder().setPromptTokens(prompt).setCachedTokens(cached).setCompletionTokens(completion).build();
    }

    @Test
    void shouldRefuseToBillUsageNoRealAnswerHas() {
        assertThat(OpenAiApi.implausible(usage(100, 50, 20))).isNull();
        assertThat(OpenAiApi.implausible(usage(-1, 0, 20))).contains("negative");
        assertThat(OpenAiApi.implausible(usage(100, 150, 20))).contains("more cached than prompt");
        assertThat(OpenAiApi.implausible(usage(100, 0, Long.MAX_VALUE / 4))).contains("absurd");
    }
}
