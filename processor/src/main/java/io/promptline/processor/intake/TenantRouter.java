package io.promptline.processor.intake;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.Priority;
import io.promptline.processor.metrics.ProcessorMetrics;
import io.promptline.processor.output.DeadLetters;
import io.promptline.processor.output.FailureHeaders;
import io.promptline.processor.output.Origin;
import io.promptline.processor.ratelimit.TenantLines;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.nio.charset.StandardCharsets;
import java.time.Clock;

/**
 * The first step of a tier's topology: sends every request to the task that owns its tenant, so
 * that rate limits, dedupe and the ladder hold whatever partition its publisher chose (a key other
 * than the tenant, no key, librdkafka's CRC32 instead of Java's murmur2) and however many
 * partitions the tier topic has. Each request is re-keyed by its tenant and goes through Kafka
 * Streams' by-tenant repartition topic, whose partition count is fixed, so a tenant's task never
 * changes when partitions are added to the tier. A hot tenant's requests are keyed by its lines
 * ({@link TenantLines}) instead, one per request_id, so they spread over several tasks. Where it was first read travels in headers.
 *
 * <p>A record that is not a readable request, or is too large to copy anywhere, cannot be routed:
 * it is dead-lettered here (MALFORMED_INPUT with its bytes, or INVALID_REQUEST without them).
 */
public final class TenantRouter implements Processor<byte[], byte[], byte[], TenantRouter.Routed> {
    /** Headers a routed record carries through the repartition topic: where its publisher put it. */
    public static final String READ_TOPIC = "promptline.read.topic";
    public static final String READ_PARTITION = "promptline.read.partition";
    public static final String READ_OFFSET = "promptline.read.offset";

    /** Where a record goes: to its tenant's task, or to the DLQ. */
    public sealed interface Routed {
    }

    /** A request, keyed by its tenant, for the repartition topic. */
    public record ToTenant(byte[] value) implements Routed {
    }

    /** A record that cannot be routed, as its dead letter. */
    public record Rejected(DeadLetter letter) implements Routed {
    }

    private final RequestDecoder decoder;
    /** A hot tenant's requests go to its lines (several tasks); the others' to the tenant's one. */
    private final TenantLines lines;
    private final Priority tier;
    private final ProcessorMetrics metrics;
    private final Clock clock;
    private ProcessorContext<byte[], Routed> ctx;

    public TenantRouter(RequestDecoder decoder, Priority tier, TenantLines lines, ProcessorMetrics metrics, Clock clock) {
        this.lines = lines;
        this.decoder = decoder;
        this.tier = tier;
        this.metrics = metrics;
        this.clock = clock;
    }

    /**
     * The partition of the repartition topic (and the task) that owns {@code tenant} (not a hot
     * tenant's line): where Kafka's default partitioner puts its key, as {@link TenantLines#partition} decides.
     */
    public static int partitionOf(String tenant, int partitions) {
        return TenantLines.none().partition(tenant, partitions);
    }

    @Override
    public void init(ProcessorContext<byte[], Routed> context) {
        this.ctx = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        var meta = ctx.recordMetadata().orElseThrow();
        Origin origin = new Origin(meta.topic(), meta.partition(), meta.offset());
        RequestDecoder.Intake intake = decoder.decode(record.value(), record.headers(), origin);
        if (intake instanceof RequestDecoder.Decoded d && !d.request().getTenant().isBlank()) {
            Record<byte[], byte[]> routed = record.withKey(lines.of(d.request()).getBytes(StandardCharsets.UTF_8));
            FailureHeaders.put(routed.headers(), READ_TOPIC, origin.topic());
            FailureHeaders.put(routed.headers(), READ_PARTITION, Integer.toString(origin.partition()));
            FailureHeaders.put(routed.headers(), READ_OFFSET, Long.toString(origin.offset()));
            ctx.forward(routed.withValue(new ToTenant(record.value())));
            return;
        }
        DeadLetter letter;
        if (intake instanceof RequestDecoder.Oversized big) {
            letter = DeadLetters.oversized(big.request(), record.key(), big.reason(), origin, clock.instant());
        } else if (intake instanceof RequestDecoder.Malformed bad) {
            letter = DeadLetters.malformed(record.key(), record.value(), bad.reason(), origin, clock.instant());
        } else {
            letter = DeadLetters.of(((RequestDecoder.Decoded) intake).request(), ErrorCategory.INVALID_REQUEST, null,
                    "tenant must be a non-empty string", 0, null, null, origin, clock.instant());
        }
        metrics.deadLetter(tier, letter.getCategory());
        byte[] key = letter.getTenant() == null ? record.key() : letter.getTenant().getBytes(StandardCharsets.UTF_8);
        ctx.forward(new Record<byte[], Routed>(key, new Rejected(letter), record.timestamp(), FailureHeaders.describe(letter.getAttempts(),
                null, null, letter.getCategory(), null, letter.getMessage(), origin)));
    }

    /** Where a record was first read, from the headers this router added; {@code here} when they are absent or unreadable. */
    public static Origin origin(Headers headers, Origin here) {
        String read = FailureHeaders.text(headers, READ_TOPIC);
        if (read == null) return here;
        try {
            return new Origin(read, Integer.parseInt(FailureHeaders.text(headers, READ_PARTITION)),
                    Long.parseLong(FailureHeaders.text(headers, READ_OFFSET)));
        } catch (NumberFormatException e) {
            return here;
        }
    }
}
