package io.promptline.producer;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.PromptResult;
import io.promptline.registry.RegistryException;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.runtime.Threads;
import io.promptline.serde.AvroDeserializer;
import io.promptline.topics.CommittedReader;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One consumer, shared by every await of a producer, reading llm.results and llm.dlq
 * (read_committed, no consumer group: it assigns every partition and starts at the end, so it
 * sees what is published after it started). Each record completes the future waiting for its
 * request_id, if any; the rest is ignored.
 *
 * <p>It outlives its errors: a registry it cannot reach makes it read the record again after a
 * pause (an answer is never skipped for that), and a client failure restarts it from where it
 * was. Only a failure to start at all (the topics missing) fails the awaits, with the reason.
 */
final class ResultListener implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ResultListener.class);
    private static final long REGISTRY_RETRY_MS = 500;

    private final Map<String, Object> kafka;
    private volatile CommittedReader reader;
    private final Topics topics;
    private final AvroDeserializer<PromptResult> results;
    private final AvroDeserializer<DeadLetter> deadLetters;
    private final Map<String, CompletableFuture<Outcome>> waiting = new ConcurrentHashMap<>();
    private final Thread thread;
    private final CountDownLatch positioned = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile RuntimeException failure;

    ResultListener(String bootstrapServers, Map<String, Object> kafka, SchemaRegistryClient registry, Topics topics) {
        this.kafka = new HashMap<>(kafka);
        this.kafka.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        this.topics = topics;
        this.results = new AvroDeserializer<>(registry, PromptResult.class);
        this.deadLetters = new AvroDeserializer<>(registry, DeadLetter.class);
        this.thread = new Thread(this::run, "promptline-result-listener");
        thread.setDaemon(true);
        thread.start();
    }

    /** Waits (at most {@code timeout}) until the listener reads from the end of both topics. */
    void awaitReady(Duration timeout) throws InterruptedException, TimeoutException {
        if (!positioned.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new TimeoutException("the result listener could not reach " + topics.results() + " and " + topics.dlq()
                    + " within " + timeout.toSeconds() + " s" + (failure == null ? "" : ": " + failure.getMessage()));
        }
        if (failure != null) throw failure;
    }

    /** A future completed by the request's result or dead letter; registered before the request is published. */
    CompletableFuture<Outcome> register(String requestId) {
        if (failure != null) return CompletableFuture.failedFuture(failure);
        return waiting.computeIfAbsent(requestId, id -> {
            CompletableFuture<Outcome> f = new CompletableFuture<>();
            f.whenComplete((o, e) -> waiting.remove(id, f)); // answered, dead-lettered or timed out: forget it
            return f;
        });
    }

    int waiting() {
        return waiting.size();
    }

    private void run() {
        try {
            listen();
        } finally {
            positioned.countDown(); // whatever ended the listener, nobody waits for it to start
        }
    }

    private void listen() {
        Map<TopicPartition, Long> resumeAt = null;
        long backoff = 200;
        while (running) {
            try (CommittedReader r = new CommittedReader(kafka, List.of(topics.results(), topics.dlq()), "")) {
                reader = r;
                if (!running) return; // closed while the reader was being made
                if (resumeAt == null) r.fromEnd();
                else r.resume(resumeAt);
                positioned.countDown();
                while (running) {
                    readOnce(r);
                    resumeAt = r.positions();
                    backoff = 200;
                }
            } catch (WakeupException e) {
                return; // closing
            } catch (RuntimeException e) {
                if (resumeAt == null) {
                    failure = new IllegalStateException("result listener cannot start: " + e.getMessage(), e);
                    log.error("Result listener cannot start; awaits fail: {}", e.toString());
                    waiting.values().forEach(f -> f.completeExceptionally(failure));
                    return;
                }
                log.warn("Result listener failed ({}); reading on from where it was in {} ms", e.toString(), backoff);
                if (!Threads.sleep(backoff)) return;
                backoff = Math.min(backoff * 2, 10_000);
            }
        }
    }

    /** One poll: each partition's records in order; one whose decoding waits for the registry is read again after a pause. */
    private void readOnce(CommittedReader r) {
        ConsumerRecords<byte[], byte[]> records = r.poll(Duration.ofMillis(200));
        boolean stalled = false;
        for (TopicPartition tp : records.partitions()) {
            for (ConsumerRecord<byte[], byte[]> record : records.records(tp)) {
                if (!handle(record)) {
                    r.seek(tp, record.offset());
                    stalled = true;
                    break;
                }
            }
        }
        if (stalled) Threads.sleep(REGISTRY_RETRY_MS);
    }

    /** Completes the await of the record's request, if any; false when the registry cannot be reached (read it again later). */
    private boolean handle(ConsumerRecord<byte[], byte[]> r) {
        if (waiting.isEmpty() || r.value() == null) return true;
        try {
            if (r.topic().equals(topics.results())) {
                String id = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
                CompletableFuture<Outcome> f = id == null ? null : waiting.get(id);
                if (f != null) f.complete(new Outcome.Answered(results.deserialize(r.topic(), r.value())));
            } else {
                DeadLetter d = deadLetters.deserialize(r.topic(), r.value());
                CompletableFuture<Outcome> f = d.getRequestId() == null ? null : waiting.get(d.getRequestId());
                if (f != null) f.complete(new Outcome.DeadLettered(d));
            }
            return true;
        } catch (RegistryException e) {
            if (e instanceof RegistryException.UnknownSchemaId) return skip(r, e);
            log.warn("Cannot decode {}-{}@{} ({}); reading it again shortly", r.topic(), r.partition(), r.offset(), e.getMessage());
            return false;
        } catch (SerializationException e) {
            return skip(r, e);
        }
    }

    private static boolean skip(ConsumerRecord<byte[], byte[]> r, RuntimeException e) {
        log.warn("Skipping undecodable record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
        return true;
    }

    @Override
    public void close() {
        running = false;
        Threads.stop(thread, () -> {
            CommittedReader r = reader;
            if (r != null) r.wakeup();
        }, Duration.ofSeconds(10));
        waiting.values().forEach(f -> f.completeExceptionally(new IllegalStateException("producer closed before the outcome arrived")));
    }
}
