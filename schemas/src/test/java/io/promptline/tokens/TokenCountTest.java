package io.promptline.tokens;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import io.promptline.avro.ChatMessage;
import io.promptline.avro.ToolDefinition;
import io.promptline.requests.Messages;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Token counts against what providers report: OpenAI's own counts of its cookbook examples
 * ("How to count tokens with tiktoken": the API answered 124 prompt tokens for gpt-4o and 129 for
 * gpt-4, 101 and 105 with a tool), and the per-script fallback against o200k on English, Japanese
 * and Chinese prose.
 */
class TokenCountTest {
    private static ChatMessage named(String role, String name, String content) {
        return ChatMessage.newBuilder().setRole(role).setName(name).setContent(content).build();
    }

    private static final List<ChatMessage> COOKBOOK = List.of(
            Messages.text("system", "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."),
            named("system", "example_user", "New synergies will help drive top-line growth."),
            named("system", "example_assistant", "Things working well together will increase revenue."),
            named("system", "example_user", "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."),
            named("system", "example_assistant", "Let's talk later when we're less busy about how to do better."),
            Messages.text("user", "This late pivot means we don't have time to boil the ocean for the client deliverable."));

    @Test
    void shouldCountOpenAisExampleAsItsApiDid() {
        assertThat(TokenCount.prompt("gpt-4o", COOKBOOK, List.of())).isEqualTo(124);
        assertThat(TokenCount.prompt("gpt-4o-mini", COOKBOOK, List.of())).isEqualTo(124);
        assertThat(TokenCount.prompt("gpt-4", COOKBOOK, List.of())).isEqualTo(129);
        assertThat(TokenCount.prompt("gpt-3.5-turbo", COOKBOOK, List.of())).isEqualTo(129);
        assertThat(TokenCount.exact("gpt-4.1-mini")).isTrue();
        assertThat(TokenCount.exact("openai/gpt-5")).isTrue();
        assertThat(TokenCount.exact("claude-sonnet-4.5")).isFalse();
    }

    @Test
    void shouldCountATooledRequestAsTheApiDid() {
        ToolDefinition weather = ToolDefinition.newBuilder().setName("get_current_weather").setDescription("Get the current weather in a given location")
                .setParameters("""
                        {"type": "object", "properties": {
                          "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                          "unit": {"type": "string", "description": "The unit of temperature to return", "enum": ["celsius", "fahrenheit"]}},
                         "required": ["location"]}""").build();
        List<ChatMessage> messages = List.of(Messages.text("system", "You are a helpful assistant that can answer to questions about the weather."),
                Messages.text("user", "What's the weather like in San Francisco?"));
        assertThat(TokenCount.prompt("gpt-4o", messages, List.of(weather))).isEqualTo(101);
        assertThat(TokenCount.prompt("gpt-4", messages, List.of(weather))).isEqualTo(105);
    }

    /** Ordinary prose in the three languages of the seeds' audience (the calibration set of the fallback). */
    private static final List<String> PROSE = List.of(
            "The quarterly report shows that revenue grew by twelve percent, driven mainly by new customers in Europe and a strong holiday season. Operating costs rose more slowly than expected.",
            "Please summarise the following customer complaint in two sentences and classify its urgency as low, medium or high: my order #48213 arrived broken and nobody answers the support line.",
            "Kafka Streams processes records one at a time with millisecond latency, supports exactly-once processing semantics, and scales horizontally by adding instances of the application.",
            "四半期報告書によると、売上高は主にヨーロッパの新規顧客と好調な年末商戦により12パーセント増加しました。営業費用は予想よりも緩やかに増加しました。",
            "次の顧客からの苦情を二文で要約し、緊急度を低・中・高で分類してください。注文番号48213の商品が壊れて届き、サポート窓口に誰も出ません。",
            "東京の天気は明日晴れの予報ですが、午後から風が強くなる見込みです。外出の際はお気をつけください。",
            "季度报告显示，收入增长了百分之十二，主要得益于欧洲的新客户和强劲的假日季。运营成本的增长比预期的要慢。",
            "请用两句话总结以下客户投诉，并将其紧急程度分为低、中、高：我的订单48213到货时已损坏，客服电话无人接听。",
            "北京明天天气晴朗，但下午风力将会增强。出门时请注意安全，并适当增添衣物。");

    /** Text the fallback was not fitted on, formulaic Japanese among it. */
    private static final List<String> HELD_OUT = List.of(
            "Our new pricing takes effect on the first of next month; existing subscribers keep their current plan until renewal, and can switch at any time from the billing page.",
            "Translate the following sentence into French and explain any idioms: it is raining cats and dogs, so the picnic is off.",
            "お問い合わせいただきありがとうございます。ご注文の商品は本日発送いたしました。到着まで三日ほどかかる見込みです。",
            "機械学習モデルの性能を評価するには、訓練データとは別のテストデータを用意する必要があります。",
            "感谢您的咨询。您订购的商品已于今天发出，预计三天左右送达。如有任何问题，请随时与我们联系。",
            "评估机器学习模型的性能时，需要准备与训练数据分开的测试数据。");

    @Test
    void shouldEstimateOtherFamiliesWithinTenPercentOfAModernTokenizerOnProse() {
        Encoding o200k = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
        for (String text : PROSE) {
            long real = o200k.countTokensOrdinary(text);
            assertThat((double) TokenCount.text("claude-sonnet-4.5", text)).as(text).isBetween(real * 0.9, real * 1.1);
            assertThat(TokenCount.text("gpt-4.1", text)).isEqualTo(real);
        }
        // On text it was not fitted on it is still far closer than characters / 4 was, on average
        double fallback = 0;
        double quarter = 0;
        for (String text : HELD_OUT) {
            long real = o200k.countTokensOrdinary(text);
            fallback += Math.abs(TokenCount.text("claude-sonnet-4.5", text) - real) / (double) real;
            quarter += Math.abs((text.length() + 3) / 4 - real) / (double) real;
        }
        assertThat(fallback / HELD_OUT.size()).isLessThan(quarter / HELD_OUT.size()).isLessThan(0.25);
    }
}
