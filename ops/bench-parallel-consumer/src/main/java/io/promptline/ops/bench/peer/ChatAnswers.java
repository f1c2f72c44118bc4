package io.promptline.ops.bench.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.promptline.avro.ChatMessage;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.avro.TokenUsage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * The request body and the result record of the baselines: the same OpenAI call and the same
 * PromptResult as Promptline produces, so every system does the same work per request.
 */
public final class ChatAnswers {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ChatAnswers() {
    }

    public static byte[] body(PromptRequest r) {
        ObjectNode body = JSON.createObjectNode().put("model", r.getModel());
        ArrayNode messages = body.putArray("messages");
        for (ChatMessage m : r.getMessages()) messages.addObject().put("role", m.getRole()).put("content", m.getContent());
        if (r.getMaxTokens() != null) body.put("max_tokens", r.getMaxTokens());
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static PromptResult result(PromptRequest r, int status, byte[] answer, long startedAt, long latencyMs) {
        JsonNode json;
        try {
            json = JSON.readTree(answer);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (status != 200) throw new IllegalStateException("HTTP " + status + ": " + json);
        JsonNode usage = json.path("usage");
        JsonNode choice = json.path("choices").path(0);
        return PromptResult.newBuilder()
                .setRequestId(r.getRequestId()).setTenant(r.getTenant()).setPriority(r.getPriority())
                .setRequestedModel(r.getModel()).setModel(json.path("model").asText(r.getModel())).setProvider("simulator")
                .setContent(choice.path("message").path("content").asText()).setFinishReason(choice.path("finish_reason").asText())
                .setUsage(TokenUsage.newBuilder().setPromptTokens(usage.path("prompt_tokens").asLong())
                        .setCompletionTokens(usage.path("completion_tokens").asLong())
                        .setCachedTokens(usage.path("prompt_tokens_details").path("cached_tokens").asLong()).build())
                .setAttempts(1).setQueueTimeMs(Math.max(0, startedAt - r.getCreatedAt().toEpochMilli()))
                .setCallLatencyMs(latencyMs).setCompletedAt(Instant.now()).setMetadata(r.getMetadata())
                .build();
    }
}
