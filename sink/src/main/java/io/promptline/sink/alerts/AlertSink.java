package io.promptline.sink.alerts;

import io.promptline.avro.DeadLetter;
import io.promptline.registry.RegistryException;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.runtime.Threads;
import io.promptline.serde.AvroDeserializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Follows the DLQ (its own consumer group, from the latest record on first start) and posts the
 * alerts of an {@link AlertPolicy} to a webhook (Slack's incoming-webhook JSON, which Mattermost,
 * Teams connectors and most chat tools accept). A webhook that fails is retried a few times with
 * backoff; the URL is a secret and never logged.
 */
public final class AlertSink implements Runnable, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AlertSink.class);
    private static final int ATTEMPTS = 3;
    private static final long REGISTRY_RETRY_MS = 1_000;

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String dlqTopic;
    private final AvroDeserializer<DeadLetter> decoder;
    private final AlertPolicy policy;
    private final URI webhook;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AtomicLong posted = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile boolean running = true;

    public AlertSink(Map<String, Object> kafka, String groupId, String dlqTopic, SchemaRegistryClient registry, AlertPolicy policy,
                     URI webhook) {
        Map<String, Object> cfg = new HashMap<>(kafka);
        cfg.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cfg.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        this.consumer = new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.dlqTopic = dlqTopic;
        this.decoder = new AvroDeserializer<>(registry, DeadLetter.class);
        this.policy = policy;
        this.webhook = webhook;
    }

    /** Alerts posted successfully since start. */
    public long posted() {
        return posted.get();
    }

    public long failed() {
        return failed.get();
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(dlqTopic));
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                boolean registryDown = false;
                for (TopicPartition tp : records.partitions()) {
                    for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                        if (r.value() == null) continue;
                        DeadLetter d;
                        try {
                            d = decoder.deserialize(r.topic(), r.value());
                        } catch (RegistryException e) {
                            if (!(e instanceof RegistryException.UnknownSchemaId)) {
                                // Registry trouble, not bad data: read this partition again from here, so no dead letter goes uncounted.
                                log.warn("Cannot decode dead letters for alerting ({}); reading {} again from offset {}", e.getMessage(), tp, r.offset());
                                consumer.seek(tp, r.offset());
                                registryDown = true;
                                break;
                            }
                            skip(r, e);
                            continue;
                        } catch (SerializationException e) {
                            skip(r, e);
                            continue;
                        }
                        policy.offer(d).forEach(this::post);
                    }
                }
                policy.tick().forEach(this::post);
                consumer.commitAsync();
                if (registryDown) Threads.sleep(REGISTRY_RETRY_MS);
            }
        } catch (WakeupException e) {
            if (running) throw e;
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private static void skip(ConsumerRecord<byte[], byte[]> r, SerializationException e) {
        log.warn("Skipping undecodable dead letter {}-{}@{} for alerting: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
    }

    private void post(Alert alert) {
        HttpRequest req = HttpRequest.newBuilder(webhook).timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(alert.toSlackJson())).build();
        long backoff = 500;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                int status = http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status / 100 == 2) {
                    posted.incrementAndGet();
                    log.info("Alert posted: {} ({} dead letters)", alert.key(), alert.count());
                    return;
                }
                log.warn("Alert webhook answered HTTP {} for {} (attempt {}/{})", status, alert.key(), attempt, ATTEMPTS);
            } catch (IOException e) {
                log.warn("Alert webhook unreachable for {} (attempt {}/{}): {}", alert.key(), attempt, ATTEMPTS, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (attempt < ATTEMPTS) {
                Threads.sleep(backoff);
                backoff *= 4;
            }
        }
        failed.incrementAndGet();
        log.error("Alert {} not delivered after {} attempts: {}", alert.key(), ATTEMPTS, alert.text());
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
    }
}
