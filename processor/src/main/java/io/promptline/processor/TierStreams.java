package io.promptline.processor;

import io.promptline.avro.Priority;
import io.promptline.processor.config.ProcessorConfig;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.output.FailureHandlers;
import io.promptline.processor.provider.CallGateway;
import io.promptline.runtime.Dirs;
import io.promptline.runtime.Health;
import io.promptline.runtime.KafkaRefusal;
import io.promptline.serde.PromptlineSerdes;
import io.promptline.topics.TopicCreation;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One tier's Kafka Streams application: its settings (exactly-once, the failure handlers, client
 * sizes for the largest request admitted), the partitions of its by-tenant repartition topic, and
 * its part of the process's health (alive unless the application failed; ready when RUNNING).
 */
final class TierStreams implements Health.Part {
    private static final Logger log = LoggerFactory.getLogger(TierStreams.class);

    private final Priority tier;
    private final String applicationId;
    private final KafkaStreams streams;
    private final KafkaHandover handover;
    private final KafkaResultStream results;
    private volatile boolean stopping;
    /** Why Kafka refused this tier, once it did (reported when the application reaches ERROR). */
    private volatile String refusal;

    /** @param onDeath told when the tier cannot go on (Kafka refuses this principal, or the application failed) */
    TierStreams(ProcessorConfig config, Priority tier, TierSettings settings, PromptlineSerdes serdes, CallGateway gateway, Clock clock,
                Consumer<String> onDeath) {
        this.tier = tier;
        this.applicationId = config.applicationId(tier);
        Properties props = properties(config, tier);
        props.putAll(FailureHandlers.configs(config.topics().dlq(), tier, serdes.deadLetter().serializer(), gateway.metrics(), clock));
        int maxRecord = Math.max(1024 * 1024, config.maxRequestBytes() + PromptlineTopology.RECORD_OVERHEAD_BYTES);
        Map<String, Object> clients = new java.util.HashMap<>(config.kafkaOverrides());
        clients.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        this.results = new KafkaResultStream(config.topics().resultsStream(), serdes.delta().serializer(), clients, applicationId + "-stream", clock,
                () -> gateway.metrics().streamPieceLost(tier));
        this.handover = new KafkaHandover(applicationId, PromptlineTopology.repartitionTopic(applicationId), clients,
                config.llmTimeout().plusSeconds(2), maxRecord, results);
        // The global stores (quotas, spend) are small compacted tables, rebuilt from their topics at every start: under
        // exactly-once Kafka Streams cannot open one a crash left open, and its global thread dies instead of restoring it.
        Dirs.deleteRecursively(Path.of(config.stateDir(), applicationId, "global"));
        this.streams = new KafkaStreams(PromptlineTopology.build(config.topics(), serdes, gateway, settings, handover), props,
                handover.clientSupplier());
        // Whatever ends the application (a refusal below, a global thread that died) is reported once, when it is in ERROR.
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.ERROR && !stopping) {
                onDeath.accept(name() + ": " + (refusal != null ? refusal : "Kafka Streams failed (ERROR, from " + before + ")"));
            }
        });
        streams.setUncaughtExceptionHandler(e -> {
            // A missing ACL or refused credentials: a new thread would fail the same way, forever.
            Optional<String> refused = KafkaRefusal.describe(e, "prefixed " + config.applicationId(""));
            if (refused.isPresent()) {
                log.error("Tier {} cannot go on: {}", tier, refused.get());
                refusal = refused.get();
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            log.error("Stream thread of tier {} failed; replacing it (pending calls are re-dispatched): {}", tier, e.toString(), e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    }

    static Properties properties(ProcessorConfig config, Priority tier) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId(tier));
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
        p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir());
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, config.standbyReplicas());
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDb.class);
        p.put(BoundedRocksDb.CACHE_BYTES_CONFIG, config.rocksDbCacheBytes());
        p.put(BoundedRocksDb.WRITE_BUFFER_BYTES_CONFIG, config.rocksDbWriteBufferBytes());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.commitIntervalMs(tier));
        p.put(StreamsConfig.POLL_MS_CONFIG, 5);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 500);
        // A crashed instance's tasks move after the session timeout; 10 s (not 45) keeps recovery
        // well inside the 30 s target while tolerating GC pauses. Override with kafka.session.timeout.ms.
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 2_000);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        // Every record the tasks write holds at most one admitted request and what describes it.
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
                Math.max(1024 * 1024, config.maxRequestBytes() + PromptlineTopology.RECORD_OVERHEAD_BYTES));
        p.putAll(config.kafkaOverrides());
        return p;
    }

    /**
     * The partitions of a tier's by-tenant repartition topic: the configured number; else the
     * topic's own once it exists (Kafka Streams refuses another); else the tier topic's.
     */
    static int tenantPartitions(Admin admin, ProcessorConfig config, Priority tier) {
        String repartition = PromptlineTopology.repartitionTopic(config.applicationId(tier));
        Integer existing = partitions(admin, repartition);
        int configured = config.tenantPartitions();
        if (configured > 0) {
            if (existing != null && existing != configured) {
                throw new IllegalStateException(ProcessorConfig.TENANT_PARTITIONS_CONFIG + " is " + configured + " but " + repartition
                        + " has " + existing + " partitions; it cannot change without resetting the application (see OPERATIONS.md)");
            }
            return configured;
        }
        if (existing != null) return existing;
        String requests = config.topics().requests(tier);
        Integer tierPartitions = partitions(admin, requests);
        if (tierPartitions == null) {
            throw new IllegalStateException("topic " + requests + " does not exist; create the topics first (promptline topics create)");
        }
        return tierPartitions;
    }

    /**
     * Makes the topics of the batch tier's jobs: their states (compacted) and the commands, with at
     * least as many partitions as the tenants (a command goes to the partition of its job's task).
     */
    static void ensureBatchTopics(Admin admin, Topics topics, int tenantPartitions) {
        TopicCreation.createAndAwait(admin, List.of(
                new NewTopic(topics.batchJobs(), Optional.of(tenantPartitions), Optional.empty()).configs(Map.of("cleanup.policy", "compact")),
                new NewTopic(topics.batchCommands(), Optional.of(tenantPartitions), Optional.empty())), Duration.ofSeconds(60));
        Integer commands = partitions(admin, topics.batchCommands());
        if (commands != null && commands < tenantPartitions) {
            try {
                admin.createPartitions(Map.of(topics.batchCommands(), NewPartitions.increaseTo(tenantPartitions))).all().get(60, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("cannot grow " + topics.batchCommands() + " to " + tenantPartitions + " partitions: "
                        + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted growing " + topics.batchCommands(), e);
            }
        }
    }

    private static Integer partitions(Admin admin, String topic) {
        try {
            Map<String, TopicDescription> d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS);
            return d.get(topic).partitions().size();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) return null;
            throw new IllegalStateException("cannot describe topic " + topic + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the cluster did not describe topic " + topic + " within 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted describing topic " + topic, e);
        }
    }

    void start() {
        results.connect();
        streams.start();
    }

    KafkaStreams streams() {
        return streams;
    }

    /**
     * Closes the application, leaving its group so that its partitions move at once, not after
     * session.timeout.ms; its tasks hand over what they could not apply (the caller drained first).
     */
    void close() {
        stopping = true;
        handover.letGoAll();
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
        handover.close();
    }

    @Override
    public String name() {
        return "tier " + tier.name().toLowerCase(Locale.ROOT) + " (" + applicationId + ")";
    }

    @Override
    public boolean alive() {
        KafkaStreams.State s = streams.state();
        return s != KafkaStreams.State.ERROR && (stopping || s != KafkaStreams.State.NOT_RUNNING && s != KafkaStreams.State.PENDING_ERROR);
    }

    @Override
    public boolean ready() {
        return streams.state() == KafkaStreams.State.RUNNING;
    }
}
