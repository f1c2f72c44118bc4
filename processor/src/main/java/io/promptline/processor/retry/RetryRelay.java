package io.promptline.processor.retry;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.Priority;
import io.promptline.processor.output.DeadLetters;
import io.promptline.processor.output.FailureHeaders;
import io.promptline.processor.output.Origin;
import io.promptline.runtime.KafkaRefusal;
import io.promptline.runtime.Threads;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Holds the records of the delay ladder until they are due and sends them back to their tier
 * topic, so that a retry re-enters intake (and its tenant's rate limit) without any stream
 * thread waiting for it.
 *
 * <p>Each rung partition is read in order; when its head is not yet due, the partition is paused
 * (and rewound to the head) until then. Republished records and the consumed offsets commit in
 * one transaction, read_committed: nothing is lost or doubled when a relay crashes. A record whose
 * ladder headers cannot be read (no tier, a due time that is not a number) cannot be routed: it
 * goes to the DLQ as MALFORMED_INPUT with its bytes and the header named, and the relay goes on.
 * Its transactional.id is stable per instance ({@code <group>-<instance>}), so a restarted relay
 * fences the transaction a crashed one left open at once, instead of the tier topics' readers
 * waiting for it to time out. A Kafka error restarts the relay's clients from the committed
 * offsets; anything else ends the loop, and its supervisor makes the process unhealthy.
 */
public final class RetryRelay implements Runnable, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RetryRelay.class);
    private static final Duration MAX_POLL = Duration.ofMillis(100);

    private final Map<String, Object> consumerConfig;
    private final Map<String, Object> producerConfig;
    private final Topics topics;
    private final List<String> rungTopics;
    private final Serializer<DeadLetter> deadLetters;
    private final Clock clock;
    private final Map<TopicPartition, Long> resumeAt = new HashMap<>();
    private final AtomicLong relayed = new AtomicLong();
    private volatile boolean running = true;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    /** System.nanoTime of the last poll that returned, 0 before the first. */
    private volatile long lastPoll;

    /**
     * @param kafka   bootstrap servers and any client settings
     * @param groupId    the relay's consumer group (one per deployment, shared by all instances)
     * @param instanceId this instance's stable name (unique in the deployment, the same after a restart)
     */
    public RetryRelay(Map<String, Object> kafka, String groupId, String instanceId, Topics topics, List<Duration> rungs,
                      Serializer<DeadLetter> deadLetters, Clock clock) {
        this.consumerConfig = new HashMap<>(kafka);
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerConfig.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
        this.producerConfig = new HashMap<>(kafka);
        producerConfig.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, groupId + "-" + instanceId);
        // A relay that dies without a restart leaves its transaction open this long at most (the tier topics' readers wait for it).
        producerConfig.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 10_000);
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        this.topics = topics;
        this.rungTopics = rungs.stream().map(topics::retry).toList();
        this.deadLetters = deadLetters;
        this.clock = clock;
    }

    /** Whether the relay reads the ladder now (it polled within the last 10 s). */
    public boolean isPolling() {
        long at = lastPoll;
        return at != 0 && System.nanoTime() - at < TimeUnit.SECONDS.toNanos(10);
    }

    /** Records sent back to their tier (or to the DLQ) since start. */
    public long relayed() {
        return relayed.get();
    }

    @Override
    public void run() {
        long backoff = 500;
        while (running) {
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
                 KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer())) {
                consumer = c;
                p.initTransactions();
                c.subscribe(rungTopics, new ConsumerRebalanceListener() {
                    @Override
                    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                        partitions.forEach(resumeAt::remove);
                    }

                    @Override
                    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                        // positions come from the committed offsets; nothing is paused yet
                    }
                });
                while (running) {
                    relayDue(c, p);
                    backoff = 500;
                }
            } catch (WakeupException e) {
                if (running) log.warn("Retry relay woken up unexpectedly; restarting it");
            } catch (KafkaException | IllegalStateException e) {
                // Whatever was in the open transaction is aborted with the producer: the records are read again.
                if (!running) break;
                // A missing ACL or refused credentials do not heal by retrying: the relay stops, and the process with it.
                var refused = KafkaRefusal.describe(e, "prefixed " + consumerConfig.get(ConsumerConfig.GROUP_ID_CONFIG) + "-");
                if (refused.isPresent()) throw new IllegalStateException(refused.get(), e);
                log.error("Retry relay failed ({}); restarting in {} ms from the committed offsets", e.toString(), backoff, e);
                Threads.sleep(backoff);
                backoff = Math.min(backoff * 2, 30_000);
            } finally {
                consumer = null;
                resumeAt.clear();
            }
        }
    }

    private void relayDue(KafkaConsumer<byte[], byte[]> c, KafkaProducer<byte[], byte[]> p) {
        long now = clock.millis();
        var waiting = resumeAt.entrySet().iterator();
        while (waiting.hasNext()) {
            var e = waiting.next();
            if (e.getValue() > now) continue;
            if (c.assignment().contains(e.getKey())) c.resume(List.of(e.getKey()));
            waiting.remove();
        }
        long nextDue = resumeAt.values().stream().mapToLong(Long::longValue).min().orElse(Long.MAX_VALUE);
        Duration wait = Duration.ofMillis(Math.max(1, Math.min(MAX_POLL.toMillis(), nextDue - now)));
        ConsumerRecords<byte[], byte[]> records = c.poll(wait);
        lastPoll = System.nanoTime();
        if (records.isEmpty()) return;
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        boolean open = false;
        for (TopicPartition tp : records.partitions()) {
            for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                Long due = dueAt(r);
                long t = clock.millis();
                if (due != null && due > t) {
                    c.pause(List.of(tp));
                    c.seek(tp, r.offset());
                    resumeAt.put(tp, due);
                    break;
                }
                if (!open) {
                    p.beginTransaction();
                    open = true;
                }
                p.send(route(r, t));
                offsets.put(tp, new OffsetAndMetadata(r.offset() + 1));
                relayed.incrementAndGet();
            }
        }
        if (open) {
            p.sendOffsetsToTransaction(offsets, c.groupMetadata());
            p.commitTransaction();
        }
    }

    /** When the record is due, or null to send it now (none, or unreadable: {@link #route} dead-letters it). */
    private static Long dueAt(ConsumerRecord<byte[], byte[]> r) {
        try {
            return RetryHeaders.dueAt(r.headers());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private ProducerRecord<byte[], byte[]> route(ConsumerRecord<byte[], byte[]> r, long now) {
        String unreadable = unreadableHeader(r);
        if (unreadable == null) {
            return new ProducerRecord<>(topics.requests(RetryHeaders.tier(r.headers())), null, now, r.key(), r.value(), r.headers());
        }
        Origin origin = new Origin(r.topic(), r.partition(), r.offset());
        log.error("Delayed record {} has {}; it goes to the DLQ with its bytes", origin, unreadable);
        DeadLetter dl = DeadLetters.malformed(r.key(), r.value(), "delayed record with " + unreadable + "; cannot tell where or when it goes",
                origin, clock.instant());
        return new ProducerRecord<>(topics.dlq(), null, now, r.key(), deadLetters.serialize(topics.dlq(), dl), r.headers());
    }

    /** Which ladder header of the record cannot be read, described, or null when they all can. */
    private static String unreadableHeader(ConsumerRecord<byte[], byte[]> r) {
        String tier = FailureHeaders.text(r.headers(), RetryHeaders.TIER);
        try {
            if (RetryHeaders.tier(r.headers()) == null) return "no " + RetryHeaders.TIER + " header";
        } catch (IllegalArgumentException e) {
            return "an invalid " + RetryHeaders.TIER + " header (" + tier + ")";
        }
        try {
            RetryHeaders.dueAt(r.headers());
        } catch (NumberFormatException e) {
            return "an invalid " + RetryHeaders.DUE_AT + " header (" + FailureHeaders.text(r.headers(), RetryHeaders.DUE_AT) + ")";
        }
        return null;
    }

    @Override
    public void close() {
        running = false;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) c.wakeup();
    }
}
