package io.promptline.processor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.promptline.processor.provider.CapacityView;
import io.promptline.runtime.KafkaRefusal;
import io.promptline.topics.TopicCreation;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The processors' view of each other, for sharing the deployments' limits: every second each
 * instance writes a heartbeat to the compacted capacity topic (its instance id → the deployments
 * it called or wanted to call in the last seconds) and reads everyone else's. An instance's share
 * of a deployment is 1 / (the live instances that want it, itself included): the shares of the
 * instances calling a deployment add up to its limits, and an idle instance leaves its part to
 * the busy ones. An instance is live while its heartbeat is under {@link #LIVE} old; a graceful
 * stop deletes its heartbeat at once. Runs as a supervised loop: if it cannot go on, the process
 * is unhealthy (its shares would go stale).
 */
final class KafkaCapacityRoster implements CapacityView, Runnable, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaCapacityRoster.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Duration BEAT = Duration.ofSeconds(1);
    /** A heartbeat older than this is of an instance that is gone. */
    static final Duration LIVE = Duration.ofSeconds(5);
    /** How long a deployment counts as wanted after this instance last asked for it. */
    static final Duration WANTED = Duration.ofSeconds(2);

    private final String topic;
    /** The last heartbeat the broker did not take, set from the producer's thread. */
    private volatile Exception beatFailure;
    private final String instance;
    private final Map<String, Object> kafka;
    private final Clock clock;
    /** deployment → when this instance last wanted it (epoch ms). */
    private final Map<String, Long> wantedAt = new ConcurrentHashMap<>();
    /** Other instances → their last heartbeat. */
    private volatile Map<String, Beat> others = Map.of();
    private volatile boolean running = true;
    private volatile boolean polling;

    record Beat(long at, Set<String> wanted) {
    }

    KafkaCapacityRoster(String topic, String instance, Map<String, Object> kafka, Clock clock) {
        this.topic = topic;
        this.instance = instance;
        this.kafka = Map.copyOf(kafka);
        this.clock = clock;
    }

    static void ensureTopic(Admin admin, String topic) {
        TopicCreation.createAndAwait(admin, List.of(new NewTopic(topic, Optional.of(1), Optional.empty())
                .configs(Map.of("cleanup.policy", "compact", "segment.ms", Long.toString(Duration.ofHours(1).toMillis())))),
                Duration.ofSeconds(60));
    }

    @Override
    public double share(String deployment) {
        return 1.0 / wanting(deployment, others, clock.millis());
    }

    /** The live instances that want {@code deployment}, this one included. */
    static int wanting(String deployment, Map<String, Beat> others, long now) {
        int n = 1;
        for (Beat b : others.values()) if (now - b.at() < LIVE.toMillis() && b.wanted().contains(deployment)) n++;
        return n;
    }

    @Override
    public void wanted(String deployment) {
        wantedAt.put(deployment, clock.millis());
    }

    boolean isPolling() {
        return polling;
    }

    @Override
    public void run() {
        Map<String, Object> c = new HashMap<>(kafka);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "capacity-roster-" + instance);
        Map<String, Object> p = new HashMap<>(kafka);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "capacity-roster-" + instance);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        Map<String, Beat> seen = new HashMap<>();
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long nextBeat = 0;
            while (running) {
                long now = clock.millis();
                if (now >= nextBeat) {
                    producer.send(new ProducerRecord<>(topic, 0, instance, beat(now)), (m, e) -> {
                        if (e != null) beatFailure = e;
                    });
                    nextBeat = now + BEAT.toMillis();
                }
                Exception failed = beatFailure;
                if (failed != null) {
                    beatFailure = null;
                    // Unseen by the others, this instance would take a whole deployment's limits: a refusal stops it.
                    var refused = KafkaRefusal.describe(failed, "");
                    if (refused.isPresent()) throw new IllegalStateException("capacity heartbeat on " + topic + ": " + refused.get(), failed);
                    log.warn("Capacity heartbeat on {} failed ({}); the next one follows in {} ms", topic, failed.toString(), BEAT.toMillis());
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() == null || r.key().equals(instance)) continue;
                    Beat b = r.value() == null ? null : read(r.value());
                    if (b == null) seen.remove(r.key());
                    else seen.put(r.key(), b);
                }
                seen.values().removeIf(b -> clock.millis() - b.at() > 10 * LIVE.toMillis());
                Map<String, Beat> was = others;
                others = Map.copyOf(seen);
                if (!was.keySet().equals(others.keySet())) {
                    log.info("Capacity roster of {}: other instances now {}", instance, others.keySet());
                }
                polling = true;
            }
            // A graceful stop: the others stop counting this instance at once
            producer.send(new ProducerRecord<>(topic, 0, instance, null));
            producer.flush();
        } finally {
            polling = false;
        }
    }

    private byte[] beat(long now) {
        ObjectNode n = JSON.createObjectNode().put("instance", instance).put("at", now);
        var list = n.putArray("wanted");
        wantedAt.forEach((d, at) -> {
            if (now - at < WANTED.toMillis()) list.add(d);
        });
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A heartbeat, or null when the bytes are not one (skipped: they say nothing). */
    static Beat read(byte[] bytes) {
        try {
            JsonNode n = JSON.readTree(bytes);
            if (n == null || !n.has("at")) return null;
            Set<String> wanted = new HashSet<>();
            n.path("wanted").forEach(x -> wanted.add(x.asText()));
            return new Beat(n.path("at").asLong(), Set.copyOf(wanted));
        } catch (IOException e) {
            log.warn("Skipping an unreadable capacity heartbeat: {}", e.getMessage());
            return null;
        }
    }

    @Override
    public void close() {
        running = false;
    }
}
