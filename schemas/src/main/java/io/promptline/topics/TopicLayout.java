package io.promptline.topics;

import org.apache.kafka.clients.admin.NewTopic;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every topic a Promptline deployment uses, with its settings: request tiers, the delay ladder,
 * results, costs and dead letters (deleted after their retention), batch-job commands, and the
 * compacted tables (quotas, spend, hourly roll-ups, batch-job states). The local stack, the tests and the benchmark create topics
 * from here; {@code ops/topics.sh} documents the same for a shared cluster.
 */
public final class TopicLayout {
    /** The default delay ladder of the processor ({@code promptline.retry.delays}). */
    public static final List<Duration> DEFAULT_LADDER = List.of(Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofMinutes(10));
    private static final long DAY_MS = Duration.ofDays(1).toMillis();

    private TopicLayout() {
    }

    /**
     * @param partitions partitions of every topic (the request tiers must share one count: a tenant's
     *                   retries and quota land in the partition of its requests)
     * @param ladder     the processor's retry delays
     * @param replicas   replication factor
     */
    public static List<NewTopic> topics(Topics topics, int partitions, List<Duration> ladder, short replicas) {
        List<NewTopic> out = new ArrayList<>();
        for (String t : topics.allRequestTopics()) out.add(deleted(t, partitions, replicas, 7 * DAY_MS));
        for (Duration rung : ladder) {
            // Held records wait up to their rung's delay; keep them far longer than that.
            out.add(deleted(topics.retry(rung), partitions, replicas, Math.max(DAY_MS, 10 * rung.toMillis())));
        }
        out.add(deleted(topics.results(), partitions, replicas, 7 * DAY_MS));
        // Streamed pieces matter while the answer is being read; the result is the record kept.
        out.add(deleted(topics.resultsStream(), partitions, replicas, DAY_MS));
        out.add(deleted(topics.costs(), partitions, replicas, 30 * DAY_MS));
        out.add(deleted(topics.dlq(), partitions, replicas, 30 * DAY_MS));
        out.add(compacted(topics.quotas(), partitions, replicas));
        out.add(compacted(topics.spend(), partitions, replicas));
        out.add(compacted(topics.costsHourly(), partitions, replicas));
        out.add(compacted(topics.imports(), 1, replicas));
        out.add(compacted(topics.batchJobs(), partitions, replicas));
        out.add(deleted(topics.batchCommands(), partitions, replicas, 7 * DAY_MS));
        out.add(compacted(topics.capacity(), 1, replicas));
        return out;
    }

    private static NewTopic deleted(String name, int partitions, short replicas, long retentionMs) {
        return new NewTopic(name, partitions, replicas).configs(Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(retentionMs)));
    }

    private static NewTopic compacted(String name, int partitions, short replicas) {
        return new NewTopic(name, partitions, replicas).configs(Map.of("cleanup.policy", "compact"));
    }
}
