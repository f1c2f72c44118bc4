package io.promptline.processor;

import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.promptline.avro.Priority;
import io.promptline.processor.config.ProcessorConfig;
import io.promptline.processor.cost.PriceTable;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.metrics.ProcessorMetrics;
import io.promptline.processor.provider.AdaptiveLimit;
import io.promptline.processor.provider.CallGateway;
import io.promptline.processor.provider.ChatClient;
import io.promptline.processor.provider.DispatchPermits;
import io.promptline.processor.provider.Endpoint;
import io.promptline.processor.provider.VertxChatClient;
import io.promptline.processor.retry.RetryPolicy;
import io.promptline.processor.retry.RetryRelay;
import org.apache.kafka.clients.CommonClientConfigs;
import io.promptline.metrics.MetricsEndpoint;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.serde.PromptlineSerdes;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.common.config.types.Password;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * One processor JVM: one Kafka Streams instance per priority tier (separate consumer groups, so
 * a stalled batch task never stalls urgent work), all sharing one Vert.x client and one set of
 * in-flight permits.
 */
public final class ProcessorApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProcessorApp.class);
    /** Longest a task waits for room per turn of its stream thread: far below the 10 s exactly-once transaction timeout. */
    static final Duration MAX_BLOCK = Duration.ofSeconds(3);

    private final ProcessorConfig config;
    private final Vertx vertx;
    private final CallGateway gateway;
    private final Map<Priority, KafkaStreams> streams = new EnumMap<>(Priority.class);
    private final PrometheusMeterRegistry meters = MetricsEndpoint.newRegistry("promptline-processor");
    private final List<KafkaStreamsMetrics> streamsMetrics = new ArrayList<>();
    private final RetryRelay relay;
    private final Thread relayThread;
    private MetricsEndpoint endpoint;

    public ProcessorApp(ProcessorConfig config, Clock clock) {
        this.config = config;
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        PriceTable prices = config.priceTablePath().isBlank() ? PriceTable.builtIn() : PriceTable.load(Path.of(config.priceTablePath()));
        this.gateway = new CallGateway(endpoints(config, clock), new DispatchPermits(config.maxInFlight(), config.normalShare(),
                config.batchShare()), prices, clock, new ProcessorMetrics(meters));
        SchemaRegistryClient registry = new RestSchemaRegistryClient(config.schemaRegistryUrl());
        PromptlineSerdes serdes = PromptlineSerdes.create(registry, true);
        RetryPolicy retry = config.retryPolicy();
        for (Priority tier : config.tiers()) {
            TierSettings settings = new TierSettings(tier, registry, config.router(), config.contextRouting(), prices,
                    config.maxPendingPerTask(), config.drainInterval(), MAX_BLOCK, config.dedupeRetention(), retry,
                    new TierSettings.RateLimits(config.defaultLimit(tier), config.rateBurstFraction(), config.rateMaxHold(),
                            config.completionTokensEstimate()));
            KafkaStreams ks = new KafkaStreams(PromptlineTopology.build(config.topics(), serdes, gateway, settings),
                    streamsProperties(config, tier));
            ks.setUncaughtExceptionHandler(e -> {
                log.error("Stream thread of tier {} failed; replacing it (pending calls are re-dispatched): {}", tier, e.toString(), e);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
            });
            streams.put(tier, ks);
            KafkaStreamsMetrics kafkaMetrics = new KafkaStreamsMetrics(ks, List.of(Tag.of("tier", tier.name().toLowerCase(Locale.ROOT))));
            kafkaMetrics.bindTo(meters);
            streamsMetrics.add(kafkaMetrics);
        }
        Map<String, Object> kafka = new HashMap<>(config.kafkaOverrides());
        kafka.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        this.relay = new RetryRelay(kafka, config.applicationId("retry-relay"), config.topics(), retry.rungs(),
                serdes.deadLetter().serializer(), clock);
        this.relayThread = new Thread(relay, "promptline-retry-relay");
    }

    /** The primary endpoint, then the fallbacks, each with its own client, breaker and adaptive limit. */
    private List<Endpoint> endpoints(ProcessorConfig config, Clock clock) {
        List<Endpoint> out = new ArrayList<>();
        out.add(endpoint(config.llmProvider(), config.llmBaseUrl(), config.llmApiKey(), config, clock));
        for (ProcessorConfig.FallbackEndpoint f : config.fallbackEndpoints()) {
            out.add(endpoint(f.provider(), f.baseUrl(), f.apiKey(), config, clock));
        }
        return out;
    }

    private Endpoint endpoint(String provider, String baseUrl, Password key, ProcessorConfig config, Clock clock) {
        ChatClient client = new VertxChatClient(vertx, provider, baseUrl, key == null ? null : key.value(),
                config.llmTimeout().toMillis(), config.llmConnectTimeoutMs(), config.maxInFlight(), clock);
        return new Endpoint(provider, baseUrl, client, config.breakerSettings(),
                new AdaptiveLimit(config.maxInFlight(), config.minConcurrency(), 1_000), config.maxPause(), clock);
    }

    static Properties streamsProperties(ProcessorConfig config, Priority tier) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId(tier));
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
        p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.commitIntervalMs(tier));
        p.put(StreamsConfig.POLL_MS_CONFIG, 5);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 500);
        // A crashed instance's tasks move after the session timeout; 10 s (not 45) keeps recovery
        // well inside the 30 s target while tolerating GC pauses. Override with kafka.session.timeout.ms.
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 2_000);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        p.putAll(config.kafkaOverrides());
        return p;
    }

    public void start() {
        if (config.metricsPort() >= 0) {
            endpoint = MetricsEndpoint.start(meters, config.metricsHost(), config.metricsPort(), this::isRunning);
        }
        relayThread.start();
        streams.forEach((tier, ks) -> {
            ks.start();
            log.info("Tier {} started as {} on {}", tier, config.applicationId(tier), config.topics().requests(tier));
        });
    }

    /** True once every tier is RUNNING. */
    public boolean isRunning() {
        return streams.values().stream().allMatch(ks -> ks.state() == KafkaStreams.State.RUNNING);
    }

    /** The port of /metrics and /health, or -1 when the endpoint is off or not started. */
    public int metricsPort() {
        return endpoint == null ? -1 : endpoint.port();
    }

    public CallGateway gateway() {
        return gateway;
    }

    public List<KafkaStreams> streams() {
        return new ArrayList<>(streams.values());
    }

    @Override
    public void close() {
        // Graceful: start no new calls, let the stream threads apply (and commit) every call already
        // made, then close. Only calls still open after the drain timeout are repeated by the next owner.
        try {
            if (!gateway.drain(config.llmTimeout().plusSeconds(5))) {
                log.warn("{} calls still open at shutdown; their tasks' next owner will call again", gateway.unapplied());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Leave the group on a graceful stop so that the partitions move at once, not after
        // session.timeout.ms; whatever was pending is re-dispatched by the new owner.
        CloseOptions leave = CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30));
        streams.values().forEach(ks -> ks.close(leave));
        relay.close();
        try {
            relayThread.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        streamsMetrics.forEach(KafkaStreamsMetrics::close);
        if (endpoint != null) endpoint.close();
        gateway.close();
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS)
                .exceptionally(e -> null).join();
    }
}
