package io.promptline.sink.triage;

import io.promptline.avro.ChatMessage;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeadLetterPatternTest {
    private static DeadLetter dead(ErrorCategory category, Integer status, String message) {
        PromptRequest request = PromptRequest.newBuilder().setRequestId("r-1").setTenant("acme").setPriority(Priority.NORMAL).setModel("gpt-4.1")
                .setMessages(List.of(ChatMessage.newBuilder().setRole("user").setContent("the customer's secret question").build()))
                .setCreatedAt(Instant.EPOCH).build();
        return DeadLetter.newBuilder().setRequestId("r-1").setTenant("acme").setRequest(request).setCategory(category).setHttpStatus(status)
                .setMessage(message).setAttempts(1).setOriginTopic("llm.requests.normal").setOriginPartition(0).setOriginOffset(7)
                .setFailedAt(Instant.EPOCH).build();
    }

    @Test
    void shouldGiveFailuresThatDifferOnlyInNumbersAndIdsOnePattern() {
        DeadLetterPattern a = DeadLetterPattern.of(dead(ErrorCategory.CONTEXT_LENGTH, 400,
                "HTTP 400: This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens."));
        DeadLetterPattern b = DeadLetterPattern.of(dead(ErrorCategory.CONTEXT_LENGTH, 400,
                "HTTP 400: This model's maximum context length is 1047576 tokens. However, your messages resulted in 2,000,001 tokens."));
        DeadLetterPattern c = DeadLetterPattern.of(dead(ErrorCategory.PROVIDER_ERROR, 500,
                "request 3f2b1c4d-9a8e-4f7a-b6c5-d4e3f2a1b0c9 failed at trace 9f86d081884c7d65"));
        DeadLetterPattern d = DeadLetterPattern.of(dead(ErrorCategory.PROVIDER_ERROR, 500,
                "request 0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d failed at trace deadbeef12345678"));

        assertThat(a.id()).isEqualTo(b.id()).hasSize(16).matches("[0-9a-f]{16}");
        assertThat(a.shape()).isEqualTo("HTTP #: This model's maximum context length is # tokens. However, your messages resulted in # tokens.");
        assertThat(c.id()).isEqualTo(d.id());
        assertThat(c.shape()).isEqualTo("request <id> failed at trace <hex>");
    }

    @Test
    void shouldTellFailuresOfAnotherCategoryStatusOrMessageApart() {
        String message = "Your request was rejected as a result of our safety system.";
        DeadLetterPattern policy = DeadLetterPattern.of(dead(ErrorCategory.CONTENT_POLICY, 400, message));

        assertThat(DeadLetterPattern.of(dead(ErrorCategory.INVALID_REQUEST, 400, message)).id()).isNotEqualTo(policy.id());
        assertThat(DeadLetterPattern.of(dead(ErrorCategory.CONTENT_POLICY, 422, message)).id()).isNotEqualTo(policy.id());
        assertThat(DeadLetterPattern.of(dead(ErrorCategory.CONTENT_POLICY, null, message)).id()).isNotEqualTo(policy.id());
        assertThat(DeadLetterPattern.of(dead(ErrorCategory.CONTENT_POLICY, 400, "model 'gpt-5' has no price")).id()).isNotEqualTo(policy.id());
        // Words are kept: a hex-looking word without a digit (deadbeef) or a model name stays as written
        assertThat(DeadLetterPattern.shape("model 'deadbeefcafe' in  tenant\tacme")).isEqualTo("model 'deadbeefcafe' in tenant acme");
    }

    @Test
    void shouldKeepAPatternShortWhateverTheMessage() {
        DeadLetterPattern p = DeadLetterPattern.of(dead(ErrorCategory.INVALID_REQUEST, 400, "x".repeat(100_000)));
        assertThat(p.shape()).hasSize(DeadLetterPattern.SHAPE_CHARS);
        assertThat(DeadLetterPattern.of(dead(ErrorCategory.INVALID_REQUEST, 400, "")).shape()).isEmpty();
    }

    @Test
    void shouldAskWithTheErrorNeverThePromptAndForTheThreeAnswersAsAStrictSchema() {
        DeadLetter d = dead(ErrorCategory.CONTEXT_LENGTH, 400, "This model's maximum context length is 128000 tokens.");
        PromptRequest asked = TriageRequest.of(DeadLetterPattern.of(d), d, "promptline-triage", "gpt-4.1-mini", Instant.parse("2026-12-03T10:00:00Z"));

        assertThat(asked.getRequestId()).isEqualTo("triage-" + DeadLetterPattern.of(d).id());
        assertThat(asked.getPriority()).isEqualTo(Priority.URGENT);
        assertThat(asked.getTenant()).isEqualTo("promptline-triage");
        assertThat(asked.getModel()).isEqualTo("gpt-4.1-mini");
        assertThat(asked.getDeadline()).isEqualTo(Instant.parse("2026-12-03T10:10:00Z"));
        String user = asked.getMessages().get(1).getContent();
        assertThat(user).contains("Category: CONTEXT_LENGTH", "HTTP status: 400", "Model asked: gpt-4.1", "maximum context length is 128000 tokens",
                "Pattern (numbers and ids replaced): This model's maximum context length is # tokens.");
        assertThat(asked.getMessages()).noneSatisfy(m -> assertThat(m.getContent()).contains("secret question"));
        assertThat(asked.getResponseFormat()).isEqualTo("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"dead_letter_triage\",\"strict\":true,"
                + "\"schema\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{\"severity\":{\"type\":\"string\","
                + "\"enum\":[\"critical\",\"high\",\"medium\",\"low\"]},\"root_cause\":{\"type\":\"string\",\"description\":\"The likely root cause, "
                + "in one or two sentences.\"},\"suggested_action\":{\"type\":\"string\",\"description\":\"The one action most likely to fix it.\"}},"
                + "\"required\":[\"severity\",\"root_cause\",\"suggested_action\"]}}}");
    }

    @Test
    void shouldReadAnAnswerOrNameWhatIsWrongWithIt() {
        TriageAnswer a = TriageAnswer.parse("{\"severity\":\"High\",\"root_cause\":\" Prompts too long for the model. \",\"suggested_action\":\"Route long prompts to a larger model.\"}");
        assertThat(a).isEqualTo(new TriageAnswer("high", "Prompts too long for the model.", "Route long prompts to a larger model."));

        assertThatThrownBy(() -> TriageAnswer.parse("Severity: high")).hasMessageStartingWith("the answer is not JSON");
        assertThatThrownBy(() -> TriageAnswer.parse("[1]")).hasMessage("the answer is not a JSON object");
        assertThatThrownBy(() -> TriageAnswer.parse("{\"severity\":\"urgent\",\"root_cause\":\"x\",\"suggested_action\":\"y\"}"))
                .hasMessage("severity must be one of [critical, high, medium, low], was 'urgent'");
        assertThatThrownBy(() -> TriageAnswer.parse("{\"severity\":\"low\",\"root_cause\":\"x\"}"))
                .hasMessage("suggested_action is missing or not a non-empty string");
        assertThatThrownBy(() -> TriageAnswer.parse(null)).hasMessageStartingWith("the answer is not");
    }
}
