package io.promptline.processor.retry;

import io.promptline.avro.Priority;
import io.promptline.processor.metrics.ProcessorMetrics;
import io.promptline.topics.DurationFormat;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.time.Duration;

/**
 * A dispatch task's way into the delay ladder: it forwards a request's original bytes, with its
 * {@link RetryHeaders}, to the sink of one rung, from which the {@link RetryRelay} brings it back
 * when due. Stream thread only.
 */
public final class Ladder {
    private final ProcessorContext<Object, Object> ctx;
    private final Priority tier;
    private final ProcessorMetrics metrics;

    public Ladder(ProcessorContext<Object, Object> ctx, Priority tier, ProcessorMetrics metrics) {
        this.ctx = ctx;
        this.tier = tier;
        this.metrics = metrics;
    }

    /** The name of the topology's sink for a rung. */
    public static String sinkName(Duration rung) {
        return "retry-" + DurationFormat.compact(rung) + "-sink";
    }

    /**
     * Sends the request to {@code rung}.
     *
     * @param reason an error category, or TENANT_RATE_LIMIT for a request waiting for its tenant's turn
     */
    public void send(String tenant, byte[] requestWire, Headers headers, Duration rung, long now, String reason) {
        ctx.forward(new Record<>(tenant, requestWire, now, headers), sinkName(rung));
        metrics.delayed(tier, reason);
    }
}
