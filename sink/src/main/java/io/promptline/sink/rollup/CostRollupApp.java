package io.promptline.sink.rollup;

import io.promptline.runtime.Health;
import io.promptline.runtime.KafkaRefusal;
import io.promptline.serde.PromptlineSerdes;
import io.promptline.sink.config.SinkConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * Runs the {@link CostRollupTopology} as its own Kafka Streams application, exactly once; a part of
 * the sink's health (alive unless the application failed, ready when RUNNING).
 */
public final class CostRollupApp implements Health.Part, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CostRollupApp.class);
    private final KafkaStreams streams;
    /** Why Kafka refused the roll-up, once it did (reported when the application reaches ERROR). */
    private volatile String refusal;

    /** @param onDeath told when the roll-up cannot go on (Kafka refuses this principal) */
    public CostRollupApp(SinkConfig config, Consumer<String> onDeath) {
        PromptlineSerdes serdes = PromptlineSerdes.create(config.registryClient(), true);
        Properties p = new Properties();
        p.putAll(config.kafkaOverrides());
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.rollupApplicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, config.rollupStateDir());
        // Budgets read llm.spend: a short commit interval keeps it close behind the cost events.
        p.putIfAbsent(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
        this.streams = new KafkaStreams(CostRollupTopology.build(config.topics(), serdes), p);
        // Whatever ends the application (a refusal below, any other failure) is reported once, when it is in ERROR.
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.ERROR) {
                onDeath.accept("cost roll-up: " + (refusal != null ? refusal : "Kafka Streams failed (ERROR, from " + before + ")"));
            }
        });
        streams.setUncaughtExceptionHandler(e -> {
            // A missing ACL or refused credentials: a new thread would fail the same way, forever; the roll-up stops (not alive).
            var refused = KafkaRefusal.describe(e, "prefixed " + config.rollupApplicationId() + "-");
            if (refused.isPresent()) {
                log.error("Cost roll-up cannot go on: {}", refused.get());
                refusal = refused.get();
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            log.error("Cost roll-up stream thread failed; replacing it: {}", e.toString(), e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    }

    public void start() {
        streams.start();
    }

    public boolean isRunning() {
        return streams.state() == KafkaStreams.State.RUNNING;
    }

    @Override
    public String name() {
        return "cost roll-up";
    }

    @Override
    public boolean alive() {
        return streams.state() != KafkaStreams.State.ERROR && streams.state() != KafkaStreams.State.PENDING_ERROR;
    }

    @Override
    public boolean ready() {
        return isRunning();
    }

    @Override
    public void close() {
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
    }
}
