package io.promptline.ops.local.chaos;

import io.promptline.requests.Messages;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.serde.AvroSerializer;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

/**
 * The load of a chaos run, made from its seed: requests on all three tiers for several tenants (two
 * of them over their limits for the first half), published as different clients do — keyed by
 * tenant with Java's murmur2 (the producer library), keyed by request id, without a key, and keyed
 * by tenant but placed as librdkafka places it (CRC32 of the key) — some with provider faults in
 * the prompt, and some published twice (the injected duplicates). A request counts as published
 * (in the ledger) once the broker acknowledged it; a copy counts as injected once acknowledged.
 */
final class ChaosLoad implements AutoCloseable {
    static final List<String> TENANTS = List.of("t0", "t1", "t2", "t3", "t4", "t5", "limited-a", "limited-b");
    static final List<String> LIMITED = List.of("limited-a", "limited-b");
    static final List<String> MODELS = List.of("gpt-4.1", "gpt-4.1-mini", "deepseek-v3.2");

    /** How a request was published. */
    enum Publisher { MURMUR2_BY_TENANT, BY_REQUEST_ID, NO_KEY, CRC32_BY_TENANT }

    private final Random random;
    private final Topics topics;
    private final KafkaProducer<byte[], byte[]> producer;
    private final AvroSerializer<PromptRequest> serializer;
    private final Set<String> published = ConcurrentHashMap.newKeySet();
    private final List<PublishedRequest> sent = new ArrayList<>();
    private final AtomicLong injected = new AtomicLong();
    private final AtomicLong failedSends = new AtomicLong();
    private final Map<Publisher, AtomicLong> byPublisher = new ConcurrentHashMap<>();
    private long seq;
    private volatile boolean longRetryAfter;

    private record PublishedRequest(String tenant, Priority tier, byte[] value) {
    }

    ChaosLoad(long seed, String bootstrap, String registryUrl, Topics topics) {
        this.random = new Random(seed * 31 + 7);
        this.topics = topics;
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.METADATA_MAX_AGE_CONFIG, 3_000, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 300_000, ProducerConfig.LINGER_MS_CONFIG, 5),
                new ByteArraySerializer(), new ByteArraySerializer());
        this.serializer = new AvroSerializer<>(new RestSchemaRegistryClient(registryUrl), true);
        for (Publisher p : Publisher.values()) byPublisher.put(p, new AtomicLong());
    }

    /**
     * Publishes the next request (or, now and then, a copy of one already published).
     *
     * @param limitedToo whether the over-limit tenants still publish
     */
    void next(boolean limitedToo) {
        if (!sent.isEmpty() && random.nextDouble() < 0.03) {
            PublishedRequest again;
            synchronized (sent) {
                again = sent.get(random.nextInt(sent.size()));
            }
            publish(again.tenant(), again.tier(), again.value(), publisher(), null);
            return;
        }
        String tenant = TENANTS.get(random.nextInt(limitedToo ? TENANTS.size() : TENANTS.size() - LIMITED.size()));
        if (LIMITED.contains(tenant) && random.nextDouble() < 0.7) tenant = TENANTS.get(random.nextInt(6)); // lighter, near their limit
        Priority tier = random.nextDouble() < 0.2 ? Priority.URGENT : random.nextBoolean() ? Priority.NORMAL : Priority.BATCH;
        String id = "chaos-" + (seq++);
        PromptRequest r = PromptRequest.newBuilder().setRequestId(id).setTenant(tenant).setPriority(tier)
                .setModel(MODELS.get(random.nextInt(MODELS.size()))).setMaxTokens(200)
                .setMessages(List.of(Messages.text("user", prompt(id)))).setCreatedAt(Instant.now()).build();
        byte[] value = serializer.serialize(topics.requests(tier), r);
        publish(tenant, tier, value, publisher(), id);
    }

    /** While on, every new request's first call is refused with a 429 asking to wait 90 s. */
    void longRetryAfter(boolean on) {
        longRetryAfter = on;
    }

    /** The prompt; a few ask the simulator for a fault of their own. */
    private String prompt(String id) {
        double u = random.nextDouble();
        String text = "Classify support ticket " + id + ": the parcel arrived late and damaged.";
        if (longRetryAfter) return text + " [[sim:429x1:retry-after=90]]";
        if (u < 0.04) return text + " [[sim:503x1]]";
        if (u < 0.05) return text + " [[sim:content_policy]]";
        if (u < 0.06) return text + " [[sim:no_usage]]";
        return text;
    }

    private Publisher publisher() {
        return Publisher.values()[random.nextInt(Publisher.values().length)];
    }

    private void publish(String tenant, Priority tier, byte[] value, Publisher how, String newId) {
        String topic = topics.requests(tier);
        byte[] tenantKey = tenant.getBytes(StandardCharsets.UTF_8);
        ProducerRecord<byte[], byte[]> record = switch (how) {
            case MURMUR2_BY_TENANT -> new ProducerRecord<>(topic, tenantKey, value);
            case BY_REQUEST_ID -> new ProducerRecord<>(topic, ("key-" + random.nextLong()).getBytes(StandardCharsets.UTF_8), value);
            case NO_KEY -> new ProducerRecord<>(topic, null, value);
            case CRC32_BY_TENANT -> new ProducerRecord<>(topic, crc32Partition(tenantKey, producer.partitionsFor(topic).size()), tenantKey,
                    value);
        };
        byPublisher.get(how).incrementAndGet();
        producer.send(record, (meta, e) -> {
            if (e != null) {
                failedSends.incrementAndGet();
            } else if (newId != null) {
                published.add(newId);
                synchronized (sent) {
                    sent.add(new PublishedRequest(tenant, tier, value));
                }
            } else {
                injected.incrementAndGet();
            }
        });
    }

    /** Where librdkafka's default partitioner (consistent_random) puts a keyed record. */
    static int crc32Partition(byte[] key, int partitions) {
        CRC32 crc = new CRC32();
        crc.update(key);
        return (int) (crc.getValue() % partitions);
    }

    void flush() {
        producer.flush();
    }

    Set<String> published() {
        return published;
    }

    long injectedDuplicates() {
        return injected.get();
    }

    long failedSends() {
        return failedSends.get();
    }

    Map<Publisher, AtomicLong> byPublisher() {
        return byPublisher;
    }

    @Override
    public void close() {
        producer.close();
    }
}
