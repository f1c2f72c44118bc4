package io.promptline.topics;

import io.promptline.avro.Priority;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The names of Promptline's topics. Defaults follow the design ({@code llm.requests.normal},
 * {@code llm.results}, ...); a prefix-free rename is possible per deployment by passing a
 * different base, and tests use {@link #withBase(String)} to get unique topics per test.
 *
 * @param base the common prefix, {@code llm} by default
 */
public record Topics(String base) {
    public static final String DEFAULT_BASE = "llm";

    public Topics {
        Objects.requireNonNull(base, "base");
        if (base.isBlank() || !base.matches("[a-zA-Z0-9._-]+")) {
            throw new IllegalArgumentException("topic base '" + base + "' must be non-empty and use only [a-zA-Z0-9._-]");
        }
    }

    public static Topics defaults() {
        return new Topics(DEFAULT_BASE);
    }

    public static Topics withBase(String base) {
        return new Topics(base);
    }

    /** {@code llm.requests.urgent|normal|batch}. */
    public String requests(Priority priority) {
        return base + ".requests." + priority.name().toLowerCase(Locale.ROOT);
    }

    public List<String> allRequestTopics() {
        return List.of(requests(Priority.URGENT), requests(Priority.NORMAL), requests(Priority.BATCH));
    }

    public String results() {
        return base + ".results";
    }

    /** {@code llm.results.stream}: the pieces of streamed answers as they arrive (ResultDelta, keyed by request_id). */
    public String resultsStream() {
        return base + ".results.stream";
    }

    public String costs() {
        return base + ".costs";
    }

    /**
     * The processors' heartbeats (compacted, keyed by instance id, one partition): which
     * deployments each instance is calling, from which each takes its share of their limits.
     */
    public String capacity() {
        return base + ".capacity";
    }

    public String dlq() {
        return base + ".dlq";
    }

    public String quotas() {
        return base + ".quotas";
    }

    /** Spend and tokens per tenant, model, currency and hour (CostRollup), kept by the cost roll-up. */
    public String costsHourly() {
        return base + ".costs.hourly";
    }

    /** Spend per tenant, currency and budget period (SpendTotal, compacted): what budgets are checked against. */
    public String spend() {
        return base + ".spend";
    }

    /** Checkpoints of the CLI's imports (internal, compacted: import id → last line committed). */
    public String imports() {
        return base + ".imports";
    }

    /** The state of each batch job (BatchJobStatus, compacted, keyed by job id), written by the processor. */
    public String batchJobs() {
        return base + ".batch.jobs";
    }

    /**
     * Commands for batch jobs (BatchCommand, keyed by job id), read by the batch tier's tasks: a
     * command goes to the partition of the job's task, so the topic has as many partitions as the
     * tier's by-tenant repartition topic.
     */
    public String batchCommands() {
        return base + ".batch.commands";
    }

    /** A rung of the retry delay ladder, e.g. {@code llm.retry.10s}. */
    public String retry(Duration delay) {
        return base + ".retry." + DurationFormat.compact(delay);
    }
}
