package io.promptline.producer;

import io.promptline.avro.PromptRequest;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.requests.RequestHeaders;
import io.promptline.serde.AvroSerializer;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Publishes prompts to Promptline's tier topics, keyed by tenant, with an idempotent producer
 * (acks=all, enable.idempotence=true), so a retried send never duplicates a record.
 *
 * <pre>{@code
 * try (PromptlineProducer producer = PromptlineProducer.builder()
 *         .bootstrapServers("localhost:9092").schemaRegistryUrl("http://localhost:8081").build()) {
 *     String requestId = producer.submit(Prompt.builder("acme").user("Hello").build()).join();
 * }
 * }</pre>
 */
public final class PromptlineProducer implements AutoCloseable {
    private final KafkaProducer<String, PromptRequest> producer;
    private final Topics topics;
    private final Clock clock;
    private final String bootstrapServers;
    private final Map<String, Object> kafka;
    private final SchemaRegistryClient registry;
    private final Duration maxBlock;
    private volatile ResultListener listener;

    private PromptlineProducer(Builder b) {
        Map<String, Object> cfg = new HashMap<>(b.kafka);
        cfg.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers);
        cfg.put(ProducerConfig.ACKS_CONFIG, "all");
        cfg.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        cfg.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        cfg.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        cfg.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) b.maxBlock.toMillis());
        SchemaRegistryClient registry = b.registry != null ? b.registry
                : new RestSchemaRegistryClient(b.schemaRegistryUrl, b.registryUserInfo, Duration.ofSeconds(10));
        Serializer<PromptRequest> values = new AvroSerializer<>(registry, b.autoRegister);
        if (!b.tenantSecrets.isEmpty()) values = new TenantSigning(values, b.tenantSecrets);
        this.producer = new KafkaProducer<>(cfg, new StringSerializer(), values);
        this.topics = b.topics;
        this.clock = b.clock;
        this.bootstrapServers = b.bootstrapServers;
        this.kafka = Map.copyOf(b.kafka);
        this.registry = registry;
        this.maxBlock = b.maxBlock;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Publishes the prompt to its tier topic; completes with its request_id once the broker has it. */
    public CompletableFuture<String> submit(Prompt prompt) {
        return send(prompt.toRequest(clock));
    }

    /** Publishes a ready-made request. */
    public CompletableFuture<String> send(PromptRequest request) {
        return send(new ProducerRecord<>(topics.requests(request.getPriority()), request.getTenant(), request));
    }

    /**
     * Sends a dead-lettered request back to its tier to be called again. The record says so (header
     * {@value RequestHeaders#REDRIVE}): a request_id that was dead-lettered is otherwise a duplicate.
     *
     * @param from which dead letter it comes from (for people reading the record), e.g. its DLQ partition:offset
     */
    public CompletableFuture<String> redrive(PromptRequest request, String from) {
        ProducerRecord<String, PromptRequest> record = new ProducerRecord<>(topics.requests(request.getPriority()), request.getTenant(), request);
        record.headers().add(RequestHeaders.REDRIVE, from.getBytes(StandardCharsets.UTF_8));
        return send(record);
    }

    private CompletableFuture<String> send(ProducerRecord<String, PromptRequest> record) {
        PromptRequest request = record.value();
        CompletableFuture<String> done = new CompletableFuture<>();
        try {
            producer.send(record, (meta, error) -> {
                if (error != null) done.completeExceptionally(new PublishException(record.topic(), request.getRequestId(), error));
                else done.complete(request.getRequestId());
            });
        } catch (RuntimeException e) {
            done.completeExceptionally(new PublishException(record.topic(), request.getRequestId(), e));
        }
        return done;
    }

    /**
     * Publishes the prompt and completes with its outcome — the result, or the dead letter — read
     * from llm.results / llm.dlq; fails with a {@link java.util.concurrent.TimeoutException} naming
     * the request after {@code timeout}. Every await of this producer shares one consumer, started
     * on the first call.
     */
    public CompletableFuture<Outcome> submitAndAwait(Prompt prompt, Duration timeout) {
        ResultListener l;
        try {
            l = listener();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Outcome> outcome = l.register(prompt.requestId());
        submit(prompt).whenComplete((id, e) -> {
            if (e != null) outcome.completeExceptionally(e);
        });
        return outcome.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).exceptionallyCompose(e -> {
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof java.util.concurrent.TimeoutException) {
                return CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException("no result or dead letter for request "
                        + prompt.requestId() + " within " + timeout.toMillis() + " ms (is a processor running on "
                        + topics.requests(prompt.priority()) + "?)"));
            }
            return CompletableFuture.failedFuture(cause);
        });
    }

    /** Awaits not yet completed (0 when no await was made). */
    int awaiting() {
        ResultListener l = listener;
        return l == null ? 0 : l.waiting();
    }

    private ResultListener listener() {
        ResultListener l = listener;
        if (l != null) return l;
        synchronized (this) {
            if (listener == null) {
                ResultListener created = new ResultListener(bootstrapServers, kafka, registry, topics);
                try {
                    created.awaitReady(maxBlock);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    created.close();
                    throw new IllegalStateException("interrupted while starting the result listener", e);
                } catch (java.util.concurrent.TimeoutException e) {
                    created.close();
                    throw new IllegalStateException(e.getMessage(), e);
                }
                listener = created;
            }
            return listener;
        }
    }

    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
        ResultListener l = listener;
        if (l != null) l.close();
    }

    /** Publishing failed; the message names the topic, the request and the cause (broker or registry). */
    public static final class PublishException extends RuntimeException {
        PublishException(String topic, String requestId, Throwable cause) {
            super("Cannot publish request " + requestId + " to " + topic + ": " + cause.getMessage(), cause);
        }
    }

    public static final class Builder {
        private String bootstrapServers;
        private String schemaRegistryUrl;
        private SchemaRegistryClient registry;
        private String registryUserInfo;
        private boolean autoRegister = true;
        private Topics topics = Topics.defaults();
        private Clock clock = Clock.systemUTC();
        private Duration maxBlock = Duration.ofSeconds(30);
        private final Map<String, Object> kafka = new HashMap<>();
        private final Map<String, byte[]> tenantSecrets = new HashMap<>();

        public Builder bootstrapServers(String s) {
            this.bootstrapServers = s;
            return this;
        }

        public Builder schemaRegistryUrl(String url) {
            this.schemaRegistryUrl = url;
            return this;
        }

        /** {@code user:password} for the registry's HTTP basic auth (never logged); null for none. */
        public Builder schemaRegistryBasicAuth(String userInfo) {
            this.registryUserInfo = userInfo;
            return this;
        }

        /** Share a registry client (and its cache) instead of creating one from the URL. */
        public Builder registry(SchemaRegistryClient registry) {
            this.registry = registry;
            return this;
        }

        /** Register the request schema on first use (default true). */
        public Builder autoRegisterSchemas(boolean on) {
            this.autoRegister = on;
            return this;
        }

        public Builder topics(Topics topics) {
            this.topics = Objects.requireNonNull(topics, "topics");
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How long send() may wait for broker metadata before failing (default 30 s). */
        public Builder maxBlock(Duration d) {
            this.maxBlock = Objects.requireNonNull(d, "maxBlock");
            return this;
        }

        /**
         * Signs this tenant's requests with its secret (at least 16 bytes, shared with the processor's
         * {@code promptline.tenant.auth.secrets.file}), so a processor in tenant-auth mode knows they
         * come from the tenant; never logged.
         */
        public Builder tenantSecret(String tenant, byte[] secret) {
            Objects.requireNonNull(tenant, "tenant");
            if (secret == null || secret.length < 16) throw new IllegalArgumentException("a tenant secret must have at least 16 bytes");
            tenantSecrets.put(tenant, secret.clone());
            return this;
        }

        /** Any other Kafka producer setting. */
        public Builder kafka(String key, Object value) {
            kafka.put(key, value);
            return this;
        }

        public PromptlineProducer build() {
            if (bootstrapServers == null || bootstrapServers.isBlank()) {
                throw new IllegalArgumentException("bootstrapServers is required");
            }
            if (registry == null && (schemaRegistryUrl == null || schemaRegistryUrl.isBlank())) {
                throw new IllegalArgumentException("schemaRegistryUrl (or registry) is required");
            }
            return new PromptlineProducer(this);
        }
    }
}
