package io.promptline.processor.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.Priority;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The processor's meters (Prometheus names in brackets):
 * <ul>
 *   <li>calls by tier, model and outcome ({@code promptline_calls_total}; outcome is {@code ok} or an error category),
 *       their latency ({@code promptline_call_latency_seconds}) and 429 answers ({@code promptline_rate_limited_total});</li>
 *   <li>calls in flight per tier ({@code promptline_calls_in_flight}) and the limit;</li>
 *   <li>results by tier and model with end-to-end latency from created_at ({@code promptline_end_to_end_seconds});</li>
 *   <li>dead letters by tier and category ({@code promptline_dead_letters_total});</li>
 *   <li>spend in micro-units by tenant (bounded: {@link TenantLabels}), model, currency, billing mode and whether estimated ({@code promptline_spend_micros_total}),
 *       calls without a price ({@code promptline_unpriced_calls_total}) and calls whose answers were lost and made again
 *       ({@code promptline_unconfirmed_calls_total});</li>
 *   <li>Batch API jobs by event ({@code promptline_batch_jobs_total}) and their requests by outcome
 *       ({@code promptline_batch_requests_total});</li>
 *   <li>records skipped as duplicates by reason ({@code promptline_duplicates_total}) and admitted requests kept only in the
 *       store while their task was full ({@code promptline_pending_overflow_total}).</li>
 * </ul>
 * Thread-safe: recorded from stream threads and Vert.x threads.
 */
public final class ProcessorMetrics {
    private final MeterRegistry registry;
    private final TenantLabels tenants;
    /** Per tier, the duplicate counts of the tasks this instance runs now. */
    private final Map<Priority, Set<TaskCounts>> duplicateCounts = new ConcurrentHashMap<>();

    public ProcessorMetrics(MeterRegistry registry) {
        this(registry, TenantLabels.unbounded());
    }

    /** @param tenants the values the {@code tenant} label may take */
    public ProcessorMetrics(MeterRegistry registry, TenantLabels tenants) {
        this.registry = registry;
        this.tenants = tenants;
    }

    /** Meters kept in memory only, for tests and tools that do not export them. */
    public static ProcessorMetrics inMemory() {
        return new ProcessorMetrics(new SimpleMeterRegistry());
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Gauges of the calls in flight per tier and of the JVM-wide limit. */
    public void bindInFlight(InFlightCalls calls) {
        for (Priority tier : Priority.values()) {
            Gauge.builder("promptline.calls.in.flight", calls, c -> c.inFlight(tier)).tag("tier", tag(tier))
                    .description("LLM calls open now").register(registry);
        }
        Gauge.builder("promptline.calls.in.flight.limit", calls, InFlightCalls::limit)
                .description("JVM-wide limit of concurrent LLM calls").register(registry);
    }

    /** Breaker state (0 closed, 1 open, 2 half-open, 3 other) and adaptive concurrency limit per endpoint. */
    public void bindEndpoints(List<? extends EndpointGauges> endpoints) {
        for (EndpointGauges e : endpoints) {
            Gauge.builder("promptline.breaker.state", e, EndpointGauges::breakerGauge)
                    .tag("provider", e.provider()).tag("endpoint", e.baseUrl()).tag("deployment", e.name())
                    .description("Circuit breaker: 0 closed, 1 open, 2 half-open, 3 disabled/metrics-only").register(registry);
            Gauge.builder("promptline.endpoint.misconfigured", e, EndpointGauges::misconfigured)
                    .tag("provider", e.provider()).tag("endpoint", e.baseUrl()).tag("deployment", e.name())
                    .description("1 while the endpoint answers 401/403/404/insufficient_quota: its calls wait for a fix instead of failing")
                    .register(registry);
            Gauge.builder("promptline.endpoint.concurrency.limit", e, EndpointGauges::concurrencyLimit)
                    .tag("provider", e.provider()).tag("endpoint", e.baseUrl()).tag("deployment", e.name())
                    .description("Adaptive limit of concurrent calls to the endpoint (halves on 429)").register(registry);
            Gauge.builder("promptline.deployment.share", e, EndpointGauges::share)
                    .tag("provider", e.provider()).tag("deployment", e.name())
                    .description("This instance's share of the deployment's requests and tokens per minute (limits held by all instances together)")
                    .register(registry);
        }
    }

    /** One finished call: {@code category} null means it answered successfully. */
    public void call(Priority tier, String model, ErrorCategory category, Integer httpStatus, long latencyMs) {
        String outcome = category == null ? "ok" : category.name();
        Counter.builder("promptline.calls").tag("tier", tag(tier)).tag("model", model).tag("outcome", outcome)
                .description("LLM calls finished").register(registry).increment();
        Timer.builder("promptline.call.latency").tag("tier", tag(tier)).tag("model", model)
                .publishPercentileHistogram().maximumExpectedValue(Duration.ofMinutes(5))
                .description("Time from sending a call to its complete answer").register(registry)
                .record(latencyMs, TimeUnit.MILLISECONDS);
        if (httpStatus != null && httpStatus == 429) {
            Counter.builder("promptline.rate.limited").tag("tier", tag(tier)).tag("model", model)
                    .description("429 answers from providers").register(registry).increment();
        }
    }

    public void result(Priority tier, String model, long endToEndMs) {
        Counter.builder("promptline.results").tag("tier", tag(tier)).tag("model", model)
                .description("Results published").register(registry).increment();
        Timer.builder("promptline.end.to.end").tag("tier", tag(tier))
                .publishPercentileHistogram().maximumExpectedValue(Duration.ofHours(1))
                .description("From the request's created_at to its result").register(registry)
                .record(Math.max(0, endToEndMs), TimeUnit.MILLISECONDS);
    }

    public void deadLetter(Priority tier, ErrorCategory category) {
        Counter.builder("promptline.dead.letters").tag("tier", tag(tier)).tag("category", category.name())
                .description("Requests sent to the dead-letter topic").register(registry).increment();
    }

    /** A request sent to the delay ladder: {@code reason} is an error category, or TENANT_RATE_LIMIT for a tenant's own limit. */
    public void delayed(Priority tier, String reason) {
        Counter.builder("promptline.retries").tag("tier", tag(tier)).tag("reason", reason)
                .description("Requests sent to the delay ladder (retries and tenants waiting for their rate limit)").register(registry).increment();
    }

    /** A record not processed because its request is answered, in flight or parked ({@code reason}, lower case). */
    public void duplicate(Priority tier, String reason) {
        Counter.builder("promptline.duplicates").tag("tier", tag(tier)).tag("reason", reason)
                .description("Records skipped as duplicates of a request answered, in flight or parked, by reason").register(registry).increment();
    }

    /**
     * Adds a task's committed duplicate counts to the gauge {@code promptline_duplicates_committed}
     * (tier, reason): the sum over the tasks this instance runs, so the sum over all instances is the
     * exact number of duplicates skipped, whatever crashes or rebalances did (unlike the counter,
     * which restarts with the process and counts skips in transactions that were later aborted).
     */
    public void addDuplicateCounts(Priority tier, List<String> reasons, TaskCounts counts) {
        duplicateCounts.computeIfAbsent(tier, t -> {
            Set<TaskCounts> tasks = ConcurrentHashMap.newKeySet();
            for (String reason : reasons) {
                Gauge.builder("promptline.duplicates.committed", tasks, all -> all.stream().mapToLong(c -> c.count(reason)).sum())
                        .tag("tier", tag(t)).tag("reason", reason)
                        .description("Duplicates skipped, as committed in the state of the tasks this instance runs").register(registry);
            }
            return tasks;
        }).add(counts);
    }

    public void removeDuplicateCounts(Priority tier, TaskCounts counts) {
        Set<TaskCounts> tasks = duplicateCounts.get(tier);
        if (tasks != null) tasks.remove(counts);
    }

    /** A piece of a streamed answer that could not be written to the results stream (the result still follows). */
    public void streamPieceLost(Priority tier) {
        Counter.builder("promptline.stream.pieces.lost").tag("tier", tag(tier))
                .description("Pieces of streamed answers not written to the results stream").register(registry).increment();
    }

    /** An admitted request kept only in the pending store because its task held as many as it may in memory. */
    public void overflow(Priority tier) {
        Counter.builder("promptline.pending.overflow").tag("tier", tag(tier))
                .description("Admitted requests stored without being loaded (the task was full); loaded as room frees").register(registry).increment();
    }

    /**
     * A cost event's spend, by how the provider bills it (SYNC or BATCH_API) and whether the usage is Promptline's estimate;
     * the tenant label bounded by {@link TenantLabels}.
     */
    public void spend(String tenant, String model, String currency, String billingMode, boolean estimated, long micros) {
        Counter.builder("promptline.spend.micros").tag("tenant", tenants.of(tenant)).tag("model", model).tag("currency", currency)
                .tag("billing_mode", billingMode).tag("estimated", Boolean.toString(estimated))
                .description("Cost of billable calls in micro-units of the currency").register(registry).increment(micros);
    }

    /** A call recorded without a price (policy 'record'): its real cost is unknown. */
    public void unpriced(Priority tier, String provider, String model) {
        Counter.builder("promptline.unpriced.calls").tag("tier", tag(tier)).tag("provider", provider).tag("model", model)
                .description("Calls of models the price table does not price, recorded with cost 0 and unpriced=true").register(registry)
                .increment();
    }

    /** A call whose answer was lost (crash, or a rebalance's wait ran out) and that was made again: billed by estimate. */
    public void unconfirmed(Priority tier) {
        Counter.builder("promptline.unconfirmed.calls").tag("tier", tag(tier))
                .description("Calls whose answers were lost and that were made again; each has an estimated cost event").register(registry)
                .increment();
    }

    /** A batch job event: submitted, adopted (found already submitted), ended_&lt;status&gt;. */
    public void batchJob(Priority tier, String event) {
        Counter.builder("promptline.batch.jobs").tag("tier", tag(tier)).tag("event", event)
                .description("Batch API jobs by event").register(registry).increment();
    }

    /** Requests through the Batch API by outcome: gathered, answered, returned (to synchronous calls), dead_lettered. */
    public void batchRequests(Priority tier, String outcome, int n) {
        if (n <= 0) return;
        Counter.builder("promptline.batch.requests").tag("tier", tag(tier)).tag("outcome", outcome)
                .description("Requests through provider Batch API jobs, by outcome").register(registry).increment(n);
    }

    private static String tag(Priority tier) {
        return tier.name().toLowerCase(Locale.ROOT);
    }
}
