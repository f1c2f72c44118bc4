package io.promptline.ops.simulator;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The chat APIs the simulator speaks, over one decision logic: OpenAI's
 * ({@code POST /v1/chat/completions}, a bearer key), Azure OpenAI's
 * ({@code POST /openai/deployments/{deployment}/chat/completions?api-version=…}, an {@code api-key}
 * header, the deployment as the model when the body names none) and Anthropic's Messages API
 * ({@code POST /v1/messages}, {@code x-api-key} and {@code anthropic-version}; requests and answers
 * translated to and from the OpenAI shape, errors as Anthropic's, 503 as 529 {@code overloaded_error},
 * windows as {@code anthropic-ratelimit-*} with RFC 3339 resets).
 */
enum ApiDialect {
    OPENAI, AZURE, ANTHROPIC;

    /** Why the request's credentials or API version are refused, or null; {@code apiKey} null checks nothing. */
    String refusal(HttpServerRequest request, String apiKey) {
        return switch (this) {
            case OPENAI -> apiKey != null && !("Bearer " + apiKey).equals(request.getHeader("Authorization")) ? "key" : null;
            case AZURE -> request.getParam("api-version") == null ? "api-version"
                    : apiKey != null && !apiKey.equals(request.getHeader("api-key")) ? "key" : null;
            case ANTHROPIC -> request.getHeader("anthropic-version") == null ? "anthropic-version"
                    : apiKey != null && !apiKey.equals(request.getHeader("x-api-key")) ? "key" : null;
        };
    }

    /** The request body as an OpenAI chat completion (unchanged when it cannot be read: the parser says why). */
    Buffer toOpenAi(HttpServerRequest request, Buffer body) {
        if (this == OPENAI || body == null) return body;
        JsonObject json;
        try {
            json = new JsonObject(body);
        } catch (DecodeException | ClassCastException e) {
            return body;
        }
        if (this == AZURE) {
            if (!json.containsKey("model")) json.put("model", request.getParam("deployment"));
            return json.toBuffer();
        }
        JsonArray messages = new JsonArray();
        Object system = json.getValue("system");
        if (system != null) messages.add(new JsonObject().put("role", "system").put("content", text(system)));
        Object given = json.getValue("messages");
        if (!(given instanceof JsonArray list)) return body; // the parser names what is missing
        for (Object m : list) {
            if (!(m instanceof JsonObject msg)) {
                messages.add(m);
            } else if (msg.getValue("content") instanceof JsonArray blocks) {
                fromBlocks(msg.getString("role"), blocks).forEach(messages::add);
            } else {
                messages.add(new JsonObject().put("role", msg.getValue("role")).put("content", msg.getValue("content")));
            }
        }
        JsonObject out = json.copy().put("messages", messages);
        out.remove("system");
        if (json.getValue("tools") instanceof JsonArray tools) {
            JsonArray functions = new JsonArray();
            for (Object t : tools) {
                if (t instanceof JsonObject tool) {
                    functions.add(new JsonObject().put("type", "function").put("function", new JsonObject().put("name", tool.getValue("name"))
                            .put("parameters", tool.getValue("input_schema"))));
                }
            }
            out.put("tools", functions);
        }
        if (json.getValue("tool_choice") instanceof JsonObject choice) {
            Object type = choice.getValue("type");
            out.put("tool_choice", "any".equals(type) ? "required" : "tool".equals(type)
                    ? new JsonObject().put("type", "function").put("function", new JsonObject().put("name", choice.getValue("name")))
                    : type);
        }
        if (json.getValue("stop_sequences") instanceof JsonArray stop) {
            out.put("stop", stop);
            out.remove("stop_sequences");
        }
        out.remove("metadata");
        return out.toBuffer();
    }

    /** Messages API content blocks as OpenAI messages: text and images as parts, tool_use as tool calls, tool_result as tool messages. */
    private static List<JsonObject> fromBlocks(String role, JsonArray blocks) {
        List<JsonObject> out = new ArrayList<>();
        JsonArray parts = new JsonArray();
        JsonArray calls = new JsonArray();
        for (Object b : blocks) {
            if (!(b instanceof JsonObject block)) continue;
            switch (String.valueOf(block.getValue("type"))) {
                case "text" -> parts.add(new JsonObject().put("type", "text").put("text", block.getValue("text")));
                case "image" -> parts.add(new JsonObject().put("type", "image_url").put("image_url", new JsonObject().put("url", "image")));
                case "tool_use" -> calls.add(new JsonObject().put("id", block.getValue("id")).put("type", "function")
                        .put("function", new JsonObject().put("name", block.getValue("name"))
                                .put("arguments", block.getValue("input") == null ? "{}" : Json.encode(block.getValue("input")))));
                case "tool_result" -> out.add(new JsonObject().put("role", "tool").put("tool_call_id", block.getValue("tool_use_id"))
                        .put("content", text(block.getValue("content"))));
                default -> parts.add(block); // the parser rejects it, naming the type
            }
        }
        if (!calls.isEmpty()) {
            out.add(new JsonObject().put("role", role).put("content", parts.isEmpty() ? null : parts).put("tool_calls", calls));
        } else if (!parts.isEmpty()) {
            out.add(new JsonObject().put("role", role).put("content", parts));
        }
        return out;
    }

    /** A string, or the text blocks of a content array joined. */
    private static Object text(Object content) {
        if (!(content instanceof JsonArray blocks)) return content;
        StringBuilder sb = new StringBuilder();
        for (Object b : blocks) if (b instanceof JsonObject block && "text".equals(block.getString("type"))) sb.append(block.getString("text", ""));
        return sb.toString();
    }

    int status(Reply reply) {
        return this == ANTHROPIC && reply.status() == 503 ? 529 : reply.status();
    }

    /** The answer in this API's shape. */
    JsonObject body(Reply reply) {
        if (this != ANTHROPIC) return reply.body();
        JsonObject openAi = reply.body();
        if (reply.status() / 100 != 2) {
            String message = openAi.getJsonObject("error", new JsonObject()).getString("message", "error");
            if (reply.outcome() == Outcome.CONTEXT_LENGTH) message = "prompt is too long: " + message;
            return new JsonObject().put("type", "error").put("error", new JsonObject().put("type", errorType(reply.status()))
                    .put("message", message));
        }
        JsonObject choice = openAi.getJsonArray("choices").getJsonObject(0);
        JsonObject message = choice.getJsonObject("message");
        JsonArray content = new JsonArray();
        if (message.getString("content") != null) content.add(new JsonObject().put("type", "text").put("text", message.getString("content")));
        for (Object c : message.getJsonArray("tool_calls", new JsonArray())) {
            JsonObject call = (JsonObject) c;
            JsonObject function = call.getJsonObject("function");
            content.add(new JsonObject().put("type", "tool_use").put("id", call.getString("id").replace("call_", "toolu_"))
                    .put("name", function.getString("name")).put("input", new JsonObject(function.getString("arguments"))));
        }
        String finish = choice.getString("finish_reason");
        JsonObject out = new JsonObject().put("id", openAi.getString("id").replace("chatcmpl-", "msg_")).put("type", "message")
                .put("role", "assistant").put("model", openAi.getString("model"))
                .put("content", content)
                .put("stop_reason", "length".equals(finish) ? "max_tokens" : "tool_calls".equals(finish) ? "tool_use" : "end_turn")
                .putNull("stop_sequence");
        JsonObject usage = openAi.getJsonObject("usage");
        if (usage != null) {
            long prompt = usage.getLong("prompt_tokens");
            long cached = usage.getJsonObject("prompt_tokens_details", new JsonObject()).getLong("cached_tokens", 0L);
            out.put("usage", new JsonObject().put("input_tokens", prompt - cached).put("cache_creation_input_tokens", 0)
                    .put("cache_read_input_tokens", cached).put("output_tokens", usage.getLong("completion_tokens")));
        }
        return out;
    }

    private static String errorType(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    }

    /** Anthropic's window headers from the OpenAI-style ones already set (resets of "1s"). */
    void windows(HttpServerResponse response) {
        if (this != ANTHROPIC) return;
        String reset = Instant.now().plus(1, ChronoUnit.SECONDS).truncatedTo(ChronoUnit.SECONDS).toString();
        for (String what : new String[] {"requests", "tokens"}) {
            String remaining = response.headers().get("x-ratelimit-remaining-" + what);
            if (remaining == null) continue;
            response.putHeader("anthropic-ratelimit-" + what + "-limit", response.headers().get("x-ratelimit-limit-" + what))
                    .putHeader("anthropic-ratelimit-" + what + "-remaining", remaining)
                    .putHeader("anthropic-ratelimit-" + what + "-reset", reset);
            response.headers().remove("x-ratelimit-remaining-" + what).remove("x-ratelimit-limit-" + what).remove("x-ratelimit-reset-" + what);
        }
    }
}
