package io.promptline.processor.provider;

import io.promptline.avro.ChatMessage;
import io.promptline.avro.ContentPart;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.TokenUsage;
import io.promptline.avro.ToolCall;
import io.promptline.avro.ToolDefinition;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * OpenAI's chat completions, which most servers speak (OpenAI, resellers, vLLM, Ollama, LiteLLM):
 * {@code POST {base}/chat/completions}, a bearer token, OpenAI's error body and
 * {@code x-ratelimit-*} headers. Reasoning models (o1, o3, o4, gpt-5) take
 * {@code max_completion_tokens} instead of {@code max_tokens}. Content parts (text, images),
 * tools, tool_choice, tool calls and results, stop, seed, top_p and user map one to one; an answer's
 * content may be a string or an array of parts, and its tool calls and refusal are kept.
 */
class OpenAiApi implements ProviderApi {
    static final OpenAiApi INSTANCE = new OpenAiApi();
    private static final Pattern REASONING_MODEL = Pattern.compile("^(o\\d|gpt-5)([-.].*)?$");

    @Override
    public String name() {
        return "openai";
    }

    @Override
    public URI target(URI baseUrl) {
        return ProviderApi.append(baseUrl, "/chat/completions");
    }

    @Override
    public void authenticate(HttpRequest<Buffer> request, String apiKey) {
        if (apiKey != null && !apiKey.isEmpty()) request.bearerTokenAuthentication(apiKey);
    }

    @Override
    public JsonObject body(ChatCall call) {
        JsonArray messages = new JsonArray();
        for (ChatMessage m : call.messages()) messages.add(message(m));
        JsonObject body = new JsonObject().put("model", call.model()).put("messages", messages);
        if (call.temperature() != null) body.put("temperature", call.temperature());
        if (call.maxTokens() != null) body.put(REASONING_MODEL.matcher(call.model()).matches() ? "max_completion_tokens" : "max_tokens", call.maxTokens());
        if (call.responseFormatJson() != null) body.put("response_format", json(call.responseFormatJson(), "response_format"));
        if (!call.tools().isEmpty()) {
            JsonArray tools = new JsonArray();
            for (ToolDefinition t : call.tools()) {
                JsonObject function = new JsonObject().put("name", t.getName()).put("parameters", json(t.getParameters(), "tools." + t.getName() + ".parameters"));
                if (t.getDescription() != null) function.put("description", t.getDescription());
                tools.add(new JsonObject().put("type", "function").put("function", function));
            }
            body.put("tools", tools);
        }
        String choice = toolChoice(call);
        if (choice != null) {
            body.put("tool_choice", CHOICES.contains(choice) ? choice
                    : new JsonObject().put("type", "function").put("function", new JsonObject().put("name", choice)));
        }
        if (!call.stop().isEmpty()) body.put("stop", new JsonArray(call.stop()));
        if (call.seed() != null) body.put("seed", call.seed());
        if (call.topP() != null) body.put("top_p", call.topP());
        if (call.user() != null) body.put("user", call.user());
        return body;
    }

    private static final java.util.Set<String> CHOICES = java.util.Set.of("auto", "none", "required");

    /** The call's tool_choice, checked: one of auto, none, required, or the name of one of its tools. */
    static String toolChoice(ChatCall call) {
        String choice = call.toolChoice();
        if (choice == null || CHOICES.contains(choice)) return choice;
        if (call.tools().stream().noneMatch(t -> t.getName().equals(choice))) {
            throw new IllegalArgumentException("tool_choice '" + choice + "' is neither auto, none, required nor the name of one of the request's tools");
        }
        return choice;
    }

    private static JsonObject message(ChatMessage m) {
        JsonObject o = new JsonObject().put("role", m.getRole());
        if (m.getParts() != null && !m.getParts().isEmpty()) {
            JsonArray content = new JsonArray();
            for (ContentPart p : m.getParts()) {
                switch (p.getType()) {
                    case "text" -> content.add(new JsonObject().put("type", "text").put("text", p.getText() == null ? "" : p.getText()));
                    case "image_url" -> {
                        if (p.getImageUrl() == null) throw new IllegalArgumentException("messages: an image_url part has no image_url");
                        JsonObject image = new JsonObject().put("url", p.getImageUrl());
                        if (p.getDetail() != null) image.put("detail", p.getDetail());
                        content.add(new JsonObject().put("type", "image_url").put("image_url", image));
                    }
                    default -> throw new IllegalArgumentException("messages: unknown content part type '" + p.getType() + "'; known: text, image_url");
                }
            }
            o.put("content", content);
        } else if (!m.getToolCalls().isEmpty() && m.getContent().isEmpty()) {
            o.putNull("content");
        } else {
            o.put("content", m.getContent());
        }
        if (!m.getToolCalls().isEmpty()) {
            JsonArray calls = new JsonArray();
            for (ToolCall t : m.getToolCalls()) {
                calls.add(new JsonObject().put("id", t.getId()).put("type", "function")
                        .put("function", new JsonObject().put("name", t.getName()).put("arguments", t.getArguments())));
            }
            o.put("tool_calls", calls);
        }
        if (m.getToolCallId() != null) o.put("tool_call_id", m.getToolCallId());
        if (m.getName() != null) o.put("name", m.getName());
        return o;
    }

    /** JSON text of the request as an object, or a failure naming {@code field}. */
    static JsonObject json(String text, String field) {
        try {
            return new JsonObject(text);
        } catch (io.vertx.core.json.DecodeException | ClassCastException e) {
            throw new IllegalArgumentException(field + " is not a JSON object: " + e.getMessage());
        }
    }

    @Override
    public CallOutcome outcome(int status, JsonObject json, MultiMap headers, String provider, String model, long latency, Clock clock) {
        Duration exhausted = ProviderSignals.exhaustedFor(headers);
        if (status / 100 != 2) return failure(status, json, headers, provider, latency, clock, exhausted);
        if (json == null) {
            return new CallOutcome.Failure(ErrorCategory.PROVIDER_ERROR, status, "HTTP " + status + " from " + provider
                    + " with a body that is not JSON", latency);
        }
        JsonArray choices = json.getJsonArray("choices");
        if (choices == null || choices.isEmpty()) {
            return new CallOutcome.Failure(ErrorCategory.PROVIDER_ERROR, status, "Answer from " + provider + " has no choices", latency);
        }
        JsonObject choice = choices.getJsonObject(0);
        JsonObject message = choice.getJsonObject("message", new JsonObject());
        String content = text(message.getValue("content"));
        List<ToolCall> calls = toolCalls(message.getJsonArray("tool_calls"));
        String refusal = message.getValue("refusal") instanceof String r ? r : null;
        JsonObject usage = json.getJsonObject("usage");
        if (usage == null) {
            // Many local OpenAI-compatible servers answer without usage: the answer stands, its tokens are estimated by the caller.
            return new CallOutcome.Success(json.getString("model", model), content, choice.getString("finish_reason"), null, latency,
                    exhausted, calls, refusal);
        }
        JsonObject promptDetails = usage.getJsonObject("prompt_tokens_details", new JsonObject());
        JsonObject completionDetails = usage.getJsonObject("completion_tokens_details", new JsonObject());
        TokenUsage tokens = TokenUsage.newBuilder()
                .setPromptTokens(usage.getLong("prompt_tokens", 0L))
                .setCompletionTokens(usage.getLong("completion_tokens", 0L))
                .setCachedTokens(longOrZero(promptDetails, "cached_tokens"))
                // OpenRouter reports prompt-cache writes in the details, LiteLLM and Anthropic-compatible servers at the top
                .setCacheWriteTokens(Math.max(longOrZero(promptDetails, "cache_write_tokens"), longOrZero(usage, "cache_creation_input_tokens")))
                .setReasoningTokens(longOrZero(completionDetails, "reasoning_tokens"))
                .build();
        return answered(status, provider, new CallOutcome.Success(json.getString("model", model), content, choice.getString("finish_reason"),
                tokens, latency, exhausted, calls, refusal));
    }

    /** A message's content: a string, or the text of an array of parts (some servers answer so); null when absent. */
    private static String text(Object content) {
        if (content instanceof String s) return s;
        if (!(content instanceof JsonArray parts)) return null;
        StringBuilder sb = new StringBuilder();
        for (Object p : parts) {
            if (p instanceof JsonObject part && part.getValue("text") instanceof String t) sb.append(t);
            else if (p instanceof String t) sb.append(t);
        }
        return sb.toString();
    }

    private static List<ToolCall> toolCalls(JsonArray calls) {
        if (calls == null) return List.of();
        List<ToolCall> out = new ArrayList<>();
        for (Object c : calls) {
            if (!(c instanceof JsonObject call)) continue;
            JsonObject function = call.getJsonObject("function", new JsonObject());
            Object args = function.getValue("arguments");
            out.add(new ToolCall(call.getString("id", ""), function.getString("name", ""),
                    args instanceof String a ? a : args == null ? "{}" : String.valueOf(args)));
        }
        return out;
    }

    /** An error answer: its category, the endpoint fault it reveals, and how long the endpoint should rest. */
    static CallOutcome.Failure failure(int status, JsonObject json, MultiMap headers, String provider, long latency, Clock clock,
                                       Duration exhausted) {
        ErrorCategory category = ErrorClassifier.fromHttp(status, json);
        String msg = ErrorClassifier.errorField(json, "message");
        Duration retryAfter = ProviderSignals.retryAfter(headers, clock);
        // A 429, 503 or 529 (overloaded) with Retry-After speaks for the whole endpoint, not just this request.
        Duration holdOff = status == 429 || status == 503 || status == 529 ? longest(retryAfter, exhausted) : exhausted;
        return new CallOutcome.Failure(category, status, "HTTP " + status + " from " + provider + (msg == null ? "" : ": " + msg),
                retryAfter, latency, holdOff, ErrorClassifier.fault(status, json));
    }

    /** An answer, unless its usage is one no real answer has (then it is not billed). */
    static CallOutcome answered(int status, String provider, CallOutcome.Success answer) {
        String badUsage = implausible(answer.usage());
        if (badUsage != null) {
            return new CallOutcome.Failure(ErrorCategory.PROVIDER_ERROR, status, "Answer from " + provider + " reports "
                    + badUsage + "; not billed", answer.latencyMs());
        }
        return answer;
    }

    private static Duration longest(Duration a, Duration b) {
        if (a == null) return b;
        if (b == null) return a;
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** Token counts no real answer has: negative, parts larger than wholes, or beyond any context window. */
    static String implausible(TokenUsage u) {
        long limit = 100_000_000L;
        if (u.getPromptTokens() < 0 || u.getCompletionTokens() < 0 || u.getCachedTokens() < 0 || u.getReasoningTokens() < 0
                || u.getCacheWriteTokens() < 0) {
            return "negative token counts " + u;
        }
        if (u.getPromptTokens() > limit || u.getCompletionTokens() > limit) return "absurd token counts " + u;
        if (u.getCachedTokens() + u.getCacheWriteTokens() > u.getPromptTokens()) return "more cached than prompt tokens " + u;
        return null;
    }

    static long longOrZero(JsonObject o, String field) {
        Object v = o.getValue(field);
        return v instanceof Number n ? n.longValue() : 0L;
    }
}
