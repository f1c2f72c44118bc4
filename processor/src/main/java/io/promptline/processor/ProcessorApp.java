package io.promptline.processor;

import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.promptline.avro.Priority;
import io.promptline.metrics.MetricsEndpoint;
import io.promptline.processor.config.Deployments;
import io.promptline.processor.config.ProcessorConfig;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.cost.Billing;
import io.promptline.processor.dispatch.DispatchProcessor;
import io.promptline.processor.intake.TenantAuth;
import io.promptline.processor.metrics.ProcessorMetrics;
import io.promptline.processor.metrics.TenantLabels;
import io.promptline.processor.provider.AdaptiveLimit;
import io.promptline.processor.provider.BatchApiClient;
import io.promptline.processor.provider.CallGateway;
import io.promptline.processor.provider.ChatClient;
import io.promptline.processor.provider.DeploymentLimits;
import io.promptline.processor.provider.DispatchPermits;
import io.promptline.processor.provider.Endpoint;
import io.promptline.processor.provider.EndpointShape;
import io.promptline.processor.provider.ProviderApi;
import io.promptline.processor.provider.VertxChatClient;
import io.promptline.processor.retry.RetryPolicy;
import io.promptline.processor.retry.RetryRelay;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.requests.TenantProof;
import io.promptline.runtime.Health;
import io.promptline.runtime.Supervisor;
import io.promptline.runtime.Threads;
import io.promptline.serde.PromptlineSerdes;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One processor JVM: one Kafka Streams instance per priority tier (separate consumer groups, so
 * a stalled batch task never stalls urgent work), all sharing one Vert.x client and one set of
 * in-flight permits, and the retry relay. Its health is its parts': each tier's application and
 * the relay's thread; a part that cannot go on makes the process not live (and is reported to
 * {@code onDeath}, which the main turns into a non-zero exit).
 */
public final class ProcessorApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProcessorApp.class);
    /** Longest a task waits for room per turn of its stream thread: far below the 10 s exactly-once transaction timeout. */
    static final Duration MAX_BLOCK = Duration.ofSeconds(3);

    private final ProcessorConfig config;
    private final Vertx vertx;
    private final CallGateway gateway;
    private final Map<Priority, TierStreams> tiers = new EnumMap<>(Priority.class);
    private final PrometheusMeterRegistry meters = MetricsEndpoint.newRegistry("promptline-processor");
    private final List<KafkaStreamsMetrics> streamsMetrics = new ArrayList<>();
    private final Supervisor supervisor;
    private final RetryRelay relay;
    private Thread relayThread;
    /** The instances' view of each other for the deployments' shared limits; null without deployments. */
    private final KafkaCapacityRoster roster;
    private Thread rosterThread;
    private MetricsEndpoint endpoint;

    public ProcessorApp(ProcessorConfig config, Clock clock) {
        this(config, clock, why -> log.error("The processor cannot go on: {}", why));
    }

    /** @param onDeath told when a part of the processor cannot go on (the main exits non-zero) */
    public ProcessorApp(ProcessorConfig config, Clock clock, Consumer<String> onDeath) {
        this.config = config;
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        Billing billing = config.billing();
        Map<String, Object> kafka = new HashMap<>(config.kafkaOverrides());
        kafka.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        Optional<Deployments> deployments = config.deployments();
        this.roster = deployments.isEmpty() ? null
                : new KafkaCapacityRoster(config.topics().capacity(), InstanceId.of(config), kafka, clock);
        List<Endpoint> endpoints = new ArrayList<>();
        if (deployments.isPresent()) {
            for (Deployments.Deployment d : deployments.get().all()) endpoints.add(deployment(d, config, clock));
            log.info("Provider deployments: {}", deployments.get().all());
        } else {
            endpoints.add(endpoint(config.llmApi(), config.llmProvider(), config.llmBaseUrl(), config.llmApiKey(), config, clock));
        }
        int primaries = endpoints.size();
        for (ProcessorConfig.FallbackEndpoint f : config.fallbackEndpoints()) {
            endpoints.add(endpoint(f.api(), f.provider(), f.baseUrl(), f.apiKey(), config, clock));
        }
        this.gateway = new CallGateway(endpoints, primaries, new DispatchPermits(config.maxInFlight(), config.normalShare(),
                config.batchShare()), billing, clock, new ProcessorMetrics(meters,
                new TenantLabels(config.metricsTenants(), config.metricsTenantLimit())));
        TierSettings.BatchApi batchApi = config.batchApi();
        if (batchApi.mode() != TierSettings.BatchApi.Mode.OFF && config.tiers().contains(Priority.BATCH)) {
            gateway.withBatchApi(new BatchApiClient(vertx, config.llmProvider(), config.llmBaseUrl(),
                    config.llmApiKey() == null ? null : config.llmApiKey().value(), config.llmTimeout().toMillis()));
        }
        this.supervisor = new Supervisor(new Health(), onDeath);
        SchemaRegistryClient registry = config.registryClient();
        PromptlineSerdes serdes = PromptlineSerdes.create(registry, true);
        RetryPolicy retry = config.retryPolicy();
        TenantAuth tenantAuth = config.tenantAuth();
        if (tenantAuth != null) log.info("Tenant authorization on: every request must carry its tenant's proof ({})", TenantProof.HEADER);
        try (Admin admin = Admin.create(kafka)) {
            if (roster != null) KafkaCapacityRoster.ensureTopic(admin, config.topics().capacity());
            for (Priority tier : config.tiers()) {
                TierSettings settings = new TierSettings(tier, registry, config.router(), config.contextRouting(), billing,
                        config.maxPendingPerTask(), config.drainInterval(), MAX_BLOCK, config.dedupeRetention(), retry,
                        new TierSettings.RateLimits(config.defaultLimit(tier), config.rateBurstFraction(), config.rateMaxHold(),
                                config.completionTokensEstimate(), config.tenantLines()),
                        new TierSettings.Intake(config.maxRequestBytes(), TierStreams.tenantPartitions(admin, config, tier)))
                        .withBatchApi(batchApi).withTenantAuth(tenantAuth == null ? null : tenantAuth.forTopic(config.topics().requests(tier)))
                        .withSaturatedApply(config.saturatedApplyInterval());
                KafkaHandover.ensureTopic(admin, config.applicationId(tier), settings.intake().tenantPartitions(),
                        Math.max(1024 * 1024, config.maxRequestBytes() + PromptlineTopology.RECORD_OVERHEAD_BYTES));
                if (DispatchProcessor.runsBatchJobs(settings)) {
                    TierStreams.ensureBatchTopics(admin, config.topics(), settings.intake().tenantPartitions());
                }
                TierStreams ts = new TierStreams(config, tier, settings, serdes, gateway, clock, onDeath);
                tiers.put(tier, ts);
                supervisor.health().add(ts);
                KafkaStreamsMetrics kafkaMetrics = new KafkaStreamsMetrics(ts.streams(),
                        List.of(Tag.of("tier", tier.name().toLowerCase(Locale.ROOT))));
                kafkaMetrics.bindTo(meters);
                streamsMetrics.add(kafkaMetrics);
            }
        }
        this.relay = new RetryRelay(kafka, config.applicationId("retry-relay"), InstanceId.of(config), config.topics(), retry.rungs(),
                serdes.deadLetter().serializer(), clock);
    }

    /** One deployment: its own client, breaker, adaptive concurrency, and share of its limits across the instances. */
    private Endpoint deployment(Deployments.Deployment d, ProcessorConfig config, Clock clock) {
        int concurrency = d.maxConcurrency() > 0 ? d.maxConcurrency() : config.maxInFlight();
        ChatClient client = new VertxChatClient(vertx, d.api(), d.provider(), d.baseUrl(), d.apiKey(), config.llmTimeout().toMillis(),
                config.llmConnectTimeoutMs(), concurrency, clock);
        DeploymentLimits limits = new DeploymentLimits(d.rpm(), d.tpm(), d.urgentReserve(), () -> roster.share(d.name()));
        return new Endpoint(d.provider(), d.baseUrl(), client, config.breakerSettings(),
                new AdaptiveLimit(concurrency, Math.min(config.minConcurrency(), concurrency), 1_000), config.maxPause(), config.faultPause(),
                clock, new EndpointShape(d.name(), d.models(), limits, roster, d.urgentReserve()));
    }

    private Endpoint endpoint(ProviderApi api, String provider, String baseUrl, Password key, ProcessorConfig config, Clock clock) {
        ChatClient client = new VertxChatClient(vertx, api, provider, baseUrl, key == null ? null : key.value(),
                config.llmTimeout().toMillis(), config.llmConnectTimeoutMs(), config.maxInFlight(), clock);
        return new Endpoint(provider, baseUrl, client, config.breakerSettings(),
                new AdaptiveLimit(config.maxInFlight(), config.minConcurrency(), 1_000), config.maxPause(), config.faultPause(), clock);
    }

    public void start() {
        // Read the tokenizers' vocabularies before any task runs: counted lazily, the first call of each
        // instance (or of a task that moved to it) would stall its stream thread for a second or more
        io.promptline.tokens.TokenCount.load();
        if (config.metricsPort() >= 0) {
            endpoint = MetricsEndpoint.start(meters, config.metricsHost(), config.metricsPort(), supervisor.health());
        }
        relayThread = supervisor.start("retry relay", relay, relay::isPolling);
        if (roster != null) rosterThread = supervisor.start("capacity roster", roster, roster::isPolling);
        tiers.forEach((tier, ts) -> {
            ts.start();
            log.info("Tier {} started as {} on {}", tier, config.applicationId(tier), config.topics().requests(tier));
        });
    }

    /** True once every part is ready: every tier RUNNING and the relay polling. */
    public boolean isRunning() {
        return supervisor.health().ready();
    }

    public Health health() {
        return supervisor.health();
    }

    /** The port of /metrics and /health, or -1 when the endpoint is off or not started. */
    public int metricsPort() {
        return endpoint == null ? -1 : endpoint.port();
    }

    public CallGateway gateway() {
        return gateway;
    }

    public List<KafkaStreams> streams() {
        return tiers.values().stream().map(TierStreams::streams).toList();
    }

    @Override
    public void close() {
        supervisor.stopping();
        // Graceful: start no new calls, let the stream threads apply (and commit) every call already
        // made, then close. Only calls still open after the drain timeout are repeated by the next owner.
        try {
            if (!gateway.drain(config.llmTimeout().plusSeconds(5))) {
                log.warn("{} calls still open at shutdown; their tasks' next owner will call again", gateway.unapplied());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Whatever is still pending is re-dispatched by the new owner.
        tiers.values().forEach(TierStreams::close);
        relay.close();
        if (relayThread != null) Threads.join(relayThread, Duration.ofSeconds(15));
        if (roster != null) roster.close();
        if (rosterThread != null) Threads.join(rosterThread, Duration.ofSeconds(15));
        streamsMetrics.forEach(KafkaStreamsMetrics::close);
        if (endpoint != null) endpoint.close();
        gateway.close();
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
    }
}
