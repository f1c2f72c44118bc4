package io.promptline.processor;

import io.promptline.processor.dispatch.DispatchProcessor;
import io.promptline.processor.dispatch.Dispatcher;
import io.promptline.processor.dispatch.TierSettings;
import io.promptline.serde.PromptlineSerdes;
import io.promptline.topics.Topics;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The processor topology of one priority tier, built by one pure method so that tests drive
 * exactly what production runs:
 *
 * <pre>
 *   llm.requests.&lt;tier&gt; (bytes) → dispatch [pending-calls, completed-requests] → llm.results | llm.costs | llm.dlq
 * </pre>
 *
 * Values are read as bytes so that an undecodable record reaches the DLQ with its raw bytes
 * instead of stopping the task.
 */
public final class PromptlineTopology {
    public static final String SOURCE = "intake";
    public static final String DISPATCH = "dispatch";

    private PromptlineTopology() {
    }

    public static Topology build(Topics topics, PromptlineSerdes serdes, Dispatcher dispatcher, TierSettings tier) {
        Topology t = new Topology();
        t.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.requests(tier.tier()));
        t.addProcessor(DISPATCH, () -> new DispatchProcessor(dispatcher, tier), SOURCE);
        t.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(DispatchProcessor.PENDING_STORE), Serdes.String(), Serdes.ByteArray()), DISPATCH);
        t.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore(DispatchProcessor.COMPLETED_STORE,
                tier.dedupeRetention(), tier.dedupeRetention(), false), Serdes.String(), Serdes.Long()), DISPATCH);
        t.addSink(DispatchProcessor.RESULTS_SINK, topics.results(), new StringSerializer(), serdes.result().serializer(), DISPATCH);
        t.addSink(DispatchProcessor.COSTS_SINK, topics.costs(), new StringSerializer(), serdes.cost().serializer(), DISPATCH);
        t.addSink(DispatchProcessor.DLQ_SINK, topics.dlq(), new StringSerializer(), serdes.deadLetter().serializer(), DISPATCH);
        return t;
    }
}
