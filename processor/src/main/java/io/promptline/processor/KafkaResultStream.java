package io.promptline.processor;

import io.promptline.avro.ResultDelta;
import io.promptline.processor.provider.StreamListener;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * A tier's pieces of streamed answers, on {@code llm.results.stream} keyed by request_id: written
 * as they arrive from the event loop with an idempotent producer (one partition per request, so
 * in order), outside the tier's transactions — a reader sees a piece at once, not at the commit.
 * They are a view of the answer being made, not its record: a call made again streams from piece
 * 0 under its higher attempt, and the result that follows on {@code llm.results} is the answer.
 * A piece that cannot be written is counted ({@code promptline_stream_pieces_lost_total}) and logged with its request.
 */
final class KafkaResultStream implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaResultStream.class);

    private final String topic;
    private final Serializer<ResultDelta> serializer;
    private final Clock clock;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Runnable onLost;

    /** @param onLost counts a piece not written (a metric) */
    KafkaResultStream(String topic, Serializer<ResultDelta> serializer, Map<String, Object> kafka, String clientId, Clock clock,
                      Runnable onLost) {
        this.onLost = onLost;
        this.topic = topic;
        this.serializer = serializer;
        this.clock = clock;
        Map<String, Object> p = new HashMap<>(kafka);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 2);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * Looks the schema up (or registers it) and fetches the topic's metadata now: the pieces are
     * written from event-loop threads, which must not wait for either.
     */
    void connect() {
        serializer.serialize(topic, new ResultDelta("-", "-", 0, 0, "", null, clock.instant()));
        try {
            producer.partitionsFor(topic);
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw new IllegalStateException("topic " + topic + " (the pieces of streamed answers) is missing: create it with ops/topics.sh ("
                    + e.getMessage() + ")", e);
        }
    }

    /** The listener of one call: its pieces numbered from 0 under {@code attempt}, the last one with the finish reason. */
    StreamListener listener(String requestId, String tenant, int attempt) {
        byte[] key = requestId.getBytes(StandardCharsets.UTF_8);
        return new StreamListener() {
            private int seq;

            @Override
            public void piece(String text) {
                send(text, null);
            }

            @Override
            public void end(String finishReason) {
                send("", finishReason == null ? "stop" : finishReason);
            }

            private void send(String text, String finishReason) {
                ResultDelta d = new ResultDelta(requestId, tenant, attempt, seq++, text, finishReason, clock.instant());
                producer.send(new ProducerRecord<>(topic, key, serializer.serialize(topic, d)), (m, error) -> {
                    if (error == null) return;
                    onLost.run();
                    log.warn("A piece of the streamed answer to {} (attempt {}, piece {}) was not written to {}: {}", requestId, attempt,
                            d.getSeq(), topic, error.toString());
                });
            }
        };
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
