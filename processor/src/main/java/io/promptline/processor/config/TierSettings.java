package io.promptline.processor.config;

import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.processor.cost.Billing;
import io.promptline.processor.intake.TenantAuth;
import io.promptline.processor.ratelimit.Limits;
import io.promptline.processor.ratelimit.TenantLines;
import io.promptline.processor.retry.RetryPolicy;
import io.promptline.processor.routing.ContextRouting;
import io.promptline.processor.routing.Router;
import io.promptline.registry.SchemaRegistryClient;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * What a tier's dispatch tasks need besides the shared {@code CallGateway}.
 *
 * @param maxPending      admitted requests a task holds in memory (queued or in flight); above it the task waits for
 *                        room, then keeps what it admits in its pending store only, to load as room frees
 * @param maxBlock        longest a task waits for room per punctuation (stays far below the transaction timeout)
 * @param dedupeRetention how long a completed request_id is remembered
 * @param rateLimits      the tier's default tenant limits and how waiting for them works
 * @param intake          what intake takes in and where it sends each tenant
 * @param tenantAuth      the tenants' secrets when every request must prove its tenant, else null
 * @param saturatedApply  while the tier waits for room, how often a task applies finished calls (then commits)
 */
public record TierSettings(Priority tier, SchemaRegistryClient registry, Router router, ContextRouting context, Billing billing,
                           int maxPending, Duration drainInterval, Duration maxBlock, Duration dedupeRetention,
                           RetryPolicy retry, RateLimits rateLimits, Intake intake, BatchApi batchApi, TenantAuth tenantAuth,
                           Duration saturatedApply) {
    /** The default of {@code promptline.processor.saturated.apply.interval.ms}. */
    public static final Duration SATURATED_APPLY_DEFAULT = Duration.ofMillis(25);


    public TierSettings(Priority tier, SchemaRegistryClient registry, Router router, ContextRouting context, Billing billing,
                        int maxPending, Duration drainInterval, Duration maxBlock, Duration dedupeRetention,
                        RetryPolicy retry, RateLimits rateLimits, Intake intake) {
        this(tier, registry, router, context, billing, maxPending, drainInterval, maxBlock, dedupeRetention, retry, rateLimits, intake,
                BatchApi.off(), null, SATURATED_APPLY_DEFAULT);
    }

    /** With another Batch API policy. */
    public TierSettings withBatchApi(BatchApi b) {
        return new TierSettings(tier, registry, router, context, billing, maxPending, drainInterval, maxBlock, dedupeRetention, retry,
                rateLimits, intake, b, tenantAuth, saturatedApply);
    }

    /** With tenant authorization (null: off). */
    public TierSettings withTenantAuth(TenantAuth auth) {
        return new TierSettings(tier, registry, router, context, billing, maxPending, drainInterval, maxBlock, dedupeRetention, retry,
                rateLimits, intake, batchApi, auth, saturatedApply);
    }

    /** With another interval between applying finished calls while saturated. */
    public TierSettings withSaturatedApply(Duration interval) {
        return new TierSettings(tier, registry, router, context, billing, maxPending, drainInterval, maxBlock, dedupeRetention, retry,
                rateLimits, intake, batchApi, tenantAuth, interval);
    }

    /**
     * How the batch tier uses a provider Batch API.
     *
     * @param tenants        the tenants that may use it; empty: all
     * @param minDeadline    a request due sooner than this is called synchronously
     * @param gather         how long a job gathers requests before it is submitted (unless full first)
     * @param maxOpenJobs    jobs a task keeps submitted and unfinished at once
     * @param retryToSync    a line that failed for a reason a retry may fix is called synchronously (else dead-lettered)
     * @param workDir        where job files (input JSONL, downloaded output) are written
     */
    public record BatchApi(Mode mode, Set<String> tenants, Duration minDeadline, int maxRequestsPerJob, long maxBytesPerJob,
                           Duration gather, int maxOpenJobs, Duration pollInterval, boolean retryToSync, Path workDir) {
        public enum Mode { OFF, OPT_IN, DEFAULT }

        public static BatchApi off() {
            return new BatchApi(Mode.OFF, Set.of(), Duration.ofHours(25), 50_000, 190_000_000L, Duration.ofMinutes(1), 4,
                    Duration.ofSeconds(30), true, Path.of(System.getProperty("java.io.tmpdir"), "promptline-batch-jobs"));
        }

        /** Whether a batch-tier request may go through the Batch API: by the mode, its own flag, its tenant and its deadline. */
        public boolean admits(PromptRequest r, Instant now) {
            // A streamed answer is read as it comes: a batch job answers hours later, whole
            if (mode == Mode.OFF || Boolean.FALSE.equals(r.getBatchApi()) || r.getStream()) return false;
            if (mode == Mode.OPT_IN && !Boolean.TRUE.equals(r.getBatchApi())) return false;
            if (!tenants.isEmpty() && !tenants.contains(r.getTenant())) return false;
            return r.getDeadline() == null || !r.getDeadline().isBefore(now.plus(minDeadline));
        }
    }

    /**
     * @param maxRequestBytes  a request larger than this (serialized) is dead-lettered as INVALID_REQUEST; stores, the
     *                         ladder and outputs are sized to hold what is admitted
     * @param tenantPartitions partitions of the tier's by-tenant repartition topic: a tenant's requests are all processed by
     *                         task murmur2(tenant) mod this, whatever partition their publisher chose and however many
     *                         partitions the tier topic has
     */
    public record Intake(int maxRequestBytes, int tenantPartitions) {
        public Intake {
            if (maxRequestBytes < 1024) throw new IllegalArgumentException("max request bytes must be >= 1024, was " + maxRequestBytes);
            if (tenantPartitions < 1) throw new IllegalArgumentException("tenant partitions must be >= 1, was " + tenantPartitions);
        }
    }

    /**
     * @param defaults           a tenant's limits on this tier unless its quota says otherwise
     * @param burstFraction      share of the per-minute limits that may go at once
     * @param maxHold            a request whose turn is further away waits in the delay ladder, keeping its turn
     * @param completionEstimate completion tokens charged up front when max_tokens is not set
     * @param lines              the tenants' lines: hot tenants spread over several tasks, their limits split exactly
     */
    public record RateLimits(Limits defaults, double burstFraction, Duration maxHold, int completionEstimate, TenantLines lines) {
        public RateLimits(Limits defaults, double burstFraction, Duration maxHold, int completionEstimate) {
            this(defaults, burstFraction, maxHold, completionEstimate, TenantLines.none());
        }

        public static RateLimits unlimited() {
            return new RateLimits(Limits.UNLIMITED, 0.05, Duration.ofSeconds(15), 1024);
        }
    }
}
