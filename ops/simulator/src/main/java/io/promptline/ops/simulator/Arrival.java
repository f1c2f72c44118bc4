package io.promptline.ops.simulator;

import io.vertx.core.json.JsonObject;

/**
 * One chat-completion request as it arrived, whatever its outcome (GET /sim/arrivals): tests use
 * it to see when each logical request was called, e.g. that no retry came before its Retry-After.
 *
 * @param idempotencyKey the Idempotency-Key header, else X-Request-Id, else null
 * @param model the requested model, or null when the body was not a valid request
 * @param receivedAtMillis wall-clock arrival time
 * @param outcome the decision taken at arrival, as {@link Outcome#key()}
 */
public record Arrival(String idempotencyKey, String model, long receivedAtMillis, String outcome) {

    public JsonObject toJson() {
        return new JsonObject().put("idempotencyKey", idempotencyKey).put("model", model)
                .put("receivedAtMillis", receivedAtMillis).put("outcome", outcome);
    }
}
