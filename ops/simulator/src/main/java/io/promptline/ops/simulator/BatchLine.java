package io.promptline.ops.simulator;

import io.vertx.core.json.JsonObject;

/**
 * One line of a batch job the simulator ran (GET /sim/batch-lines).
 *
 * @param status the line's HTTP status (0 for a line not run before the window ended)
 * @param call   the usage of a 200 answer, else null
 */
public record BatchLine(String batchId, String customId, int status, RecordedCall call) {
    public JsonObject toJson() {
        return new JsonObject().put("batchId", batchId).put("customId", customId).put("status", status)
                .put("call", call == null ? null : call.toJson());
    }

    public static BatchLine fromJson(JsonObject json) {
        JsonObject call = json.getJsonObject("call");
        return new BatchLine(json.getString("batchId"), json.getString("customId"), json.getInteger("status", 0),
                call == null ? null : RecordedCall.fromJson(call));
    }
}
