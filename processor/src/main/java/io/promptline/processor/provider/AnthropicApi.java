package io.promptline.processor.provider;

import io.promptline.avro.ChatMessage;
import io.promptline.avro.ContentPart;
import io.promptline.avro.TokenUsage;
import io.promptline.avro.ToolCall;
import io.promptline.avro.ToolDefinition;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Anthropic's Messages API: {@code POST {base}/messages} (base {@code https://api.anthropic.com/v1}),
 * the key in {@code x-api-key} with {@code anthropic-version: 2023-06-01}; system messages go to
 * the top-level {@code system}, {@code max_tokens} is required (4,096 when the request sets none).
 * The answer's text blocks are its content; {@code stop_reason} maps to OpenAI's finish reasons;
 * usage counts cache reads and writes apart from {@code input_tokens}, so the prompt is their sum
 * (cached = cache reads, cache writes kept for pricing). Errors come as
 * {@code {"type":"error","error":{"type":…,"message":…}}} (529 {@code overloaded_error} rests the
 * endpoint like a 503) and the windows as {@code anthropic-ratelimit-*-remaining|reset}. Tools map
 * to {@code input_schema}, tool choice to auto/none/any/tool, an assistant's tool calls to
 * {@code tool_use} blocks and tool messages to {@code tool_result} blocks of a user message; images
 * to URL or base64 sources; stop to {@code stop_sequences}, user to {@code metadata.user_id};
 * {@code seed} has no counterpart and is not sent. Structured output ({@code response_format}
 * json_schema or json_object) is a tool the model must call, whose input is the answer.
 */
final class AnthropicApi implements ProviderApi {
    static final AnthropicApi INSTANCE = new AnthropicApi();
    static final String VERSION = "2023-06-01";
    static final int DEFAULT_MAX_TOKENS = 4096;
    private static final Map<String, String> FINISH = Map.of("end_turn", "stop", "stop_sequence", "stop", "max_tokens", "length",
            "tool_use", "tool_calls", "refusal", "content_filter", "pause_turn", "stop");

    /** A stop_reason in OpenAI's terms. */
    static String finishReason(String stopReason) {
        return FINISH.getOrDefault(stopReason, stopReason);
    }

    @Override
    public JsonObject streamed(JsonObject body) {
        return body.put("stream", true);
    }

    @Override
    public StreamAssembler streamAssembler() {
        return new AnthropicStream();
    }

    @Override
    public String name() {
        return "anthropic";
    }

    @Override
    public URI target(URI baseUrl) {
        return ProviderApi.append(baseUrl, "/messages");
    }

    @Override
    public void authenticate(HttpRequest<Buffer> request, String apiKey) {
        if (apiKey != null && !apiKey.isEmpty()) request.putHeader("x-api-key", apiKey);
        request.putHeader("anthropic-version", VERSION);
    }

    @Override
    public JsonObject body(ChatCall call) {
        JsonObject structured = structuredOutputSchema(call);
        StringBuilder system = new StringBuilder();
        JsonArray messages = new JsonArray();
        for (ChatMessage m : call.messages()) {
            if ("system".equals(m.getRole()) || "developer".equals(m.getRole())) {
                if (!system.isEmpty()) system.append("\n\n");
                system.append(m.getContent());
            } else if ("tool".equals(m.getRole())) {
                // Tool results travel in a user message; consecutive ones share it
                JsonObject result = new JsonObject().put("type", "tool_result").put("tool_use_id", m.getToolCallId()).put("content", m.getContent());
                JsonObject last = messages.isEmpty() ? null : messages.getJsonObject(messages.size() - 1);
                if (last != null && "user".equals(last.getString("role")) && last.getValue("content") instanceof JsonArray blocks
                        && !blocks.isEmpty() && "tool_result".equals(blocks.getJsonObject(0).getString("type"))) {
                    blocks.add(result);
                } else {
                    messages.add(new JsonObject().put("role", "user").put("content", new JsonArray().add(result)));
                }
            } else {
                messages.add(new JsonObject().put("role", m.getRole()).put("content", content(m)));
            }
        }
        JsonObject body = new JsonObject().put("model", call.model())
                .put("max_tokens", call.maxTokens() != null ? call.maxTokens() : DEFAULT_MAX_TOKENS)
                .put("messages", messages);
        if (!system.isEmpty()) body.put("system", system.toString());
        if (call.temperature() != null) body.put("temperature", call.temperature());
        if (call.topP() != null) body.put("top_p", call.topP());
        if (!call.stop().isEmpty()) body.put("stop_sequences", new JsonArray(call.stop()));
        if (call.user() != null) body.put("metadata", new JsonObject().put("user_id", call.user()));
        if (!call.tools().isEmpty()) {
            JsonArray tools = new JsonArray();
            for (ToolDefinition t : call.tools()) {
                JsonObject tool = new JsonObject().put("name", t.getName())
                        .put("input_schema", OpenAiApi.json(t.getParameters(), "tools." + t.getName() + ".parameters"));
                if (t.getDescription() != null) tool.put("description", t.getDescription());
                tools.add(tool);
            }
            body.put("tools", tools);
        }
        if (structured != null) {
            // Structured output as Anthropic documents it: one tool whose input is the answer, which the model must call
            body.put("tools", new JsonArray().add(new JsonObject().put("name", STRUCTURED_TOOL)
                    .put("description", "Give the answer as this tool's input.").put("input_schema", structured)));
            body.put("tool_choice", new JsonObject().put("type", "tool").put("name", STRUCTURED_TOOL));
            return body;
        }
        String choice = OpenAiApi.toolChoice(call);
        if (choice != null) {
            body.put("tool_choice", switch (choice) {
                case "auto" -> new JsonObject().put("type", "auto");
                case "none" -> new JsonObject().put("type", "none");
                case "required" -> new JsonObject().put("type", "any");
                default -> new JsonObject().put("type", "tool").put("name", choice);
            });
        }
        // seed: the Messages API has none, so it is not sent (documented; determinism is best-effort everywhere)
        return body;
    }

    /** The tool that carries structured output (a request asking for structured output may not offer tools of its own). */
    static final String STRUCTURED_TOOL = "promptline_structured_output";

    /** The JSON Schema the answer must match (response_format json_schema, or any object for json_object), or null for text. */
    private static JsonObject structuredOutputSchema(ChatCall call) {
        if (call.responseFormatJson() == null) return null;
        JsonObject format = OpenAiApi.json(call.responseFormatJson(), "response_format");
        String type = format.getString("type", "");
        if (type.equals("text")) return null;
        if (!call.tools().isEmpty()) {
            throw new IllegalArgumentException("response_format together with tools is not supported on the Anthropic Messages API "
                    + "(structured output is itself a tool there)");
        }
        if (type.equals("json_object")) return new JsonObject().put("type", "object");
        JsonObject schema = format.getJsonObject("json_schema", new JsonObject()).getJsonObject("schema");
        if (!type.equals("json_schema") || schema == null) {
            throw new IllegalArgumentException("response_format type '" + type + "' is not one of text, json_object, json_schema (with a schema)");
        }
        return schema;
    }

    /** A message's content: its text, or blocks for parts and for an assistant's tool calls. */
    private static Object content(ChatMessage m) {
        boolean parts = m.getParts() != null && !m.getParts().isEmpty();
        if (!parts && m.getToolCalls().isEmpty()) return m.getContent();
        JsonArray blocks = new JsonArray();
        if (parts) {
            for (ContentPart p : m.getParts()) blocks.add(block(p));
        } else if (!m.getContent().isEmpty()) {
            blocks.add(new JsonObject().put("type", "text").put("text", m.getContent()));
        }
        for (ToolCall t : m.getToolCalls()) {
            blocks.add(new JsonObject().put("type", "tool_use").put("id", t.getId()).put("name", t.getName())
                    .put("input", OpenAiApi.json(t.getArguments(), "messages.tool_calls." + t.getName() + ".arguments")));
        }
        return blocks;
    }

    private static JsonObject block(ContentPart p) {
        switch (p.getType()) {
            case "text":
                return new JsonObject().put("type", "text").put("text", p.getText() == null ? "" : p.getText());
            case "image_url":
                String url = p.getImageUrl();
                if (url == null) throw new IllegalArgumentException("messages: an image_url part has no image_url");
                JsonObject source;
                if (url.startsWith("data:")) {
                    int semi = url.indexOf(";base64,");
                    if (semi < 0) throw new IllegalArgumentException("messages: an image data URI must be data:<media type>;base64,<bytes>");
                    source = new JsonObject().put("type", "base64").put("media_type", url.substring(5, semi))
                            .put("data", url.substring(semi + ";base64,".length()));
                } else {
                    source = new JsonObject().put("type", "url").put("url", url);
                }
                return new JsonObject().put("type", "image").put("source", source);
            default:
                throw new IllegalArgumentException("messages: unknown content part type '" + p.getType() + "'; known: text, image_url");
        }
    }

    @Override
    public CallOutcome outcome(int status, JsonObject json, MultiMap headers, String provider, String model, long latency, Clock clock) {
        Duration exhausted = ProviderSignals.anthropicExhaustedFor(headers, clock);
        if (status / 100 != 2) return OpenAiApi.failure(status, json, headers, provider, latency, clock, exhausted);
        if (json == null || !(json.getValue("content") instanceof JsonArray blocks)) {
            return new CallOutcome.Failure(io.promptline.avro.ErrorCategory.PROVIDER_ERROR, status, "Answer from " + provider
                    + " is not a Messages API message", latency);
        }
        StringBuilder text = new StringBuilder();
        boolean anyText = false;
        String structured = null;
        List<ToolCall> calls = new ArrayList<>();
        for (Object b : blocks) {
            if (!(b instanceof JsonObject block)) continue;
            if ("text".equals(block.getString("type"))) {
                text.append(block.getString("text", ""));
                anyText = true;
            } else if ("tool_use".equals(block.getString("type"))) {
                Object input = block.getValue("input");
                String arguments = input == null ? "{}" : Json.encode(input);
                if (STRUCTURED_TOOL.equals(block.getString("name"))) {
                    structured = arguments; // structured output: the tool's input is the answer
                } else {
                    calls.add(new ToolCall(block.getString("id", ""), block.getString("name", ""), arguments));
                }
            }
        }
        String stop = json.getString("stop_reason");
        String finish = stop == null ? null : structured != null && "tool_use".equals(stop) ? "stop" : FINISH.getOrDefault(stop, stop);
        String answeredBy = json.getString("model", model);
        String content = structured != null ? structured : anyText ? text.toString() : null;
        // A refusal stops with stop_reason "refusal"; its text, if any, is the refusal
        String refusal = "refusal".equals(stop) ? (content == null ? "refused" : content) : null;
        JsonObject usage = json.getJsonObject("usage");
        if (usage == null) return new CallOutcome.Success(answeredBy, content, finish, null, latency, exhausted, calls, refusal);
        long cacheRead = OpenAiApi.longOrZero(usage, "cache_read_input_tokens");
        long cacheWrite = OpenAiApi.longOrZero(usage, "cache_creation_input_tokens");
        TokenUsage tokens = TokenUsage.newBuilder()
                .setPromptTokens(OpenAiApi.longOrZero(usage, "input_tokens") + cacheRead + cacheWrite)
                .setCompletionTokens(OpenAiApi.longOrZero(usage, "output_tokens"))
                .setCachedTokens(cacheRead)
                .setCacheWriteTokens(cacheWrite)
                .setReasoningTokens(0L)
                .build();
        return OpenAiApi.answered(status, provider, new CallOutcome.Success(answeredBy, content, finish, tokens, latency, exhausted, calls,
                refusal));
    }
}
