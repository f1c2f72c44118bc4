package io.promptline.ops.simulator;

import io.vertx.core.json.JsonObject;

/**
 * One successful (200) chat completion, as recorded in the simulator's ledger (GET /sim/calls).
 *
 * @param idempotencyKey the Idempotency-Key header, else the X-Request-Id header, else null
 * @param model the requested model
 * @param promptTokens usage.prompt_tokens
 * @param completionTokens usage.completion_tokens
 * @param cachedTokens usage.prompt_tokens_details.cached_tokens
 * @param reasoningTokens usage.completion_tokens_details.reasoning_tokens
 */
public record RecordedCall(String idempotencyKey, String model, int promptTokens, int completionTokens,
        int cachedTokens, int reasoningTokens) {

    /** JSON with the component names as keys. */
    public JsonObject toJson() {
        return new JsonObject()
                .put("idempotencyKey", idempotencyKey)
                .put("model", model)
                .put("promptTokens", promptTokens)
                .put("completionTokens", completionTokens)
                .put("cachedTokens", cachedTokens)
                .put("reasoningTokens", reasoningTokens);
    }

    /** Inverse of {@link #toJson()}. */
    public static RecordedCall fromJson(JsonObject json) {
        return new RecordedCall(json.getString("idempotencyKey"), json.getString("model"),
                json.getInteger("promptTokens", 0), json.getInteger("completionTokens", 0),
                json.getInteger("cachedTokens", 0), json.getInteger("reasoningTokens", 0));
    }
}
