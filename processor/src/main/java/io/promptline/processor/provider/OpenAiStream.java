package io.promptline.processor.provider;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.TreeMap;

/**
 * OpenAI's streamed chat completion (Azure's too): {@code data:} events of
 * {@code chat.completion.chunk} objects whose first choice carries a {@code delta} (content,
 * refusal, tool calls by index with their arguments in pieces) and at last a
 * {@code finish_reason}; with {@code stream_options.include_usage} a final chunk with no choices
 * carries the usage; {@code data: [DONE]} ends it. An {@code error} object inside the stream
 * stands for a failed call.
 */
final class OpenAiStream implements StreamAssembler {
    private final StringBuilder content = new StringBuilder();
    private final StringBuilder refusal = new StringBuilder();
    private final TreeMap<Integer, JsonObject> toolCalls = new TreeMap<>();
    private String id;
    private String model;
    private String finishReason;
    private JsonObject usage;
    private JsonObject error;
    private boolean any;

    @Override
    public String onEvent(String event, String data) {
        if (data == null || data.isBlank() || data.strip().equals("[DONE]")) return "";
        JsonObject chunk;
        try {
            chunk = new JsonObject(data);
        } catch (DecodeException | ClassCastException e) {
            throw new IllegalStateException("unreadable stream event: " + abbreviate(data));
        }
        if (chunk.getValue("error") instanceof JsonObject e) {
            error = new JsonObject().put("error", e);
            return "";
        }
        any = true;
        if (chunk.getString("id") != null) id = chunk.getString("id");
        if (chunk.getString("model") != null) model = chunk.getString("model");
        if (chunk.getValue("usage") instanceof JsonObject u) usage = u;
        JsonArray choices = chunk.getJsonArray("choices");
        if (choices == null || choices.isEmpty()) return "";
        JsonObject choice = choices.getJsonObject(0);
        if (choice.getString("finish_reason") != null) finishReason = choice.getString("finish_reason");
        JsonObject delta = choice.getJsonObject("delta");
        if (delta == null) return "";
        if (delta.getValue("refusal") instanceof String r) refusal.append(r);
        if (delta.getValue("tool_calls") instanceof JsonArray calls) {
            for (int i = 0; i < calls.size(); i++) toolCall(calls.getJsonObject(i));
        }
        String text = delta.getValue("content") instanceof String s ? s : "";
        content.append(text);
        return text;
    }

    /** A tool call's piece: the first names it, the rest add to its arguments. */
    private void toolCall(JsonObject piece) {
        int index = piece.getInteger("index", toolCalls.size());
        JsonObject call = toolCalls.computeIfAbsent(index, i -> new JsonObject().put("type", "function")
                .put("function", new JsonObject().put("name", "").put("arguments", "")));
        if (piece.getString("id") != null) call.put("id", piece.getString("id"));
        JsonObject f = piece.getJsonObject("function");
        if (f == null) return;
        JsonObject into = call.getJsonObject("function");
        if (f.getString("name") != null) into.put("name", into.getString("name") + f.getString("name"));
        if (f.getString("arguments") != null) into.put("arguments", into.getString("arguments") + f.getString("arguments"));
    }

    @Override
    public JsonObject assembled() {
        if (error != null) return error;
        if (!any) return null;
        JsonObject message = new JsonObject().put("role", "assistant").put("content", content.isEmpty() && !toolCalls.isEmpty() ? null : content.toString());
        if (!refusal.isEmpty()) message.put("refusal", refusal.toString());
        if (!toolCalls.isEmpty()) message.put("tool_calls", new JsonArray(toolCalls.values().stream().map(Object.class::cast).toList()));
        JsonObject body = new JsonObject().put("object", "chat.completion").put("choices",
                new JsonArray().add(new JsonObject().put("index", 0).put("message", message).put("finish_reason", finishReason)));
        if (id != null) body.put("id", id);
        if (model != null) body.put("model", model);
        if (usage != null) body.put("usage", usage);
        return body;
    }

    @Override
    public int status() {
        return error == null ? 200 : 500;
    }

    @Override
    public String finishReason() {
        return error == null ? finishReason : null;
    }

    static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
