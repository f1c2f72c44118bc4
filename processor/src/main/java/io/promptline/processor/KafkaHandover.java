package io.promptline.processor;

import io.promptline.processor.dispatch.Handover;
import io.promptline.processor.provider.StreamListener;
import io.promptline.topics.TopicCreation;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.streams.KafkaClientSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * A tier's hand-over channel ({@link Handover.Channel}) on the topic {@code <application.id>-handover},
 * partitioned like the tenants, and the hook that lets a task go cleanly: Kafka Streams' main
 * consumer is made by {@link #clientSupplier()}, whose rebalance listener, before Kafka Streams
 * commits and closes the revoked tasks, waits (bounded) for the calls those tasks started and marks
 * them let go; each then hands over, as it closes, what it could not apply. A graceful stop does
 * the same through {@link #letGoAll()} after its drain.
 *
 * <p>Also the write-ahead record of calls, on {@code <application.id>-calls-started}: a call is
 * sent only once the record that it starts (task lifetime, request_id, attempt) is acknowledged,
 * so whoever takes over a task after a crash reads, from shortly before the crashed lifetime's
 * last heartbeat, which of its calls were made. One small record per call, written with an
 * idempotent producer lingering 1 ms; nothing is read back except on a takeover.
 */
final class KafkaHandover implements Handover.Channel, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaHandover.class);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    private final String topic;
    private final String startedTopic;
    private final String repartitionTopic;
    private final Map<String, Object> kafka;
    private final Duration wait;
    private final Map<Integer, Handover.Task> tasks = new ConcurrentHashMap<>();
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaResultStream results;
    private KafkaConsumer<byte[], byte[]> reader; // guarded by this: takeovers may come from several stream threads

    /**
     * @param kafka            client settings (bootstrap servers, security)
     * @param repartitionTopic the tier's by-tenant repartition topic, whose partition numbers are the tasks'
     * @param wait             how long a revoked task waits for its calls before it lets go
     * @param maxRecordBytes   the largest record written (an answer of the largest size admitted)
     */
    KafkaHandover(String applicationId, String repartitionTopic, Map<String, Object> kafka, Duration wait, int maxRecordBytes,
                  KafkaResultStream results) {
        this.results = results;
        this.topic = topicOf(applicationId);
        this.startedTopic = startedTopicOf(applicationId);
        this.repartitionTopic = repartitionTopic;
        this.kafka = Map.copyOf(kafka);
        this.wait = wait;
        Map<String, Object> p = new HashMap<>(kafka);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxRecordBytes);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 1); // a call waits for its start record: batch only what is sent together
        p.put(ProducerConfig.CLIENT_ID_CONFIG, applicationId + "-handover");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        // Fetched now, not at the first call's start record: the first calls would wait for the metadata together
        // (hundreds of ms) and then reach the provider at once, more than a tenant's burst above its limit.
        producer.partitionsFor(startedTopic);
        producer.partitionsFor(topic);
    }

    static String topicOf(String applicationId) {
        return applicationId + "-handover";
    }

    static String startedTopicOf(String applicationId) {
        return applicationId + "-calls-started";
    }

    /**
     * Makes the topics: the hand-overs, and the record of each call as it starts (a day of retention
     * each: both are read by the next owner of a task, seconds to minutes later).
     */
    static void ensureTopic(Admin admin, String applicationId, int partitions, int maxRecordBytes) {
        String day = Long.toString(Duration.ofDays(1).toMillis());
        TopicCreation.createAndAwait(admin, List.of(
                new NewTopic(topicOf(applicationId), Optional.of(partitions), Optional.empty()).configs(Map.of("cleanup.policy", "delete",
                        "retention.ms", day, "max.message.bytes", Integer.toString(maxRecordBytes))),
                new NewTopic(startedTopicOf(applicationId), Optional.of(partitions), Optional.empty()).configs(Map.of("cleanup.policy",
                        "delete", "retention.ms", day))), Duration.ofSeconds(60));
    }

    @Override
    public StreamListener stream(String requestId, String tenant, int attempt) {
        return results.listener(requestId, tenant, attempt);
    }

    @Override
    public void attach(int partition, Handover.Task task) {
        tasks.put(partition, task);
    }

    @Override
    public void detach(int partition, Handover.Task task) {
        tasks.remove(partition, task);
    }

    @Override
    public void write(int partition, List<byte[]> records) {
        List<Future<?>> sent = new ArrayList<>();
        for (byte[] r : records) sent.add(producer.send(new ProducerRecord<>(topic, partition, null, r)));
        producer.flush();
        try {
            for (Future<?> f : sent) f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot write the hand-over of task " + partition + " to " + topic + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted writing the hand-over of task " + partition, e);
        }
    }

    @Override
    public CompletionStage<?> callStarting(int partition, long lifetime, String requestId, int attempt) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        producer.send(new ProducerRecord<>(startedTopic, partition, null, new Handover.Started(lifetime, requestId, attempt).encode()),
                (metadata, error) -> {
                    if (error != null) done.completeExceptionally(error);
                    else done.complete(null);
                });
        return done;
    }

    /** From shortly before {@code fromMillis}: a call outlives the last beat of its lifetime by at most the call timeout. */
    @Override
    public List<Handover.Started> startedSince(int partition, long fromMillis) {
        List<Handover.Started> out = new ArrayList<>();
        for (byte[] r : readPartition(startedTopic, partition, Handover.startsReadFrom(fromMillis, wait))) {
            Handover.Started s = Handover.Started.decode(r);
            if (s != null) out.add(s);
        }
        return out;
    }

    @Override
    public List<byte[]> read(int partition) {
        return readPartition(topic, partition, -1);
    }

    /**
     * The values of a partition from the first record at or after {@code fromMillis} (-1: the beginning) to its end now.
     * One reader serves every takeover of this instance (its connections and metadata warm): a consumer made per read
     * cost about half a second each, and a stream thread taking over three tasks started none of their calls for seconds.
     */
    private synchronized List<byte[]> readPartition(String name, int partition, long fromMillis) {
        TopicPartition tp = new TopicPartition(name, partition);
        List<byte[]> out = new ArrayList<>();
        if (reader == null) reader = newReader();
        try {
            reader.assign(List.of(tp));
            if (fromMillis < 0) {
                reader.seekToBeginning(List.of(tp));
            } else {
                var at = reader.offsetsForTimes(Map.of(tp, Math.max(0, fromMillis)), READ_TIMEOUT).get(tp);
                if (at == null) reader.seekToEnd(List.of(tp));
                else reader.seek(tp, at.offset());
            }
            long end = reader.endOffsets(List.of(tp), READ_TIMEOUT).get(tp);
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (reader.position(tp, READ_TIMEOUT) < end) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("read only up to offset " + reader.position(tp) + " of " + end + " in " + READ_TIMEOUT);
                }
                for (ConsumerRecord<byte[], byte[]> r : reader.poll(Duration.ofMillis(200))) {
                    if (r.value() != null) out.add(r.value());
                }
            }
            reader.unsubscribe();
            return out;
        } catch (RuntimeException e) {
            closeReader(); // the next read starts from a fresh consumer
            throw e;
        }
    }

    private KafkaConsumer<byte[], byte[]> newReader() {
        Map<String, Object> c = new HashMap<>(kafka);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, topic + "-reader");
        // It reads up to an end it knows: a fetch the broker holds for more data (500 ms by default) would only keep the
        // next read, of another partition on the same broker, waiting behind it.
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private synchronized void closeReader() {
        if (reader == null) return;
        try {
            reader.close(Duration.ofSeconds(5));
        } finally {
            reader = null;
        }
    }

    /** A graceful stop after its drain: every task of this instance hands over as it closes. */
    void letGoAll() {
        tasks.values().forEach(Handover.Task::letGo);
    }

    /** Kafka Streams' clients, with a main consumer whose revocations wait for the revoked tasks' calls first. */
    KafkaClientSupplier clientSupplier() {
        return new KafkaClientSupplier() {
            @Override
            public Admin getAdmin(Map<String, Object> config) {
                return Admin.create(config);
            }

            @Override
            public Producer<byte[], byte[]> getProducer(Map<String, Object> config) {
                return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
            }

            @Override
            public Consumer<byte[], byte[]> getRestoreConsumer(Map<String, Object> config) {
                return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            }

            @Override
            public Consumer<byte[], byte[]> getGlobalConsumer(Map<String, Object> config) {
                return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            }

            @Override
            public Consumer<byte[], byte[]> getConsumer(Map<String, Object> config) {
                return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer()) {
                    @Override
                    public void subscribe(Collection<String> topics, ConsumerRebalanceListener listener) {
                        super.subscribe(topics, letGoFirst(listener));
                    }

                    @Override
                    public void subscribe(Pattern pattern, ConsumerRebalanceListener listener) {
                        super.subscribe(pattern, letGoFirst(listener));
                    }
                };
            }
        };
    }

    private ConsumerRebalanceListener letGoFirst(ConsumerRebalanceListener streams) {
        return new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                revoking(partitions);
                streams.onPartitionsRevoked(partitions);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                streams.onPartitionsAssigned(partitions);
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                streams.onPartitionsLost(partitions); // another owner may hold them already: nothing is handed over
            }
        };
    }

    /** On the stream thread, before Kafka Streams commits and closes the revoked tasks. */
    private void revoking(Collection<TopicPartition> partitions) {
        long deadline = System.nanoTime() + wait.toNanos();
        List<Handover.Task> going = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            if (!tp.topic().equals(repartitionTopic)) continue;
            Handover.Task t = tasks.get(tp.partition());
            if (t != null) going.add(t);
        }
        if (going.isEmpty()) return;
        long t0 = System.nanoTime();
        try {
            for (Handover.Task t : going) t.awaitCalls(deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        going.forEach(Handover.Task::letGo);
        log.info("{} tasks revoked from {}: waited {} ms for their calls before letting them go", going.size(), repartitionTopic,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    @Override
    public void close() {
        closeReader();
        producer.close(Duration.ofSeconds(5));
        results.close();
    }
}
