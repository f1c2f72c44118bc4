package io.promptline.processor.provider;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.TreeMap;

/**
 * Anthropic's streamed Messages answer: {@code message_start} (the message with its input usage),
 * {@code content_block_start} / {@code content_block_delta} ({@code text_delta}, or
 * {@code input_json_delta} pieces of a tool_use block's input) / {@code content_block_stop},
 * {@code message_delta} (stop_reason and the output usage), {@code message_stop}; {@code ping}s
 * between; an {@code error} event stands for a failed call (529 when overloaded).
 */
final class AnthropicStream implements StreamAssembler {
    private final TreeMap<Integer, JsonObject> blocks = new TreeMap<>();
    private final TreeMap<Integer, StringBuilder> toolInput = new TreeMap<>();
    private JsonObject message;
    private JsonObject usage = new JsonObject();
    private String stopReason;
    private String stopSequence;
    private JsonObject error;

    @Override
    public String onEvent(String event, String data) {
        if (data == null || data.isBlank()) return "";
        JsonObject e;
        try {
            e = new JsonObject(data);
        } catch (DecodeException | ClassCastException ex) {
            throw new IllegalStateException("unreadable stream event: " + OpenAiStream.abbreviate(data));
        }
        String type = event != null ? event : e.getString("type", "");
        switch (type) {
            case "message_start" -> {
                message = e.getJsonObject("message", new JsonObject());
                if (message.getValue("usage") instanceof JsonObject u) usage = u.copy();
            }
            case "content_block_start" -> {
                int index = e.getInteger("index", blocks.size());
                JsonObject block = e.getJsonObject("content_block", new JsonObject()).copy();
                blocks.put(index, block);
                if ("text".equals(block.getString("type"))) return block.getString("text", "");
            }
            case "content_block_delta" -> {
                int index = e.getInteger("index", 0);
                JsonObject delta = e.getJsonObject("delta", new JsonObject());
                JsonObject block = blocks.computeIfAbsent(index, i -> new JsonObject().put("type", "text").put("text", ""));
                if ("text_delta".equals(delta.getString("type"))) {
                    String text = delta.getString("text", "");
                    block.put("text", block.getString("text", "") + text);
                    return text;
                }
                if ("input_json_delta".equals(delta.getString("type"))) {
                    String piece = delta.getString("partial_json", "");
                    toolInput.computeIfAbsent(index, i -> new StringBuilder()).append(piece);
                    // Structured output is the input of a forced tool: its pieces are the answer's text
                    if (AnthropicApi.STRUCTURED_TOOL.equals(block.getString("name"))) return piece;
                }
            }
            case "message_delta" -> {
                JsonObject delta = e.getJsonObject("delta", new JsonObject());
                if (delta.getString("stop_reason") != null) stopReason = delta.getString("stop_reason");
                if (delta.getString("stop_sequence") != null) stopSequence = delta.getString("stop_sequence");
                if (e.getValue("usage") instanceof JsonObject u) usage.mergeIn(u);
            }
            case "error" -> error = e;
            default -> {
                // message_stop, content_block_stop, ping: nothing to keep
            }
        }
        return "";
    }

    @Override
    public JsonObject assembled() {
        if (error != null) return error;
        if (message == null) return null;
        JsonArray content = new JsonArray();
        blocks.forEach((index, block) -> {
            if ("tool_use".equals(block.getString("type"))) {
                StringBuilder input = toolInput.get(index);
                block.put("input", input == null || input.isEmpty() ? block.getJsonObject("input", new JsonObject()) : new JsonObject(input.toString()));
            }
            content.add(block);
        });
        return message.copy().put("content", content).put("stop_reason", stopReason).put("stop_sequence", stopSequence).put("usage", usage);
    }

    @Override
    public int status() {
        if (error == null) return 200;
        return "overloaded_error".equals(error.getJsonObject("error", new JsonObject()).getString("type")) ? 529 : 500;
    }

    @Override
    public String finishReason() {
        return error != null || stopReason == null ? null : AnthropicApi.finishReason(stopReason);
    }
}
