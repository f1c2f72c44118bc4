package io.promptline.processor.output;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.Priority;
import io.promptline.processor.metrics.ProcessorMetrics;
import io.promptline.registry.RegistryException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.errors.ErrorHandlerContext;

import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * What the Kafka Streams exception handlers of a tier share: they turn a record whose processing
 * (or whose output's serialization) threw into a dead letter, sent in the task's own transaction,
 * so a poison record costs one DLQ record instead of a crash loop that stalls its partition. A
 * failure that is not the record's fault (the registry or the broker unreachable) fails the
 * stream thread instead, which is replaced and reads the record again: nothing is lost.
 *
 * <p>Kafka Streams makes the handlers from their class names; they find what they need in the
 * Streams configuration under the keys below ({@link #configs}).
 */
public final class FailureHandlers {
    static final String DLQ_TOPIC = "promptline.handler.dlq.topic";
    static final String TIER = "promptline.handler.tier";
    static final String SERIALIZER = "promptline.handler.dead.letter.serializer";
    static final String METRICS = "promptline.handler.metrics";
    static final String CLOCK = "promptline.handler.clock";

    private final String dlqTopic;
    private final Priority tier;
    private final Serializer<DeadLetter> serializer;
    private final ProcessorMetrics metrics;
    private final Clock clock;

    private FailureHandlers(Map<String, ?> configs) {
        this.dlqTopic = (String) require(configs, DLQ_TOPIC);
        this.tier = Priority.valueOf((String) require(configs, TIER));
        @SuppressWarnings("unchecked") Serializer<DeadLetter> s = (Serializer<DeadLetter>) require(configs, SERIALIZER);
        this.serializer = s;
        this.metrics = (ProcessorMetrics) require(configs, METRICS);
        this.clock = (Clock) require(configs, CLOCK);
    }

    static FailureHandlers from(Map<String, ?> configs) {
        return new FailureHandlers(configs);
    }

    /** The Streams settings that install both handlers for a tier. */
    public static Map<String, Object> configs(String dlqTopic, Priority tier, Serializer<DeadLetter> serializer, ProcessorMetrics metrics,
                                              Clock clock) {
        return Map.of("processing.exception.handler", ProcessingFailureHandler.class.getName(),
                "production.exception.handler", ProductionFailureHandler.class.getName(),
                DLQ_TOPIC, dlqTopic, TIER, tier.name(), SERIALIZER, serializer, METRICS, metrics, CLOCK, clock);
    }

    private static Object require(Map<String, ?> configs, String key) {
        Object v = configs.get(key);
        if (v == null) throw new IllegalStateException("Streams config lacks " + key + "; install the handlers with FailureHandlers.configs");
        return v;
    }

    /** Whether the failure is the infrastructure's (retry the record), not the record's (dead-letter it). */
    static boolean transientFailure(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof RegistryException r && !(r instanceof RegistryException.UnknownSchemaId)) return true;
            if (c instanceof RetriableException) return true;
        }
        return false;
    }

    /** A dead letter for the record that failed, with its bytes, where it was read and why, as the task sends it. */
    List<ProducerRecord<byte[], byte[]>> deadLetter(ErrorHandlerContext context, ErrorCategory category, String reason) {
        Origin origin = new Origin(context.topic(), context.partition(), context.offset());
        DeadLetter dl = DeadLetters.malformed(context.sourceRawKey(), context.sourceRawValue(), reason, origin, clock.instant());
        dl.setCategory(category);
        metrics.deadLetter(tier, category);
        var headers = FailureHeaders.describe(0, null, null, category, null, reason, origin);
        return List.of(new ProducerRecord<>(dlqTopic, null, clock.millis(), context.sourceRawKey(), serializer.serialize(dlqTopic, dl),
                headers));
    }

    static String describe(Throwable e) {
        String m = e instanceof KafkaException && e.getCause() != null ? e.getCause().toString() : e.toString();
        return m.length() > 500 ? m.substring(0, 500) : m;
    }
}
