package io.promptline.ops.simulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * A whole answer as the server-sent events its API streams it with: OpenAI's (and Azure's)
 * {@code chat.completion.chunk}s ending with {@code data: [DONE]}, with the usage in a last chunk
 * when asked ({@code stream_options.include_usage}); Anthropic's {@code message_start},
 * {@code content_block_*}, {@code message_delta} and {@code message_stop} events. Text is sent a
 * word at a time, a tool call's arguments in two pieces.
 */
final class StreamedAnswer {
    private StreamedAnswer() {
    }

    /** The events, each ending with its blank line. */
    static List<String> events(ApiDialect dialect, JsonObject whole, boolean includeUsage) {
        return dialect == ApiDialect.ANTHROPIC ? anthropic(whole) : openAi(whole, includeUsage);
    }

    /** {@code text} cut after each space, the spaces kept. */
    static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == ' ') {
                out.add(text.substring(start, i + 1));
                start = i + 1;
            }
        }
        if (start < text.length()) out.add(text.substring(start));
        return out;
    }

    private static List<String> openAi(JsonObject whole, boolean includeUsage) {
        List<String> out = new ArrayList<>();
        JsonObject choice = whole.getJsonArray("choices").getJsonObject(0);
        JsonObject message = choice.getJsonObject("message");
        out.add(chunk(whole, new JsonObject().put("role", "assistant").put("content", ""), null));
        String content = message.getString("content");
        if (content != null) for (String w : words(content)) out.add(chunk(whole, new JsonObject().put("content", w), null));
        JsonArray calls = message.getJsonArray("tool_calls", new JsonArray());
        for (int i = 0; i < calls.size(); i++) {
            JsonObject call = calls.getJsonObject(i);
            JsonObject f = call.getJsonObject("function");
            String args = f.getString("arguments", "");
            int half = args.length() / 2;
            out.add(chunk(whole, toolDelta(i, new JsonObject().put("id", call.getString("id")).put("type", "function")
                    .put("function", new JsonObject().put("name", f.getString("name")).put("arguments", args.substring(0, half)))), null));
            out.add(chunk(whole, toolDelta(i, new JsonObject().put("function", new JsonObject().put("arguments", args.substring(half)))), null));
        }
        out.add(chunk(whole, new JsonObject(), choice.getString("finish_reason")));
        if (includeUsage && whole.getValue("usage") instanceof JsonObject usage) {
            out.add(data(base(whole).put("choices", new JsonArray()).put("usage", usage)));
        }
        out.add("data: [DONE]\n\n");
        return out;
    }

    private static JsonObject toolDelta(int index, JsonObject call) {
        return new JsonObject().put("tool_calls", new JsonArray().add(call.put("index", index)));
    }

    private static String chunk(JsonObject whole, JsonObject delta, String finishReason) {
        JsonObject choice = new JsonObject().put("index", 0).put("delta", delta).put("finish_reason", finishReason);
        return data(base(whole).put("choices", new JsonArray().add(choice)));
    }

    private static JsonObject base(JsonObject whole) {
        return new JsonObject().put("id", whole.getString("id")).put("object", "chat.completion.chunk")
                .put("created", whole.getValue("created")).put("model", whole.getString("model"));
    }

    private static String data(JsonObject json) {
        return "data: " + json.encode() + "\n\n";
    }

    private static List<String> anthropic(JsonObject whole) {
        List<String> out = new ArrayList<>();
        JsonObject usage = whole.getJsonObject("usage", new JsonObject());
        JsonObject startUsage = usage.copy().put("output_tokens", 1);
        JsonObject message = whole.copy().put("content", new JsonArray()).putNull("stop_reason").put("usage", startUsage);
        out.add(event("message_start", new JsonObject().put("type", "message_start").put("message", message)));
        JsonArray blocks = whole.getJsonArray("content", new JsonArray());
        for (int i = 0; i < blocks.size(); i++) {
            JsonObject block = blocks.getJsonObject(i);
            if ("tool_use".equals(block.getString("type"))) {
                out.add(event("content_block_start", new JsonObject().put("type", "content_block_start").put("index", i)
                        .put("content_block", block.copy().put("input", new JsonObject()))));
                String input = block.getJsonObject("input", new JsonObject()).encode();
                int half = input.length() / 2;
                for (String piece : List.of(input.substring(0, half), input.substring(half))) {
                    out.add(event("content_block_delta", new JsonObject().put("type", "content_block_delta").put("index", i)
                            .put("delta", new JsonObject().put("type", "input_json_delta").put("partial_json", piece))));
                }
            } else {
                out.add(event("content_block_start", new JsonObject().put("type", "content_block_start").put("index", i)
                        .put("content_block", new JsonObject().put("type", "text").put("text", ""))));
                for (String w : words(block.getString("text", ""))) {
                    out.add(event("content_block_delta", new JsonObject().put("type", "content_block_delta").put("index", i)
                            .put("delta", new JsonObject().put("type", "text_delta").put("text", w))));
                }
            }
            out.add(event("content_block_stop", new JsonObject().put("type", "content_block_stop").put("index", i)));
        }
        out.add(event("message_delta", new JsonObject().put("type", "message_delta")
                .put("delta", new JsonObject().put("stop_reason", whole.getString("stop_reason")).put("stop_sequence", whole.getValue("stop_sequence")))
                .put("usage", new JsonObject().put("output_tokens", usage.getValue("output_tokens", 0)))));
        out.add(event("message_stop", new JsonObject().put("type", "message_stop")));
        return out;
    }

    private static String event(String name, JsonObject data) {
        return "event: " + name + "\ndata: " + data.encode() + "\n\n";
    }
}
