package io.promptline.sink.triage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.promptline.avro.ChatMessage;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The urgent request that asks a model to triage one pattern of dead letter. It carries what went
 * wrong — category, HTTP status, attempts, the model asked, the error message and its pattern — and
 * never the failed request's prompt. The answer is asked for as structured output
 * ({@code response_format} {@code json_schema}, strict): severity, likely root cause, suggested
 * action. Its request_id is {@code triage-<pattern>}: published again after a crash, it is the same
 * request (called and billed once).
 */
final class TriageRequest {
    static final String METADATA_PATTERN = "promptline.triage.pattern";
    static final List<String> SEVERITIES = List.of("critical", "high", "medium", "low");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MESSAGE_CHARS = 1_000;

    static final String INSTRUCTIONS = """
            You triage failures of Promptline, a Kafka pipeline that sends prompt requests to LLM providers \
            (OpenAI-compatible, Anthropic, Azure OpenAI) under per-tenant rate limits. A request that cannot be \
            answered ends in the dead-letter queue with a category: RATE_LIMIT, TIMEOUT, NETWORK and PROVIDER_ERROR \
            were retried until the attempts ran out; AUTHENTICATION (the provider refused the key), INVALID_REQUEST, \
            CONTEXT_LENGTH, CONTENT_POLICY, DEADLINE_EXCEEDED, BUDGET_EXCEEDED (the tenant's spend limit), \
            MALFORMED_INPUT (the record could not be read) and UNAUTHORIZED (no valid tenant proof) are final. \
            Given one such failure, answer its severity for the people who run the pipeline (critical: every \
            request fails or money is at risk; high: a tenant or a model is failing; medium: some requests of one \
            kind fail; low: one caller's bad input), its likely root cause in one or two sentences, and the \
            one action most likely to fix it.""";

    private TriageRequest() {
    }

    static String requestId(DeadLetterPattern p) {
        return "triage-" + p.id();
    }

    static PromptRequest of(DeadLetterPattern p, DeadLetter example, String tenant, String model, Instant now) {
        String asked = example.getRequest() == null ? null : example.getRequest().getModel();
        String message = example.getMessage() == null ? "" : example.getMessage();
        if (message.length() > MESSAGE_CHARS) message = message.substring(0, MESSAGE_CHARS) + "…";
        String facts = "Category: " + p.category()
                + "\nHTTP status: " + (p.httpStatus() == null ? "none (no provider answer)" : p.httpStatus())
                + "\nAttempts: " + example.getAttempts()
                + "\nModel asked: " + (asked == null ? "none (routed)" : asked)
                + "\nTier topic: " + example.getOriginTopic()
                + "\nError message: " + message
                + "\nPattern (numbers and ids replaced): " + p.shape();
        return PromptRequest.newBuilder()
                .setRequestId(requestId(p))
                .setTenant(tenant)
                .setPriority(Priority.URGENT)
                .setModel(model)
                .setMessages(List.of(message("system", INSTRUCTIONS), message("user", facts)))
                .setTemperature(0.0)
                .setMaxTokens(400)
                .setResponseFormat(responseFormat())
                .setMetadata(Map.of(METADATA_PATTERN, p.id()))
                .setCreatedAt(now)
                .setDeadline(now.plus(Duration.ofMinutes(10)))
                .build();
    }

    private static ChatMessage message(String role, String content) {
        return ChatMessage.newBuilder().setRole(role).setContent(content).build();
    }

    /** OpenAI's structured output: a strict JSON schema of the three answers. */
    static String responseFormat() {
        ObjectNode schema = JSON.createObjectNode().put("type", "object").put("additionalProperties", false);
        ObjectNode props = schema.putObject("properties");
        ObjectNode severity = props.putObject("severity").put("type", "string");
        SEVERITIES.forEach(severity.putArray("enum")::add);
        props.putObject("root_cause").put("type", "string").put("description", "The likely root cause, in one or two sentences.");
        props.putObject("suggested_action").put("type", "string").put("description", "The one action most likely to fix it.");
        schema.putArray("required").add("severity").add("root_cause").add("suggested_action");
        ObjectNode format = JSON.createObjectNode().put("type", "json_schema");
        format.putObject("json_schema").put("name", "dead_letter_triage").put("strict", true).set("schema", schema);
        return format.toString();
    }
}
