package io.promptline.producer;

import io.promptline.requests.Messages;
import io.promptline.avro.ChatMessage;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;

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
