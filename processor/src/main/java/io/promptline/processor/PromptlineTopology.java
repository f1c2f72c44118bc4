package io.promptline.processor;

import io.promptline.processor.config.TierSettings;
import io.promptline.processor.dispatch.DispatchProcessor;
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
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.time.Duration;

/**
 * The processor topology of one priority tier, built by one pure method so that tests drive
 * exactly what production runs:
 *
 * <pre>
 *   llm.requests.&lt;tier&gt; (bytes) ─▶ dispatch [pending-calls, completed-requests, rate-limits]
 *                                        reads global stores quotas (llm.quotas), spend (llm.spend)
 *                                   ─▶ llm.results | llm.costs | llm.dlq | llm.retry.&lt;delay&gt;
 * </pre>
 *
 * Values are read as bytes so that an undecodable record reaches the DLQ with its raw bytes
 * instead of stopping the task.
 */
final class PromptlineTopology {
    public static final String SOURCE = "intake";
    public static final String DISPATCH = "dispatch";

    private PromptlineTopology() {
    }

    public static Topology build(Topics topics, PromptlineSerdes serdes, CallGateway gateway, TierSettings tier) {
        Topology t = new Topology();
        t.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.requests(tier.tier()));
        t.addProcessor(DISPATCH, () -> new DispatchProcessor(gateway, tier), SOURCE);
        // The rate-limit store is cached: a limited tenant's bucket is rewritten on every admission, start
        // and correction, and only its last state per commit needs to reach the changelog (inside the same
        // exactly-once transaction). The pending and completed stores are not: an entry is written once
        // and deleted once, and the benchmark measured caching them at 25% more CPU per request.
        t.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(DispatchProcessor.PENDING_STORE), Serdes.String(), Serdes.ByteArray()), DISPATCH);
        t.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore(DispatchProcessor.COMPLETED_STORE,
                tier.dedupeRetention(), tier.dedupeRetention(), false), Serdes.String(), Serdes.Long()), DISPATCH);
        t.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(DispatchProcessor.RATE_STORE), Serdes.String(), Serdes.ByteArray()).withCachingEnabled(), DISPATCH);
        addGlobalBytes(t, DispatchProcessor.QUOTAS_STORE, topics.quotas());
        addGlobalBytes(t, DispatchProcessor.SPEND_STORE, topics.spend());
        t.addSink(TaskOutputs.RESULTS_SINK, topics.results(), new StringSerializer(), serdes.result().serializer(), DISPATCH);
        t.addSink(TaskOutputs.COSTS_SINK, topics.costs(), new StringSerializer(), serdes.cost().serializer(), DISPATCH);
        t.addSink(TaskOutputs.DLQ_SINK, topics.dlq(), new StringSerializer(), serdes.deadLetter().serializer(), DISPATCH);
        for (Duration rung : tier.retry().rungs()) {
            t.addSink(Ladder.sinkName(rung), topics.retry(rung), new StringSerializer(), new ByteArraySerializer(), DISPATCH);
        }
        return t;
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
