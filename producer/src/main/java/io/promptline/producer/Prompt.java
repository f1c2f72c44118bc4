package io.promptline.producer;

import io.promptline.requests.Messages;
import io.promptline.avro.ChatMessage;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.avro.ToolCall;
import io.promptline.avro.ToolDefinition;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A prompt to submit, built with typed options:
 *
 * <pre>{@code
 * Prompt p = Prompt.builder("acme").priority(Priority.URGENT).model("gpt-4.1")
 *         .system("You are terse.").user("Summarise: ...").maxTokens(200).build();
 * }</pre>
 *
 * The request_id defaults to a random UUID; set it to make re-publishing idempotent.
 */
public final class Prompt {
    private final Builder b;

    private Prompt(Builder b) {
        this.b = b;
    }

    public static Builder builder(String tenant) {
        return new Builder(tenant);
    }

    public String requestId() {
        return b.requestId;
    }

    public Priority priority() {
        return b.priority;
    }

    /** The wire record, with created_at from the clock. */
    public PromptRequest toRequest(Clock clock) {
        Instant now = clock.instant();
        return PromptRequest.newBuilder()
                .setRequestId(b.requestId)
                .setTenant(b.tenant)
                .setPriority(b.priority)
                .setModel(b.model)
                .setTaskType(b.taskType)
                .setMessages(List.copyOf(b.messages))
                .setTemperature(b.temperature)
                .setMaxTokens(b.maxTokens)
                .setResponseFormat(b.responseFormat)
                .setMetadata(Map.copyOf(b.metadata))
                .setCreatedAt(now)
                .setDeadline(b.timeToLive == null ? null : now.plus(b.timeToLive))
                .setTools(List.copyOf(b.tools))
                .setToolChoice(b.toolChoice)
                .setStop(List.copyOf(b.stop))
                .setSeed(b.seed)
                .setTopP(b.topP)
                .setUser(b.user)
                .setStream(b.stream)
                .build();
    }

    public static final class Builder {
        private final String tenant;
        private String requestId = UUID.randomUUID().toString();
        private Priority priority = Priority.NORMAL;
        private String model;
        private String taskType;
        private final List<ChatMessage> messages = new ArrayList<>();
        private Double temperature;
        private Integer maxTokens;
        private String responseFormat;
        private final Map<String, String> metadata = new HashMap<>();
        private Duration timeToLive;
        private final List<ToolDefinition> tools = new ArrayList<>();
        private String toolChoice;
        private final List<String> stop = new ArrayList<>();
        private Long seed;
        private boolean stream;
        private Double topP;
        private String user;

        private Builder(String tenant) {
            if (tenant == null || tenant.isBlank()) throw new IllegalArgumentException("tenant must be non-empty");
            this.tenant = tenant;
        }

        /** Idempotency key; default a random UUID. */
        public Builder requestId(String id) {
            this.requestId = Objects.requireNonNull(id, "requestId");
            return this;
        }

        /** Tier; default NORMAL. */
        public Builder priority(Priority p) {
            this.priority = Objects.requireNonNull(p, "priority");
            return this;
        }

        /** Explicit model; wins over task type. */
        public Builder model(String model) {
            this.model = model;
            return this;
        }

        /** Routing hint (code, quick, complex, analysis) used when no model is set. */
        public Builder taskType(String taskType) {
            this.taskType = taskType;
            return this;
        }

        public Builder message(String role, String content) {
            messages.add(Messages.text(role, content));
            return this;
        }

        public Builder system(String content) {
            return message("system", content);
        }

        public Builder user(String content) {
            return message("user", content);
        }

        /** A user message of text and an image (an https:// URL or {@code data:image/png;base64,...}). */
        public Builder userWithImage(String text, String imageUrl) {
            messages.add(Messages.parts(List.of(Messages.textPart(text), Messages.imagePart(imageUrl))));
            return this;
        }

        /** Any message, e.g. {@link Messages#toolCalls} and {@link Messages#toolResult} to continue a tool-call round trip. */
        public Builder message(ChatMessage m) {
            messages.add(Objects.requireNonNull(m, "message"));
            return this;
        }

        /**
         * The history of a tool-call round trip: the assistant's tool calls (as a result carried them)
         * and their results, in order; follow with {@link #user} or send as is for the model's answer.
         */
        public Builder toolResults(PromptResult asked, Map<String, String> resultByCallId) {
            messages.add(Messages.toolCalls(asked.getContent(), asked.getToolCalls()));
            for (ToolCall call : asked.getToolCalls()) {
                String result = resultByCallId.get(call.getId());
                if (result == null) throw new IllegalArgumentException("no result for tool call " + call.getId() + " (" + call.getName() + ")");
                messages.add(Messages.toolResult(call.getId(), result));
            }
            return this;
        }

        /**
         * A function the model may call.
         *
         * @param parametersJsonSchema the arguments' JSON Schema as JSON text, e.g. {@code {"type":"object","properties":{...}}}
         */
        public Builder tool(String name, String description, String parametersJsonSchema) {
            tools.add(ToolDefinition.newBuilder().setName(name).setDescription(description).setParameters(parametersJsonSchema).build());
            return this;
        }

        /** auto, none, required, or the name of one tool the model must call. */
        public Builder toolChoice(String choice) {
            this.toolChoice = choice;
            return this;
        }

        /** A sequence that ends the completion (repeatable). */
        public Builder stop(String sequence) {
            stop.add(sequence);
            return this;
        }

        /**
         * Asks for the answer's text on {@code llm.results.stream} as it arrives (ResultDelta records
         * keyed by the request_id); the result follows on {@code llm.results} as for any request.
         */
        public Builder stream(boolean stream) {
            this.stream = stream;
            return this;
        }

        /** Best-effort determinism where the provider supports it (OpenAI, Azure; Anthropic has no seed). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder topP(double p) {
            this.topP = p;
            return this;
        }

        /** The end user's id, passed to the provider for abuse monitoring. */
        public Builder endUser(String id) {
            this.user = id;
            return this;
        }

        /**
         * Structured output: the answer must match {@code schemaJson} (OpenAI, Azure; on Anthropic's
         * API through a forced tool, which a request with tools of its own cannot combine).
         */
        public Builder jsonSchema(String name, String schemaJson) {
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            com.fasterxml.jackson.databind.JsonNode schema;
            try {
                schema = json.readTree(schemaJson);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException("the JSON schema of '" + name + "' is not JSON: " + e.getOriginalMessage());
            }
            if (schema == null || !schema.isObject()) throw new IllegalArgumentException("the JSON schema of '" + name + "' is not a JSON object");
            var format = json.createObjectNode().put("type", "json_schema");
            format.putObject("json_schema").put("name", name).put("strict", true).set("schema", schema);
            this.responseFormat = format.toString();
            return this;
        }

        public Builder temperature(double t) {
            this.temperature = t;
            return this;
        }

        public Builder maxTokens(int n) {
            this.maxTokens = n;
            return this;
        }

        /** OpenAI response_format as JSON text, e.g. {@code {"type":"json_object"}}. */
        public Builder responseFormat(String json) {
            this.responseFormat = json;
            return this;
        }

        public Builder metadata(String key, String value) {
            metadata.put(key, value);
            return this;
        }

        /** Deadline relative to publication: past it the request is dead-lettered without a call. */
        public Builder timeToLive(Duration ttl) {
            this.timeToLive = ttl;
            return this;
        }

        public Prompt build() {
            if (messages.isEmpty()) throw new IllegalArgumentException("a prompt needs at least one message");
            return new Prompt(this);
        }
    }
}
