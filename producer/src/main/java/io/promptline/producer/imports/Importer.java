package io.promptline.producer.imports;

import io.promptline.avro.PromptRequest;
import io.promptline.producer.Prompt;
import io.promptline.producer.TenantSigning;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.serde.AvroSerializer;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Streams an {@link ImportSource} into a tier topic, exactly once across interruptions: lines go
 * in transactions of at most {@code batchSize} lines (or one second), each committing its
 * records together with the import's checkpoint. A run that is killed loses only its open
 * transaction (aborted; read_committed consumers, the processor among them, never see it); the
 * next run with the same import id starts after the last committed line.
 */
public final class Importer {
    /** What an import did. */
    public record Report(long published, long skippedAlreadyDone, List<ImportRow> badLines, long lastLine, boolean interrupted,
                         double seconds) {
        public double ratePerSecond() {
            return seconds > 0 ? published / seconds : 0;
        }
    }

    /** Progress, called after every committed batch. */
    public interface Progress {
        void at(long line, long published, long bad);
    }

    private final Map<String, Object> kafka;
    private final SchemaRegistryClient registry;
    private final Topics topics;
    private final Clock clock;
    private int batchSize = 2_000;
    private Map<String, byte[]> tenantSecrets = Map.of();

    public Importer(Map<String, Object> kafka, SchemaRegistryClient registry, Topics topics, Clock clock) {
        this.kafka = kafka;
        this.registry = registry;
        this.topics = topics;
        this.clock = clock;
    }

    /** Tenant-auth mode: each tenant's requests carry the proof made with its secret (as the producer library signs). */
    public Importer tenantSecrets(Map<String, byte[]> secrets) {
        this.tenantSecrets = Map.copyOf(secrets);
        return this;
    }

    public Importer batchSize(int n) {
        this.batchSize = n;
        return this;
    }

    /**
     * @param perSecond rate cap in lines per second, 0 for none
     * @param stop      polled between lines: true stops after committing what was read
     */
    public Report run(ImportSource source, RowMapping mapping, double perSecond, BooleanSupplier stop, Progress progress) {
        String checkpoints = topics.imports();
        Map<String, Object> cfg = new HashMap<>(kafka);
        cfg.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "promptline-import-" + mapping.importId());
        cfg.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        cfg.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 20);
        cfg.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        cfg.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        List<ImportRow> bad = new ArrayList<>();
        long published = 0;
        long skipped = 0;
        long done;
        long last;
        long started = System.nanoTime();
        boolean interrupted = false;
        Serializer<PromptRequest> serializer = new AvroSerializer<>(registry, true);
        if (!tenantSecrets.isEmpty()) serializer = new TenantSigning(serializer, tenantSecrets);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(cfg, new StringSerializer(),
                (topic, bytes) -> bytes)) {
            producer.initTransactions(); // fences and aborts whatever a killed earlier run left open
            // Only now: a commit the earlier run left completing has finished, and an open transaction no longer holds
            // the read_committed end of the checkpoints topic back.
            done = ImportCheckpoints.lastLine(kafka, checkpoints, mapping.importId());
            last = done;
            int inBatch = 0;
            long batchStart = System.nanoTime();
            boolean open = false;
            while (source.hasNext()) {
                if (stop.getAsBoolean()) {
                    interrupted = true;
                    break;
                }
                ImportRow row = source.next();
                if (row.line() <= done) {
                    skipped++;
                    continue;
                }
                if (!open) {
                    producer.beginTransaction();
                    open = true;
                    batchStart = System.nanoTime();
                }
                Object mapped = row.error() != null ? row.error() : mapping.map(row);
                if (mapped instanceof Prompt p) {
                    PromptRequest r = p.toRequest(clock);
                    String topic = topics.requests(r.getPriority());
                    RecordHeaders headers = new RecordHeaders();
                    byte[] value = serializer.serialize(topic, headers, r);
                    producer.send(new ProducerRecord<>(topic, null, r.getTenant(), value, headers));
                    published++;
                } else {
                    bad.add(ImportRow.bad(row.line(), (String) mapped));
                }
                last = row.line();
                inBatch++;
                pace(perSecond, published + bad.size(), started);
                if (inBatch >= batchSize || System.nanoTime() - batchStart > 1_000_000_000L) {
                    commit(producer, checkpoints, mapping.importId(), last);
                    open = false;
                    inBatch = 0;
                    progress.at(last, published, bad.size());
                }
            }
            if (open) {
                commit(producer, checkpoints, mapping.importId(), last);
                progress.at(last, published, bad.size());
            }
        }
        return new Report(published, skipped, bad, last, interrupted, (System.nanoTime() - started) / 1e9);
    }

    private static void commit(KafkaProducer<String, byte[]> producer, String checkpoints, String importId, long line) {
        producer.send(new ProducerRecord<>(checkpoints, importId, Long.toString(line).getBytes(StandardCharsets.UTF_8)));
        producer.commitTransaction();
    }

    private static void pace(double perSecond, long count, long startedNanos) {
        if (perSecond <= 0) return;
        long dueNanos = startedNanos + (long) (count / perSecond * 1e9);
        long wait = dueNanos - System.nanoTime();
        if (wait > 0) {
            try {
                Thread.sleep(Duration.ofNanos(wait).toMillis(), (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
