package io.promptline.ops.simulator;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A validated OpenAI chat-completion request, as far as the simulator cares.
 *
 * @param model the requested model
 * @param contents the message contents, in order
 * @param lastUserContent content of the last "user" message (else of the last message)
 * @param maxTokens max_completion_tokens, else max_tokens, else null
 * @param toolCall the function (name, parameters) the answer calls: the one tool_choice names, else the first tool when tool_choice is
 *                 "required" or the last user message says {@code [[sim:tool_call]]}; null: a text answer
 * @param responseFormat the request's response_format (json_object or json_schema: the answer is JSON), or null for text
 */
record ChatRequest(String model, List<String> contents, String lastUserContent, Integer maxTokens, JsonObject toolCall,
                   JsonObject responseFormat, boolean stream, boolean includeUsage) {

    /** In the last user message, asks for a call of the request's first tool. */
    static final String TOOL_CALL_MARKER = "[[sim:tool_call]]";

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    static final String NOT_JSON = "We could not parse the JSON body of your request. (HINT: This likely means"
            + " you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was"
            + " sent was not valid JSON.)";

    /** Parses and validates a request body. */
    static ChatRequest parse(Buffer body) throws InvalidRequestException {
        JsonObject json = object(body);
        String model = model(json);
        List<String> contents = new ArrayList<>();
        String lastUser = messages(json, contents);
        Integer maxTokens = positiveInt(json, "max_completion_tokens");
        Integer legacyMaxTokens = positiveInt(json, "max_tokens");
        checkOptionals(json);
        Object format = json.getValue("response_format");
        JsonObject structured = format instanceof JsonObject f && !"text".equals(f.getValue("type")) ? f : null;
        boolean includeUsage = json.getValue("stream_options") instanceof JsonObject o && Boolean.TRUE.equals(o.getValue("include_usage"));
        return new ChatRequest(model, List.copyOf(contents), lastUser, maxTokens != null ? maxTokens : legacyMaxTokens,
                toolCall(json, contents.get(contents.size() - 1)), structured, Boolean.TRUE.equals(json.getValue("stream")), includeUsage);
    }

    /** The function the answer calls (its name and parameters), or null; checks the tools and tool_choice as OpenAI does. */
    private static JsonObject toolCall(JsonObject json, String lastContent) throws InvalidRequestException {
        Object tools = json.getValue("tools");
        if (tools == null) return null;
        if (!(tools instanceof JsonArray list)) throw invalidType("tools", "an array", tools);
        List<JsonObject> functions = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Object t = list.getValue(i);
            JsonObject f = t instanceof JsonObject o && o.getValue("function") instanceof JsonObject fn ? fn : null;
            if (f == null || !(f.getValue("name") instanceof String n) || n.isBlank()) throw missing("tools[" + i + "].function.name");
            functions.add(f);
        }
        if (functions.isEmpty()) return null;
        Object choice = json.getValue("tool_choice");
        if (choice instanceof JsonObject c && c.getValue("function") instanceof JsonObject f && f.getValue("name") instanceof String n) {
            return functions.stream().filter(fn -> n.equals(fn.getString("name"))).findFirst()
                    .orElseThrow(() -> new InvalidRequestException("tool_choice", "Invalid 'tool_choice': no tool named '" + n + "'."));
        }
        if ("none".equals(choice)) return null;
        return "required".equals(choice) || lastContent.contains(TOOL_CALL_MARKER) ? functions.get(0) : null;
    }

    private static JsonObject object(Buffer body) throws InvalidRequestException {
        if (body == null || body.length() == 0) {
            throw new InvalidRequestException(null, NOT_JSON);
        }
        try {
            Object value = io.vertx.core.json.Json.decodeValue(body);
            if (value instanceof JsonObject) {
                return (JsonObject) value;
            }
        } catch (DecodeException e) {
            throw new InvalidRequestException(null, NOT_JSON);
        }
        throw new InvalidRequestException(null, NOT_JSON);
    }

    private static String model(JsonObject json) throws InvalidRequestException {
        Object model = json.getValue("model");
        if (model == null) {
            throw missing("model");
        }
        if (!(model instanceof String)) {
            throw invalidType("model", "a string", model);
        }
        if (((String) model).isBlank()) {
            throw new InvalidRequestException("model", "Invalid 'model': empty string. Expected a model id.");
        }
        return (String) model;
    }

    private static String messages(JsonObject json, List<String> contents) throws InvalidRequestException {
        Object value = json.getValue("messages");
        if (value == null) {
            throw missing("messages");
        }
        if (!(value instanceof JsonArray)) {
            throw invalidType("messages", "an array", value);
        }
        JsonArray messages = (JsonArray) value;
        if (messages.isEmpty()) {
            throw new InvalidRequestException("messages", "Invalid 'messages': empty array. Expected an array with"
                    + " minimum length 1, but got an empty array instead.");
        }
        String lastUser = null;
        for (int i = 0; i < messages.size(); i++) {
            String role = message(messages.getValue(i), "messages[" + i + "]", contents);
            if ("user".equals(role) || "tool".equals(role)) {
                lastUser = contents.get(i);
            }
        }
        return lastUser != null ? lastUser : contents.get(contents.size() - 1);
    }

    private static String message(Object value, String path, List<String> contents) throws InvalidRequestException {
        if (!(value instanceof JsonObject)) {
            throw invalidType(path, "an object", value);
        }
        JsonObject message = (JsonObject) value;
        Object role = message.getValue("role");
        if (role == null) {
            throw missing(path + ".role");
        }
        if (!(role instanceof String) || !ROLES.contains(role)) {
            throw new InvalidRequestException(path + ".role", "Invalid value for '" + path + ".role': "
                    + (role instanceof String ? "'" + role + "'" : describe(role))
                    + ". Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.");
        }
        Object content = message.getValue("content");
        if (content == null && "assistant".equals(role) && message.getValue("tool_calls") instanceof JsonArray) {
            content = ""; // an assistant's tool calls, replayed in the history
        }
        if ("tool".equals(role) && !(message.getValue("tool_call_id") instanceof String)) {
            throw missing(path + ".tool_call_id");
        }
        if (content == null) {
            throw missing(path + ".content");
        }
        if (content instanceof JsonArray parts) {
            content = text(parts, path + ".content");
        }
        if (!(content instanceof String)) {
            throw invalidType(path + ".content", "a string or an array of parts", content);
        }
        contents.add((String) content);
        return (String) role;
    }

    /** The text of content parts; an image counts as a fixed stand-in text (its tokens are the usage's business). */
    private static String text(JsonArray parts, String path) throws InvalidRequestException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            if (!(parts.getValue(i) instanceof JsonObject part) || !(part.getValue("type") instanceof String type)) {
                throw invalidType(path + "[" + i + "]", "an object with a string 'type'", parts.getValue(i));
            }
            switch (type) {
                case "text" -> sb.append(part.getString("text", ""));
                case "image_url" -> {
                    if (!(part.getValue("image_url") instanceof JsonObject image) || !(image.getValue("url") instanceof String)) {
                        throw missing(path + "[" + i + "].image_url.url");
                    }
                    sb.append(" [image] ");
                }
                default -> throw new InvalidRequestException(path + "[" + i + "].type", "Invalid value: '" + type
                        + "'. Supported values are: 'text' and 'image_url'.");
            }
        }
        return sb.toString();
    }

    private static Integer positiveInt(JsonObject json, String field) throws InvalidRequestException {
        Object value = json.getValue(field);
        if (value == null) {
            return null;
        }
        if (!(value instanceof Integer || value instanceof Long)) {
            throw invalidType(field, "an integer", value);
        }
        long n = ((Number) value).longValue();
        if (n < 1 || n > Integer.MAX_VALUE) {
            throw new InvalidRequestException(field, "Invalid '" + field + "': integer out of range. Expected a value"
                    + " in [1, " + Integer.MAX_VALUE + "], but got " + n + " instead.");
        }
        return (int) n;
    }

    private static void checkOptionals(JsonObject json) throws InvalidRequestException {
        Object temperature = json.getValue("temperature");
        if (temperature != null) {
            if (!(temperature instanceof Number)) {
                throw invalidType("temperature", "a number", temperature);
            }
            double t = ((Number) temperature).doubleValue();
            if (!(t >= 0.0 && t <= 2.0)) {
                throw new InvalidRequestException("temperature", "Invalid 'temperature': decimal out of range. Expected"
                        + " a value in [0, 2], but got " + temperature + " instead.");
            }
        }
        Object format = json.getValue("response_format");
        if (format != null && !(format instanceof JsonObject && ((JsonObject) format).getValue("type") instanceof String)) {
            throw invalidType("response_format", "an object with a string 'type'", format);
        }
        Object stream = json.getValue("stream");
        if (stream != null && !(stream instanceof Boolean)) {
            throw invalidType("stream", "a boolean", stream);
        }
        Object options = json.getValue("stream_options");
        if (options != null && !(options instanceof JsonObject)) throw invalidType("stream_options", "an object", options);
        if (options != null && !Boolean.TRUE.equals(stream)) {
            throw new InvalidRequestException("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
        }
    }

    private static InvalidRequestException missing(String param) {
        return new InvalidRequestException(param, "Missing required parameter: '" + param + "'.");
    }

    private static InvalidRequestException invalidType(String param, String expected, Object actual) {
        return new InvalidRequestException(param, "Invalid type for '" + param + "': expected " + expected
                + ", but got " + describe(actual) + " instead.");
    }

    private static String describe(Object value) {
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof Integer || value instanceof Long) {
            return "an integer";
        }
        if (value instanceof Number) {
            return "a decimal number";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        if (value instanceof JsonArray) {
            return "an array";
        }
        return value instanceof JsonObject ? "an object" : "null";
    }
}
