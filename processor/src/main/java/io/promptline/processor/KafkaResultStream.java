package io.promptline.processor;

import io.promptline.avro.ResultDelta;
import io.promptline.processor.provider.StreamListener;
import io.promptline.registry.RegistryException;
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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A tier's pieces of streamed answers, on {@code llm.results.stream} keyed by request_id, written
 * outside the tier's transactions (a reader sees a piece at once, not at the commit) by an
 * idempotent producer, through one writer thread: the event loop only queues a piece, the writer
 * serializes it (the registry's answer is cached after the first) and sends it, in the order the
 * pieces came, so each request's pieces stay in order on its partition. Neither a registry nor a
 * broker that is away holds up the start or an event loop: pieces wait in the queue (at most
 * {@value #QUEUE} of them) and go once the registry answers (within 30 s). They are a view of the answer being
 * made, not its record: a call made again streams from piece 0 under its higher attempt, and the
 * result that follows on {@code llm.results} is the answer. A piece that cannot be written (the
 * queue full, the registry or the topic refusing it) is counted
 * ({@code promptline_stream_pieces_lost_total}) and logged with its request.
 */
final class KafkaResultStream implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaResultStream.class);
    static final int QUEUE = 100_000;
    /** How long a piece waits for an unreachable registry before it is counted lost. */
    private static final Duration REGISTRY_WAIT = Duration.ofSeconds(30);

    private final String topic;
    private final Serializer<ResultDelta> serializer;
    private final Clock clock;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Runnable onLost;
    private final ThreadPoolExecutor writer;

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
        this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, clientId + "-writer");
            t.setDaemon(true);
            return t;
        });
    }

    /** Looks the schema up and the topic's metadata in the writer now, so the first piece does not wait for them. */
    void connect() {
        writer.execute(() -> {
            try {
                serializer.serialize(topic, new ResultDelta("-", "-", 0, 0, "", null, clock.instant()));
                producer.partitionsFor(topic);
            } catch (RuntimeException e) {
                log.warn("Streamed answers: {} or its schema is not available yet ({}); pieces wait for it", topic, e.toString());
            }
        });
    }

    /** The listener of one call: its pieces numbered from 0 under {@code attempt}, the last one with the finish reason. */
    StreamListener listener(String requestId, String tenant, int attempt) {
        byte[] key = requestId.getBytes(StandardCharsets.UTF_8);
        return new StreamListener() {
            private int seq;

            @Override
            public void piece(String text) {
                queue(text, null);
            }

            @Override
            public void end(String finishReason) {
                queue("", finishReason == null ? "stop" : finishReason);
            }

            private void queue(String text, String finishReason) {
                ResultDelta d = new ResultDelta(requestId, tenant, attempt, seq++, text, finishReason, clock.instant());
                try {
                    writer.execute(() -> write(key, d));
                } catch (RejectedExecutionException full) {
                    lost(d, "the queue of pieces is full (" + QUEUE + ")");
                }
            }
        };
    }

    private void write(byte[] key, ResultDelta d) {
        byte[] value = null;
        long until = System.nanoTime() + REGISTRY_WAIT.toNanos();
        while (value == null) {
            try {
                value = serializer.serialize(topic, d);
            } catch (RegistryException.Unreachable away) {
                // The schema's first lookup waits for the registry (the pieces behind wait with it), for a while
                if (System.nanoTime() > until) {
                    lost(d, away.getMessage());
                    return;
                }
                sleep();
            } catch (RuntimeException e) {
                lost(d, e.toString());
                return;
            }
        }
        producer.send(new ProducerRecord<>(topic, key, value), (m, error) -> {
            if (error != null) lost(d, error.toString());
        });
    }

    private static void sleep() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void lost(ResultDelta d, String why) {
        onLost.run();
        log.warn("A piece of the streamed answer to {} (attempt {}, piece {}) was not written to {}: {}", d.getRequestId(), d.getAttempt(),
                d.getSeq(), topic, why);
    }

    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
    }
}
