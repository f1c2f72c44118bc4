package io.promptline.processor;

import io.promptline.processor.config.TierSettings;
import io.promptline.processor.dispatch.DispatchProcessor;
import io.promptline.processor.dispatch.TaskStores;
import io.promptline.processor.dispatch.Handover;
import io.promptline.processor.intake.RequestDecoder;
import io.promptline.processor.intake.TenantRouter;
import io.promptline.processor.output.TaskOutputs;
import io.promptline.processor.provider.CallGateway;
import io.promptline.processor.retry.Ladder;
import io.promptline.serde.PromptlineSerdes;
import io.promptline.topics.Topics;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The processor topology of one priority tier, built by one pure method so that tests drive
 * exactly what production runs:
 *
 * <pre>
 *   llm.requests.&lt;tier&gt; (bytes) ─▶ route ─▶ [&lt;app&gt;-by-tenant-repartition, key tenant] ─▶ dispatch
 *                                      └─▶ llm.dlq (undecodable, too large)
 *   dispatch [pending-calls, parked-requests, completed-requests, rate-limits, skip-counts; global quotas, spend]
 *                                   ─▶ llm.results | llm.costs | llm.dlq | llm.retry.&lt;delay&gt;
 *   batch tier with the Batch API on: llm.batch.commands ─▶ dispatch [+ batch-jobs, batch-members] ─▶ llm.batch.jobs
 * </pre>
 *
 * The route sends each request to the task of its tenant ({@link TenantRouter}) through Kafka
 * Streams' own repartition topic, whose partitions are fixed ({@code tenantPartitions}): every
 * per-tenant state holds whatever the publisher's partitioner, and partitions may be added to the
 * tier topic (only the stateless route reads it). Values are read as bytes so that an undecodable
 * record reaches the DLQ with its raw bytes instead of stopping the task.
 */
final class PromptlineTopology {
    static final String SOURCE = "intake";
    static final String ROUTE = "route";
    /** The repartition topic is {@code <application.id>-by-tenant-repartition}. */
    static final String BY_TENANT = "by-tenant";
    static final String TENANT_INTAKE = "tenant-intake";
    static final String DISPATCH = "dispatch";
    static final String BATCH_COMMANDS = "batch-commands";
    /** Headroom over the request limit for what a stored or published record adds to a request (entry fields, headers). */
    static final int RECORD_OVERHEAD_BYTES = 128 * 1024;

    private PromptlineTopology() {
    }

    static Topology build(Topics topics, PromptlineSerdes serdes, CallGateway gateway, TierSettings tier) {
        return build(topics, serdes, gateway, tier, null);
    }

    /** @param handover the tier's hand-over channel, or null (nothing handed over: a task let go counts its open calls as lost) */
    static Topology build(Topics topics, PromptlineSerdes serdes, CallGateway gateway, TierSettings tier, Handover.Channel handover) {
        StreamsBuilder b = new StreamsBuilder();
        RequestDecoder decoder = new RequestDecoder(tier.registry(), tier.intake().maxRequestBytes());
        KStream<byte[], byte[]> in = b.stream(topics.requests(tier.tier()),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(SOURCE));
        Map<String, KStream<byte[], TenantRouter.Routed>> routed = in
                .process(() -> new TenantRouter(decoder, tier.tier(), tier.rateLimits().lines(), gateway.metrics(), gateway.clock()), Named.as(ROUTE))
                .split(Named.as(ROUTE + "-"))
                .branch((k, v) -> v instanceof TenantRouter.Rejected, Branched.as("rejected"))
                .defaultBranch(Branched.as("to-tenant"));
        routed.get(ROUTE + "-rejected").mapValues(v -> ((TenantRouter.Rejected) v).letter(), Named.as("rejected-letter"))
                .to(topics.dlq(), Produced.with(Serdes.ByteArray(), serdes.deadLetter()).withName("route-dlq"));
        routed.get(ROUTE + "-to-tenant").mapValues(v -> ((TenantRouter.ToTenant) v).value(), Named.as("request-bytes"))
                .repartition(Repartitioned.<byte[], byte[]>as(BY_TENANT).withKeySerde(Serdes.ByteArray()).withValueSerde(Serdes.ByteArray())
                        .withNumberOfPartitions(tier.intake().tenantPartitions())
                        // a tenant's key where Kafka's default partitioner puts it; a hot tenant's lines on consecutive partitions
                        .withStreamPartitioner((topic, key, value, partitions) -> Optional.of(Set.of(tier.rateLimits().lines()
                                .partition(new String(key, StandardCharsets.UTF_8), partitions)))))
                .mapValues(v -> v, Named.as(TENANT_INTAKE));

        Topology t = b.build();
        boolean batchJobs = DispatchProcessor.runsBatchJobs(tier);
        if (batchJobs) {
            // Operators' commands for batch jobs reach the task of the job: the commands topic is partitioned like the tenants.
            t.addSource(BATCH_COMMANDS, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.batchCommands());
            t.addProcessor(DISPATCH, () -> new DispatchProcessor(gateway, tier, topics.batchCommands(), handover), TENANT_INTAKE,
                    BATCH_COMMANDS);
        } else {
            t.addProcessor(DISPATCH, () -> new DispatchProcessor(gateway, tier, null, handover), TENANT_INTAKE);
        }
        // The rate-limit store is cached: a limited tenant's bucket is rewritten on every admission, start
        // and correction, and only its last state per commit needs to reach the changelog (inside the same
        // exactly-once transaction). The pending and completed stores are not: an entry is written once
        // and deleted once, and the benchmark measured caching them at 25% more CPU per request.
        // The pending store's changelog takes an entry of the largest request admitted.
        Map<String, String> pendingLog = Map.of("max.message.bytes", Integer.toString(tier.intake().maxRequestBytes() + RECORD_OVERHEAD_BYTES));
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TaskStores.PENDING_STORE), Serdes.String(),
                Serdes.ByteArray()).withLoggingEnabled(pendingLog), DISPATCH);
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TaskStores.PARKED_STORE), Serdes.String(),
                Serdes.ByteArray()), DISPATCH);
        t.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore(TaskStores.COMPLETED_STORE,
                tier.dedupeRetention(), tier.dedupeRetention(), false), Serdes.String(), Serdes.Long()), DISPATCH);
        t.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(TaskStores.RATE_STORE), Serdes.String(), Serdes.ByteArray()).withCachingEnabled(), DISPATCH);
        t.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(TaskStores.SKIPS_STORE), Serdes.String(), Serdes.Long()).withCachingEnabled(), DISPATCH);
        t.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(TaskStores.LIFETIMES_STORE), Serdes.Long(), Serdes.Long()).withCachingEnabled(), DISPATCH);
        if (batchJobs) {
            t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TaskStores.BATCH_JOBS_STORE), Serdes.String(),
                    Serdes.ByteArray()), DISPATCH);
            t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TaskStores.BATCH_MEMBERS_STORE), Serdes.String(),
                    Serdes.ByteArray()).withLoggingEnabled(pendingLog), DISPATCH);
            t.addSink(TaskOutputs.BATCH_JOBS_SINK, topics.batchJobs(), new StringSerializer(), serdes.batchJob().serializer(), DISPATCH);
        }
        addGlobalBytes(t, TaskStores.QUOTAS_STORE, topics.quotas());
        addGlobalBytes(t, TaskStores.SPEND_STORE, topics.spend());
        t.addSink(TaskOutputs.RESULTS_SINK, topics.results(), new StringSerializer(), serdes.result().serializer(), DISPATCH);
        t.addSink(TaskOutputs.COSTS_SINK, topics.costs(), new StringSerializer(), serdes.cost().serializer(), DISPATCH);
        t.addSink(TaskOutputs.DLQ_SINK, topics.dlq(), new StringSerializer(), serdes.deadLetter().serializer(), DISPATCH);
        for (Duration rung : tier.retry().rungs()) {
            t.addSink(Ladder.sinkName(rung), topics.retry(rung), new StringSerializer(), new ByteArraySerializer(), DISPATCH);
        }
        return t;
    }

    /** The name of a tier's repartition topic, for a Streams application id. */
    static String repartitionTopic(String applicationId) {
        return applicationId + "-" + BY_TENANT + "-repartition";
    }

    /**
     * A global store holding a compacted topic's latest raw value per key (deletes on tombstones);
     * readers decode what they look up. Not logged: the topic is its own changelog.
     */
    private static void addGlobalBytes(Topology t, String store, String topic) {
        t.addGlobalStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store), Serdes.String(), Serdes.ByteArray())
                        .withLoggingDisabled(), store + "-source", new StringDeserializer(), new ByteArrayDeserializer(), topic,
                store + "-update", () -> new Processor<String, byte[], Void, Void>() {
                    private KeyValueStore<String, byte[]> kv;

                    @Override
                    public void init(ProcessorContext<Void, Void> context) {
                        kv = context.getStateStore(store);
                    }

                    @Override
                    public void process(Record<String, byte[]> record) {
                        if (record.key() == null) return;
                        if (record.value() == null) kv.delete(record.key());
                        else kv.put(record.key(), record.value());
                    }
                });
    }
}
