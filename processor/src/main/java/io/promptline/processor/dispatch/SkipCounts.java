package io.promptline.processor.dispatch;

import io.promptline.processor.intake.Claims;
import io.promptline.processor.metrics.TaskCounts;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How many records a task skipped as duplicates, by reason, kept in its changelogged store: a skip
 * counts once it commits with the record's offset, so the sum over all tasks is exact whatever
 * crashes and rebalances did. Written on the stream thread; read by the metrics from any thread.
 */
final class SkipCounts implements TaskCounts {
    static final List<String> REASONS = Arrays.stream(Claims.Duplicate.values()).map(Claims.Duplicate::tag).toList();

    private final KeyValueStore<String, Long> store;
    private final Map<String, Long> mirror = new ConcurrentHashMap<>();

    SkipCounts(KeyValueStore<String, Long> store) {
        this.store = store;
        for (String reason : REASONS) {
            Long n = store.get(reason);
            if (n != null) mirror.put(reason, n);
        }
    }

    void count(Claims.Duplicate duplicate) {
        long n = mirror.getOrDefault(duplicate.tag(), 0L) + 1;
        store.put(duplicate.tag(), n);
        mirror.put(duplicate.tag(), n);
    }

    @Override
    public long count(String reason) {
        return mirror.getOrDefault(reason, 0L);
    }
}
