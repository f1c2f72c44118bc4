package io.promptline.processor.config;

import io.promptline.avro.Priority;
import io.promptline.config.ConfigSources;
import io.promptline.config.PromptlineConfig;
import io.promptline.pricing.PriceTable;
import io.promptline.processor.cost.Billing;
import io.promptline.processor.intake.TenantAuth;
import io.promptline.processor.provider.Endpoint;
import io.promptline.processor.provider.ProviderApi;
import io.promptline.processor.ratelimit.Limits;
import io.promptline.processor.ratelimit.TenantLines;
import io.promptline.processor.retry.RetryPolicy;
import io.promptline.processor.routing.ContextRouting;
import io.promptline.processor.routing.Router;
import io.promptline.processor.routing.RoutingRules;
import io.promptline.topics.DurationFormat;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The processor's configuration: every key with its default, documentation and validator.
 * Loaded from an optional properties file plus environment overrides ({@link ConfigSources}).
 * Kafka Streams settings pass through with the {@code kafka.} prefix.
 */
public final class ProcessorConfig extends PromptlineConfig {
    public static final String APPLICATION_ID_CONFIG = "promptline.processor.application.id";
    private static final String APPLICATION_ID_DOC = "Kafka Streams application.id prefix; each tier runs as <prefix>-<tier> with its own consumer group.";
    public static final String TIERS_CONFIG = "promptline.processor.tiers";
    private static final String TIERS_DOC = "Priority tiers this processor consumes (URGENT, NORMAL, BATCH).";
    public static final String MAX_IN_FLIGHT_CONFIG = "promptline.processor.max.in.flight";
    private static final String MAX_IN_FLIGHT_DOC = "Global limit of concurrent LLM calls in this JVM, shared by all tiers.";
    public static final String NORMAL_SHARE_CONFIG = "promptline.processor.normal.share";
    private static final String NORMAL_SHARE_DOC = "Normal calls may start only while fewer than this fraction of max.in.flight calls are in flight; the rest is urgent headroom.";
    public static final String BATCH_SHARE_CONFIG = "promptline.processor.batch.share";
    private static final String BATCH_SHARE_DOC = "Batch calls may start only while fewer than this fraction of max.in.flight calls are in flight (at most the normal share).";
    public static final String DEDUPE_RETENTION_MS_CONFIG = "promptline.processor.dedupe.retention.ms";
    private static final String DEDUPE_RETENTION_MS_DOC = "How long a completed request_id is remembered: a request published again within it is not called or billed again.";
    public static final String MAX_PENDING_PER_TASK_CONFIG = "promptline.processor.max.pending.per.task";
    private static final String MAX_PENDING_PER_TASK_DOC = "Requests admitted but not completed per task; above it the task waits in short slices, and Kafka holds the backlog.";
    public static final String DRAIN_INTERVAL_MS_CONFIG = "promptline.processor.drain.interval.ms";
    private static final String DRAIN_INTERVAL_MS_DOC = "Wall-clock period of the punctuator that applies completed calls on the stream thread.";
    public static final String COMMIT_INTERVAL_MS_CONFIG = "promptline.processor.commit.interval.ms";
    private static final String COMMIT_INTERVAL_MS_DOC = "How often the normal and batch tiers commit (exactly-once transactions): results become readable (read_committed) at commits.";
    public static final String SATURATED_APPLY_INTERVAL_MS_CONFIG = "promptline.processor.saturated.apply.interval.ms";
    private static final String SATURATED_APPLY_INTERVAL_MS_DOC = "While a tier waits for room (saturated), how often its tasks apply finished calls; each time is "
            + "followed at once by a commit, so that no transaction stays open on the results while the task waits. The drain interval "
            + "here commits after every punctuation; longer means fewer commits (finished calls wait at most this long).";
    public static final String URGENT_COMMIT_INTERVAL_MS_CONFIG = "promptline.processor.urgent.commit.interval.ms";
    private static final String URGENT_COMMIT_INTERVAL_MS_DOC = "How often the urgent tier commits: shorter than the others, since its results are waited for.";
    public static final String STREAM_THREADS_CONFIG = "promptline.processor.stream.threads";
    private static final String STREAM_THREADS_DOC = "Stream threads per tier.";
    public static final String METRICS_TENANTS_CONFIG = "promptline.metrics.tenants";
    private static final String METRICS_TENANTS_DOC = "Tenants whose spend metrics always carry their name in the tenant label.";
    public static final String METRICS_TENANT_LIMIT_CONFIG = "promptline.metrics.tenant.limit";
    private static final String METRICS_TENANT_LIMIT_DOC = "Other tenants labelled by name in the spend metrics, the first met by this process; "
            + "later ones are counted under tenant=\"other\", so many tenants do not make many series. 0: only the named ones.";
    public static final String TENANT_AUTH_SECRETS_FILE_CONFIG = "promptline.tenant.auth.secrets.file";
    private static final String TENANT_AUTH_SECRETS_FILE_DOC = "Tenant authorization: a file of tenant=base64 secret lines (a mounted secret). "
            + "When set, every request must carry a proof made with its tenant's secret (header promptline.tenant.proof, which the "
            + "producer library adds when given the secret) or it is dead-lettered as UNAUTHORIZED, never called nor billed. Empty: off.";
    public static final String TENANT_SHARDS_CONFIG = "promptline.processor.tenant.shards";
    private static final String TENANT_SHARDS_DOC = "Hot tenants spread over several tasks (and so instances): tenant=N pairs, e.g. acme=6. "
            + "Each of a tenant's requests goes to one of its N lines by its request_id; the tenant's limits are split exactly "
            + "between the lines. N at most the tier's tenant partitions is useful.";
    public static final String STANDBY_REPLICAS_CONFIG = "promptline.processor.standby.replicas";
    private static final String STANDBY_REPLICAS_DOC = "Standby replicas of each task's state on other instances (Kafka Streams' num.standby.replicas): "
            + "1 lets a task move to an instance that already holds its stores (pending calls, the dedupe window), so a crashed "
            + "instance's tasks resume in seconds instead of after a restore from the changelogs.";
    public static final String ROCKSDB_CACHE_BYTES_CONFIG = "promptline.processor.rocksdb.cache.bytes";
    private static final String ROCKSDB_CACHE_BYTES_DOC = "Off-heap bytes for RocksDB in this process: one block cache shared by every "
            + "store of every tier, memtables, index and filter blocks included.";
    public static final String ROCKSDB_WRITE_BUFFER_BYTES_CONFIG = "promptline.processor.rocksdb.write.buffer.bytes";
    private static final String ROCKSDB_WRITE_BUFFER_BYTES_DOC = "Of " + "promptline.processor.rocksdb.cache.bytes, the bytes memtables may take.";
    public static final String STATE_DIR_CONFIG = "promptline.processor.state.dir";
    private static final String STATE_DIR_DOC = "Directory of the local state stores (pending calls).";
    public static final String LLM_BASE_URL_CONFIG = "promptline.llm.base.url";
    private static final String LLM_BASE_URL_DOC = "Base URL of the OpenAI-compatible API, up to /v1; /chat/completions is appended.";
    public static final String LLM_API_KEY_CONFIG = "promptline.llm.api.key";
    private static final String LLM_API_KEY_DOC = "API key sent as a bearer token. Secret: set PROMPTLINE_LLM_API_KEY or PROMPTLINE_LLM_API_KEY_FILE; never logged.";
    public static final String DEPLOYMENTS_FILE_CONFIG = "promptline.llm.deployments.file";
    private static final String DEPLOYMENTS_FILE_DOC = "A JSON file of provider deployments (base URL, key from the environment or a file, "
            + "models, rpm, tpm, max_concurrency, urgent_reserve): calls are balanced between the deployments of a model and spill to a "
            + "sibling when one is throttled; each deployment's limits hold for all instances together. Empty: the one endpoint of "
            + "promptline.llm.base.url, without limits of its own.";
    public static final String LLM_PROVIDER_CONFIG = "promptline.llm.provider";
    private static final String LLM_PROVIDER_DOC = "Provider name recorded on results and used to look up prices (e.g. openai, holysheep, simulator).";
    public static final String LLM_API_CONFIG = "promptline.llm.api";
    private static final String LLM_API_DOC = "The API the endpoint speaks: openai (OpenAI chat completions, which most servers speak; "
            + "a bearer key), azure (Azure OpenAI: the base URL is a deployment's, with ?api-version=; an api-key header) or anthropic "
            + "(the Messages API, base URL https://api.anthropic.com/v1; an x-api-key header).";
    public static final String LLM_TIMEOUT_MS_CONFIG = "promptline.llm.timeout.ms";
    private static final String LLM_TIMEOUT_MS_DOC = "Timeout of one call, from sending the request to the complete response.";
    public static final String LLM_CONNECT_TIMEOUT_MS_CONFIG = "promptline.llm.connect.timeout.ms";
    private static final String LLM_CONNECT_TIMEOUT_MS_DOC = "TCP connect timeout to the provider.";
    public static final String DEFAULT_MODEL_CONFIG = "promptline.llm.default.model";
    private static final String DEFAULT_MODEL_DOC = "Model used when a request names neither a model nor a task type.";
    public static final String ROUTES_CONFIG = "promptline.routing.task.types";
    private static final String ROUTES_DOC = "task_type=model routes for requests that name no model (after the routing rules).";
    public static final String ROUTING_RULES_FILE_CONFIG = "promptline.routing.rules.file";
    private static final String ROUTING_RULES_FILE_DOC = "A JSON file of routing rules, tried in order for a request that names no model before its "
            + "task_type route: keywords or a regex on the user messages' text, metadata, tenant, task type and prompt-length tiers "
            + "(see RoutingRules); empty: none.";
    public static final String PRICE_TABLE_CONFIG = "promptline.processor.price.table";
    private static final String PRICE_TABLE_DOC = "Path of a price table JSON file (rows per provider and model, each with an optional version and effective_from); empty uses the built-in table.";
    public static final String BATCH_API_MODE_CONFIG = "promptline.processor.batch.api.mode";
    private static final String BATCH_API_MODE_DOC = "Batch tier requests answered through the provider's Batch API (OpenAI Files + Batches: half price, results within 24 h): 'off'; 'opt-in', only requests with batch_api=true; 'default', every batch-tier request unless batch_api=false. Requests whose deadline is nearer than promptline.processor.batch.api.min.deadline.ms always go the synchronous way.";
    public static final String BATCH_API_TENANTS_CONFIG = "promptline.processor.batch.api.tenants";
    private static final String BATCH_API_TENANTS_DOC = "Tenants whose requests may use the Batch API; empty: every tenant.";
    public static final String BATCH_API_MIN_DEADLINE_MS_CONFIG = "promptline.processor.batch.api.min.deadline.ms";
    private static final String BATCH_API_MIN_DEADLINE_MS_DOC = "A request with a deadline is sent through the Batch API only if the deadline is at least this far away (the provider's completion window is 24 h).";
    public static final String BATCH_API_MAX_REQUESTS_CONFIG = "promptline.processor.batch.api.max.requests.per.job";
    private static final String BATCH_API_MAX_REQUESTS_DOC = "Requests per batch job at most (OpenAI allows 50,000).";
    public static final String BATCH_API_MAX_BYTES_CONFIG = "promptline.processor.batch.api.max.bytes.per.job";
    private static final String BATCH_API_MAX_BYTES_DOC = "Bytes of a job's JSONL input file at most (OpenAI allows 200 MB).";
    public static final String BATCH_API_GATHER_MS_CONFIG = "promptline.processor.batch.api.gather.ms";
    private static final String BATCH_API_GATHER_MS_DOC = "How long a job gathers requests before it is submitted (unless it fills up first).";
    public static final String BATCH_API_MAX_OPEN_JOBS_CONFIG = "promptline.processor.batch.api.max.open.jobs";
    private static final String BATCH_API_MAX_OPEN_JOBS_DOC = "Jobs a task keeps submitted and unfinished at the provider at once; further full jobs wait.";
    public static final String BATCH_API_POLL_MS_CONFIG = "promptline.processor.batch.api.poll.ms";
    private static final String BATCH_API_POLL_MS_DOC = "How often a submitted job's status is asked for.";
    public static final String BATCH_API_ON_FAILURE_CONFIG = "promptline.processor.batch.api.on.failure";
    private static final String BATCH_API_ON_FAILURE_DOC = "Where a request goes whose batch line did not answer for a reason a retry may fix (the job expired or was cancelled, a 5xx or 429 line, a line missing from the output): 'sync', called synchronously at the full price; 'dlq', dead-lettered. Lines refused for the request itself (400, content policy) are dead-lettered either way.";
    public static final String UNPRICED_MODELS_CONFIG = "promptline.processor.unpriced.models";
    private static final String UNPRICED_MODELS_DOC = "A request for a model the price table does not price: 'reject' dead-letters it as INVALID_REQUEST without a call; 'record' calls it and records its cost event as unpriced (cost 0, currency XXX, unpriced=true), counted by promptline_unpriced_calls_total and alerted on.";

    public static final String MAX_REQUEST_BYTES_CONFIG = "promptline.processor.max.request.bytes";
    private static final String MAX_REQUEST_BYTES_DOC = "A request larger than this (its serialized bytes) goes to the DLQ as INVALID_REQUEST without a call; an answer larger than this too. The pending store's changelog and the producer's max.request.size are sized for it (this + 128 KiB); raise the topics' max.message.bytes with it.";
    public static final String TENANT_PARTITIONS_CONFIG = "promptline.processor.tenant.partitions";
    private static final String TENANT_PARTITIONS_DOC = "Partitions of each tier's by-tenant repartition topic: a tenant's requests are processed by task murmur2(tenant) mod this, whatever partition their publisher chose. 0: the tier topic's partitions when the repartition topic is first made, and its own count after that (it cannot change without resetting the application).";
    public static final String INSTANCE_ID_CONFIG = "promptline.processor.instance.id";
    private static final String INSTANCE_ID_DOC = "This instance's stable name, in the retry relay's transactional.id, so that a restarted instance fences what a crashed one left open. Empty: a name kept in the state directory (stable across restarts of the same instance; give each instance its own state directory).";
    public static final String FAULT_PAUSE_MS_CONFIG = "promptline.provider.fault.pause.ms";
    private static final String FAULT_PAUSE_MS_DOC = "How long an endpoint that answered 401, 403, 404 or insufficient_quota gets no call before one probe; its requests wait (deadlines apply) instead of being dead-lettered, and promptline_endpoint_misconfigured is 1.";

    public static final String FALLBACK_BASE_URLS_CONFIG = "promptline.llm.fallback.base.urls";
    private static final String FALLBACK_BASE_URLS_DOC = "Fallback endpoints, in order, called while the primary's circuit breaker is open (provider down).";
    public static final String FALLBACK_PROVIDERS_CONFIG = "promptline.llm.fallback.providers";
    private static final String FALLBACK_PROVIDERS_DOC = "Provider names of the fallback endpoints (same order; used for prices and recorded on results).";
    public static final String FALLBACK_APIS_CONFIG = "promptline.llm.fallback.apis";
    private static final String FALLBACK_APIS_DOC = "The API each fallback endpoint speaks (same order; openai, azure or anthropic; default openai).";
    public static final String FALLBACK_API_KEYS_CONFIG = "promptline.llm.fallback.api.keys";
    private static final String FALLBACK_API_KEYS_DOC = "API keys of the fallback endpoints, comma-separated in the same order (an empty entry: no key). Secret: PROMPTLINE_LLM_FALLBACK_API_KEYS or ..._FILE; never logged.";
    public static final String BREAKER_FAILURES_CONFIG = "promptline.provider.breaker.failures";
    private static final String BREAKER_FAILURES_DOC = "Consecutive provider failures (5xx, timeouts, network) that open an endpoint's circuit breaker.";
    public static final String BREAKER_OPEN_MS_CONFIG = "promptline.provider.breaker.open.ms";
    private static final String BREAKER_OPEN_MS_DOC = "How long an open breaker sends no call to its endpoint before letting probes through (half-open).";
    public static final String BREAKER_HALF_OPEN_CALLS_CONFIG = "promptline.provider.breaker.half.open.calls";
    private static final String BREAKER_HALF_OPEN_CALLS_DOC = "Probe calls a half-open breaker lets through; all must succeed to close it.";
    public static final String MAX_PAUSE_MS_CONFIG = "promptline.provider.max.pause.ms";
    private static final String MAX_PAUSE_MS_DOC = "Longest pause of an endpoint on a provider's Retry-After or exhausted x-ratelimit window.";
    public static final String MIN_CONCURRENCY_CONFIG = "promptline.provider.min.concurrency";
    private static final String MIN_CONCURRENCY_DOC = "Floor of an endpoint's adaptive concurrency limit, which halves on 429 and grows by one per success.";
    public static final String RATE_BURST_FRACTION_CONFIG = "promptline.ratelimit.burst.fraction";
    private static final String RATE_BURST_FRACTION_DOC = "Share of a tenant's per-minute limits it may use at once (at least one request).";
    public static final String RATE_MAX_HOLD_MS_CONFIG = "promptline.ratelimit.max.hold.ms";
    private static final String RATE_MAX_HOLD_MS_DOC = "A request whose rate-limit turn is further away than this waits in the delay ladder (keeping its turn) instead of in the task; at least the shortest retry delay.";
    public static final String COMPLETION_ESTIMATE_CONFIG = "promptline.ratelimit.completion.tokens.estimate";
    private static final String COMPLETION_ESTIMATE_DOC = "Completion tokens charged up front when a request sets no max_tokens; corrected with real usage after the call.";
    public static final String RETRY_DELAYS_CONFIG = "promptline.retry.delays";
    private static final String RETRY_DELAYS_DOC = "The delay ladder: one topic <base>.retry.<delay> per entry (e.g. 10s,1m,10m), ascending.";
    public static final String RETRY_MAX_ATTEMPTS_CONFIG = "promptline.retry.max.attempts";
    private static final String RETRY_MAX_ATTEMPTS_DOC = "Calls a request may have in all before a retryable failure goes to the DLQ.";
    public static final String RETRY_BACKOFF_INITIAL_MS_CONFIG = "promptline.retry.backoff.initial.ms";
    private static final String RETRY_BACKOFF_INITIAL_MS_DOC = "Wait after the first failed call; attempt n waits initial * multiplier^(n-1), never less than the provider's Retry-After.";
    public static final String RETRY_BACKOFF_MULTIPLIER_CONFIG = "promptline.retry.backoff.multiplier";
    private static final String RETRY_BACKOFF_MULTIPLIER_DOC = "Growth of the wait per attempt.";
    public static final String RETRY_BACKOFF_JITTER_CONFIG = "promptline.retry.backoff.jitter";
    private static final String RETRY_BACKOFF_JITTER_DOC = "Random stretch of each wait, up to this fraction, so retries of one burst do not return together.";
    public static final String CONTEXT_WINDOWS_CONFIG = "promptline.routing.context.windows";
    private static final String CONTEXT_WINDOWS_DOC = "model=tokens context windows; a request estimated over its model's window goes to the context fallback, else to the DLQ as CONTEXT_LENGTH without a call.";
    public static final String CONTEXT_FALLBACKS_CONFIG = "promptline.routing.context.fallbacks";
    private static final String CONTEXT_FALLBACKS_DOC = "model=larger-model fallbacks taken when a prompt exceeds a model's context (estimated, or reported by the provider).";

    public static final ConfigDef CONFIG = withMetrics(common(), 9400)
            .define(APPLICATION_ID_CONFIG, Type.STRING, "promptline-processor", new ConfigDef.NonEmptyString(), Importance.MEDIUM, APPLICATION_ID_DOC)
            .define(TIERS_CONFIG, Type.LIST, "URGENT,NORMAL,BATCH", tierValidator(), Importance.MEDIUM, TIERS_DOC)
            .define(MAX_IN_FLIGHT_CONFIG, Type.INT, 1024, Range.between(1, 100_000), Importance.HIGH, MAX_IN_FLIGHT_DOC)
            .define(NORMAL_SHARE_CONFIG, Type.DOUBLE, 0.85, Range.between(0.01, 1.0), Importance.MEDIUM, NORMAL_SHARE_DOC)
            .define(BATCH_SHARE_CONFIG, Type.DOUBLE, 0.70, Range.between(0.01, 1.0), Importance.MEDIUM, BATCH_SHARE_DOC)
            .define(DEDUPE_RETENTION_MS_CONFIG, Type.LONG, 24 * 3_600_000L, Range.between(60_000, 90L * 24 * 3_600_000), Importance.MEDIUM, DEDUPE_RETENTION_MS_DOC)
            .define(MAX_PENDING_PER_TASK_CONFIG, Type.INT, 1024, Range.between(1, 1_000_000), Importance.MEDIUM, MAX_PENDING_PER_TASK_DOC)
            .define(DRAIN_INTERVAL_MS_CONFIG, Type.LONG, 5L, Range.between(1, 1000), Importance.LOW, DRAIN_INTERVAL_MS_DOC)
            .define(COMMIT_INTERVAL_MS_CONFIG, Type.LONG, 50L, Range.between(5, 60_000), Importance.LOW, COMMIT_INTERVAL_MS_DOC)
            .define(SATURATED_APPLY_INTERVAL_MS_CONFIG, Type.LONG, 25L, Range.between(1, 1000), Importance.LOW, SATURATED_APPLY_INTERVAL_MS_DOC)
            .define(URGENT_COMMIT_INTERVAL_MS_CONFIG, Type.LONG, 25L, Range.between(5, 60_000), Importance.LOW, URGENT_COMMIT_INTERVAL_MS_DOC)
            .define(STREAM_THREADS_CONFIG, Type.INT, 1, Range.between(1, 64), Importance.MEDIUM, STREAM_THREADS_DOC)
            .define(TENANT_SHARDS_CONFIG, Type.LIST, "", (name, value) -> {
                @SuppressWarnings("unchecked") List<String> l = (List<String>) value;
                for (String pair : l) {
                    if (!pair.trim().matches("[^=\\s]+=[1-9][0-9]{0,3}")) {
                        throw new ConfigException(name, pair, "needs tenant=N with N a number of shards in [1, 1024], e.g. acme=6");
                    }
                }
            }, Importance.MEDIUM, TENANT_SHARDS_DOC)
            .define(METRICS_TENANTS_CONFIG, Type.LIST, "", Importance.LOW, METRICS_TENANTS_DOC)
            .define(TENANT_AUTH_SECRETS_FILE_CONFIG, Type.STRING, "", Importance.HIGH, TENANT_AUTH_SECRETS_FILE_DOC)
            .define(METRICS_TENANT_LIMIT_CONFIG, Type.INT, 100, Range.between(0, 100_000), Importance.LOW, METRICS_TENANT_LIMIT_DOC)
            .define(STANDBY_REPLICAS_CONFIG, Type.INT, 0, Range.between(0, 3), Importance.MEDIUM, STANDBY_REPLICAS_DOC)
            .define(ROCKSDB_CACHE_BYTES_CONFIG, Type.LONG, 64L << 20, Range.atLeast(4L << 20), Importance.MEDIUM, ROCKSDB_CACHE_BYTES_DOC)
            .define(ROCKSDB_WRITE_BUFFER_BYTES_CONFIG, Type.LONG, 16L << 20, Range.atLeast(1L << 20), Importance.LOW,
                    ROCKSDB_WRITE_BUFFER_BYTES_DOC)
            .define(STATE_DIR_CONFIG, Type.STRING, System.getProperty("java.io.tmpdir") + "/promptline-streams", Importance.MEDIUM, STATE_DIR_DOC)
            .define(LLM_BASE_URL_CONFIG, Type.STRING, "http://127.0.0.1:8000/v1", urlValidator(), Importance.HIGH, LLM_BASE_URL_DOC)
            .define(LLM_API_KEY_CONFIG, Type.PASSWORD, null, Importance.HIGH, LLM_API_KEY_DOC)
            .define(DEPLOYMENTS_FILE_CONFIG, Type.STRING, "", Importance.HIGH, DEPLOYMENTS_FILE_DOC)
            .define(LLM_PROVIDER_CONFIG, Type.STRING, "openai", new ConfigDef.NonEmptyString(), Importance.MEDIUM, LLM_PROVIDER_DOC)
            .define(LLM_API_CONFIG, Type.STRING, "openai", ConfigDef.ValidString.in(ProviderApi.NAMES.toArray(String[]::new)),
                    Importance.MEDIUM, LLM_API_DOC)
            .define(LLM_TIMEOUT_MS_CONFIG, Type.LONG, 60_000L, Range.between(100, 3_600_000), Importance.MEDIUM, LLM_TIMEOUT_MS_DOC)
            .define(LLM_CONNECT_TIMEOUT_MS_CONFIG, Type.INT, 5_000, Range.between(100, 120_000), Importance.LOW, LLM_CONNECT_TIMEOUT_MS_DOC)
            .define(DEFAULT_MODEL_CONFIG, Type.STRING, "gpt-4.1-mini", new ConfigDef.NonEmptyString(), Importance.MEDIUM, DEFAULT_MODEL_DOC)
            .define(ROUTING_RULES_FILE_CONFIG, Type.STRING, "", Importance.MEDIUM, ROUTING_RULES_FILE_DOC)
            .define(ROUTES_CONFIG, Type.LIST, "code=deepseek-v3.2,quick=gemini-2.5-flash,complex=gpt-4.1,analysis=claude-sonnet-4.5",
                    (name, value) -> {
                        try {
                            @SuppressWarnings("unchecked") List<String> l = (List<String>) value;
                            Router.parseRoutes(l);
                        } catch (IllegalArgumentException e) {
                            throw new ConfigException(name, value, e.getMessage());
                        }
                    }, Importance.MEDIUM, ROUTES_DOC)
            .define(PRICE_TABLE_CONFIG, Type.STRING, "", Importance.MEDIUM, PRICE_TABLE_DOC)
            .define(BATCH_API_MODE_CONFIG, Type.STRING, "off", ConfigDef.CaseInsensitiveValidString.in("off", "opt-in", "default"),
                    Importance.MEDIUM, BATCH_API_MODE_DOC)
            .define(BATCH_API_TENANTS_CONFIG, Type.LIST, "", Importance.LOW, BATCH_API_TENANTS_DOC)
            .define(BATCH_API_MIN_DEADLINE_MS_CONFIG, Type.LONG, 25 * 3_600_000L, Range.atLeast(0), Importance.LOW, BATCH_API_MIN_DEADLINE_MS_DOC)
            .define(BATCH_API_MAX_REQUESTS_CONFIG, Type.INT, 50_000, Range.between(1, 50_000), Importance.LOW, BATCH_API_MAX_REQUESTS_DOC)
            .define(BATCH_API_MAX_BYTES_CONFIG, Type.LONG, 190_000_000L, Range.between(1024, 200_000_000L), Importance.LOW,
                    BATCH_API_MAX_BYTES_DOC)
            .define(BATCH_API_GATHER_MS_CONFIG, Type.LONG, 60_000L, Range.atLeast(0), Importance.LOW, BATCH_API_GATHER_MS_DOC)
            .define(BATCH_API_MAX_OPEN_JOBS_CONFIG, Type.INT, 4, Range.between(1, 1_000), Importance.LOW, BATCH_API_MAX_OPEN_JOBS_DOC)
            .define(BATCH_API_POLL_MS_CONFIG, Type.LONG, 30_000L, Range.atLeast(10), Importance.LOW, BATCH_API_POLL_MS_DOC)
            .define(BATCH_API_ON_FAILURE_CONFIG, Type.STRING, "sync", ConfigDef.CaseInsensitiveValidString.in("sync", "dlq"),
                    Importance.LOW, BATCH_API_ON_FAILURE_DOC)
            .define(UNPRICED_MODELS_CONFIG, Type.STRING, "reject", (name, value) -> {
                try {
                    Billing.UnpricedPolicy.parse((String) value);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(name, value, e.getMessage());
                }
            }, Importance.MEDIUM, UNPRICED_MODELS_DOC)
            .define(MAX_REQUEST_BYTES_CONFIG, Type.INT, 900_000, Range.between(1024, 64 * 1024 * 1024), Importance.MEDIUM, MAX_REQUEST_BYTES_DOC)
            .define(TENANT_PARTITIONS_CONFIG, Type.INT, 0, Range.between(0, 10_000), Importance.MEDIUM, TENANT_PARTITIONS_DOC)
            .define(INSTANCE_ID_CONFIG, Type.STRING, "", Importance.LOW, INSTANCE_ID_DOC)
            .define(FAULT_PAUSE_MS_CONFIG, Type.LONG, 30_000L, Range.between(100, 3_600_000), Importance.MEDIUM, FAULT_PAUSE_MS_DOC)
            .define(FALLBACK_BASE_URLS_CONFIG, Type.LIST, "", listOf(urlValidator()), Importance.MEDIUM, FALLBACK_BASE_URLS_DOC)
            .define(FALLBACK_PROVIDERS_CONFIG, Type.LIST, "", Importance.MEDIUM, FALLBACK_PROVIDERS_DOC)
            .define(FALLBACK_APIS_CONFIG, Type.LIST, "", Importance.MEDIUM, FALLBACK_APIS_DOC)
            .define(FALLBACK_API_KEYS_CONFIG, Type.PASSWORD, null, Importance.MEDIUM, FALLBACK_API_KEYS_DOC)
            .define(BREAKER_FAILURES_CONFIG, Type.INT, 5, Range.between(1, 1000), Importance.MEDIUM, BREAKER_FAILURES_DOC)
            .define(BREAKER_OPEN_MS_CONFIG, Type.LONG, 60_000L, Range.between(100, 3_600_000), Importance.MEDIUM, BREAKER_OPEN_MS_DOC)
            .define(BREAKER_HALF_OPEN_CALLS_CONFIG, Type.INT, 3, Range.between(1, 100), Importance.LOW, BREAKER_HALF_OPEN_CALLS_DOC)
            .define(MAX_PAUSE_MS_CONFIG, Type.LONG, 60_000L, Range.between(0, 3_600_000), Importance.LOW, MAX_PAUSE_MS_DOC)
            .define(MIN_CONCURRENCY_CONFIG, Type.INT, 8, Range.between(1, 100_000), Importance.LOW, MIN_CONCURRENCY_DOC)
            .define(rateKey(Priority.URGENT, "requests"), Type.LONG, 1200L, Range.atLeast(0), Importance.HIGH, rateDoc(Priority.URGENT, "requests"))
            .define(rateKey(Priority.URGENT, "tokens"), Type.LONG, 2_000_000L, Range.atLeast(0), Importance.HIGH, rateDoc(Priority.URGENT, "tokens"))
            .define(rateKey(Priority.NORMAL, "requests"), Type.LONG, 1200L, Range.atLeast(0), Importance.HIGH, rateDoc(Priority.NORMAL, "requests"))
            .define(rateKey(Priority.NORMAL, "tokens"), Type.LONG, 2_000_000L, Range.atLeast(0), Importance.HIGH, rateDoc(Priority.NORMAL, "tokens"))
            .define(rateKey(Priority.BATCH, "requests"), Type.LONG, 1200L, Range.atLeast(0), Importance.HIGH, rateDoc(Priority.BATCH, "requests"))
            .define(rateKey(Priority.BATCH, "tokens"), Type.LONG, 2_000_000L, Range.atLeast(0), Importance.HIGH, rateDoc(Priority.BATCH, "tokens"))
            .define(RATE_BURST_FRACTION_CONFIG, Type.DOUBLE, 0.05, Range.between(0.0001, 1.0), Importance.MEDIUM, RATE_BURST_FRACTION_DOC)
            .define(RATE_MAX_HOLD_MS_CONFIG, Type.LONG, 15_000L, Range.between(1, 3_600_000), Importance.LOW, RATE_MAX_HOLD_MS_DOC)
            .define(COMPLETION_ESTIMATE_CONFIG, Type.INT, 1024, Range.between(0, 1_000_000), Importance.LOW, COMPLETION_ESTIMATE_DOC)
            .define(RETRY_DELAYS_CONFIG, Type.LIST, "10s,1m,10m", durationsValidator(), Importance.MEDIUM, RETRY_DELAYS_DOC)
            .define(RETRY_MAX_ATTEMPTS_CONFIG, Type.INT, 3, Range.between(1, 100), Importance.MEDIUM, RETRY_MAX_ATTEMPTS_DOC)
            .define(RETRY_BACKOFF_INITIAL_MS_CONFIG, Type.LONG, 10_000L, Range.between(0, 86_400_000), Importance.MEDIUM, RETRY_BACKOFF_INITIAL_MS_DOC)
            .define(RETRY_BACKOFF_MULTIPLIER_CONFIG, Type.DOUBLE, 6.0, Range.between(1.0, 1000.0), Importance.LOW, RETRY_BACKOFF_MULTIPLIER_DOC)
            .define(RETRY_BACKOFF_JITTER_CONFIG, Type.DOUBLE, 0.2, Range.between(0.0, 1.0), Importance.LOW, RETRY_BACKOFF_JITTER_DOC)
            .define(CONTEXT_WINDOWS_CONFIG, Type.LIST,
                    "gpt-4.1=1047576,gpt-4.1-mini=1047576,claude-sonnet-4.5=200000,gemini-2.5-flash=1048576,deepseek-v3.2=128000",
                    pairsValidator(true), Importance.MEDIUM, CONTEXT_WINDOWS_DOC)
            .define(CONTEXT_FALLBACKS_CONFIG, Type.LIST, "deepseek-v3.2=gemini-2.5-flash,claude-sonnet-4.5=gpt-4.1",
                    pairsValidator(false), Importance.MEDIUM, CONTEXT_FALLBACKS_DOC);

    public ProcessorConfig(Map<?, ?> values) {
        super(CONFIG, values);
        if (batchShare() > normalShare()) {
            throw new ConfigException(BATCH_SHARE_CONFIG, batchShare(), "must not exceed " + NORMAL_SHARE_CONFIG + " (" + normalShare() + ")");
        }
        if (rocksDbWriteBufferBytes() >= rocksDbCacheBytes()) {
            throw new ConfigException(ROCKSDB_WRITE_BUFFER_BYTES_CONFIG, rocksDbWriteBufferBytes(), "must be less than "
                    + ROCKSDB_CACHE_BYTES_CONFIG + " (" + rocksDbCacheBytes() + "): the memtables are charged to that cache");
        }
        List<String> fallbacks = getList(FALLBACK_BASE_URLS_CONFIG);
        List<String> providers = getList(FALLBACK_PROVIDERS_CONFIG);
        if (!providers.isEmpty() && providers.size() != fallbacks.size()) {
            throw new ConfigException(FALLBACK_PROVIDERS_CONFIG, providers, "must name one provider per entry of "
                    + FALLBACK_BASE_URLS_CONFIG + " (" + fallbacks.size() + ")");
        }
        List<String> apis = getList(FALLBACK_APIS_CONFIG);
        if (!apis.isEmpty() && apis.size() != fallbacks.size()) {
            throw new ConfigException(FALLBACK_APIS_CONFIG, apis, "must name one API per entry of " + FALLBACK_BASE_URLS_CONFIG
                    + " (" + fallbacks.size() + ")");
        }
        for (String api : apis) {
            if (!ProviderApi.NAMES.contains(api.trim())) {
                throw new ConfigException(FALLBACK_APIS_CONFIG, apis, "'" + api.trim() + "' is not one of " + ProviderApi.NAMES);
            }
        }
        checkApi(LLM_BASE_URL_CONFIG, llmApi(), llmBaseUrl());
        if (!"off".equalsIgnoreCase(getString(BATCH_API_MODE_CONFIG)) && !"openai".equals(llmApi().name())) {
            throw new ConfigException(BATCH_API_MODE_CONFIG, getString(BATCH_API_MODE_CONFIG), "the Batch API is OpenAI's; "
                    + LLM_API_CONFIG + " is " + llmApi().name());
        }
        for (FallbackEndpoint f : fallbackEndpoints()) checkApi(FALLBACK_BASE_URLS_CONFIG, f.api(), f.baseUrl());
        if (fallbackApiKeys().size() > fallbacks.size()) {
            throw new ConfigException(FALLBACK_API_KEYS_CONFIG, "[hidden]", "has more keys than " + FALLBACK_BASE_URLS_CONFIG
                    + " has endpoints (" + fallbacks.size() + ")");
        }
        if (rateMaxHold().compareTo(retryPolicy().rungs().get(0)) < 0) {
            throw new ConfigException(RATE_MAX_HOLD_MS_CONFIG, getLong(RATE_MAX_HOLD_MS_CONFIG), "must be at least the shortest retry delay ("
                    + retryPolicy().rungs().get(0).toMillis() + " ms), or a waiting request could never come back within it");
        }
        routingRules(); // a mistake in the file names the rule and field now, not at the first request
        ContextRouting routing = contextRouting();
        for (String model : routing.fallbackModels()) {
            if (routing.window(model).isEmpty()) {
                throw new ConfigException(CONTEXT_FALLBACKS_CONFIG, getList(CONTEXT_FALLBACKS_CONFIG), "fallback model '" + model
                        + "' has no context window in " + CONTEXT_WINDOWS_CONFIG);
            }
        }
    }

    private static void checkApi(String key, ProviderApi api, String baseUrl) {
        try {
            api.check(java.net.URI.create(baseUrl));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, baseUrl, e.getMessage());
        }
    }

    public static ProcessorConfig load(Path file, Map<String, String> env) {
        return new ProcessorConfig(ConfigSources.load(CONFIG, file, env));
    }

    public String applicationId(Priority tier) {
        return applicationId(tier.name().toLowerCase(Locale.ROOT));
    }

    /** {@code <application.id prefix>-<part>}, e.g. the tiers' Streams applications and the retry relay's group. */
    public String applicationId(String part) {
        return getString(APPLICATION_ID_CONFIG) + "-" + part;
    }

    public List<Priority> tiers() {
        List<Priority> out = new ArrayList<>();
        for (String t : getList(TIERS_CONFIG)) out.add(Priority.valueOf(t.trim().toUpperCase(Locale.ROOT)));
        return out;
    }

    public int maxInFlight() {
        return getInt(MAX_IN_FLIGHT_CONFIG);
    }

    public double normalShare() {
        return getDouble(NORMAL_SHARE_CONFIG);
    }

    public double batchShare() {
        return getDouble(BATCH_SHARE_CONFIG);
    }

    public Duration dedupeRetention() {
        return Duration.ofMillis(getLong(DEDUPE_RETENTION_MS_CONFIG));
    }

    public int maxPendingPerTask() {
        return getInt(MAX_PENDING_PER_TASK_CONFIG);
    }

    public Duration drainInterval() {
        return Duration.ofMillis(getLong(DRAIN_INTERVAL_MS_CONFIG));
    }

    /** While a tier is saturated, how often its tasks apply finished calls (each time followed by a commit). */
    public Duration saturatedApplyInterval() {
        return Duration.ofMillis(getLong(SATURATED_APPLY_INTERVAL_MS_CONFIG));
    }

    /** The commit interval of a tier's Streams application. */
    public long commitIntervalMs(Priority tier) {
        return getLong(tier == Priority.URGENT ? URGENT_COMMIT_INTERVAL_MS_CONFIG : COMMIT_INTERVAL_MS_CONFIG);
    }

    public int streamThreads() {
        return getInt(STREAM_THREADS_CONFIG);
    }

    /** The tenants' lines: the hot tenants of {@code promptline.processor.tenant.shards} and their shard counts. */
    public TenantLines tenantLines() {
        Map<String, Integer> shards = new java.util.HashMap<>();
        for (String pair : getList(TENANT_SHARDS_CONFIG)) {
            String[] kv = pair.split("=", 2);
            int n = Integer.parseInt(kv[1].trim());
            if (n < 1 || n > 1024) throw new ConfigException(TENANT_SHARDS_CONFIG, pair, "shards must be in [1, 1024]");
            shards.put(kv[0].trim(), n);
        }
        return new TenantLines(shards);
    }

    /** Tenants the spend metrics always label by name. */
    /** Tenant authorization, or null when off (no secrets file). */
    public TenantAuth tenantAuth() {
        String file = getString(TENANT_AUTH_SECRETS_FILE_CONFIG).trim();
        if (file.isEmpty()) return null;
        try {
            return TenantAuth.fromFile(java.nio.file.Path.of(file));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(TENANT_AUTH_SECRETS_FILE_CONFIG, file, e.getMessage());
        }
    }

    public List<String> metricsTenants() {
        return getList(METRICS_TENANTS_CONFIG).stream().map(String::trim).filter(t -> !t.isEmpty()).toList();
    }

    /** Other tenants the spend metrics label by name, first come. */
    public int metricsTenantLimit() {
        return getInt(METRICS_TENANT_LIMIT_CONFIG);
    }

    public int standbyReplicas() {
        return getInt(STANDBY_REPLICAS_CONFIG);
    }

    public long rocksDbCacheBytes() {
        return getLong(ROCKSDB_CACHE_BYTES_CONFIG);
    }

    public long rocksDbWriteBufferBytes() {
        return getLong(ROCKSDB_WRITE_BUFFER_BYTES_CONFIG);
    }

    public String stateDir() {
        return getString(STATE_DIR_CONFIG);
    }

    public String llmBaseUrl() {
        String url = getString(LLM_BASE_URL_CONFIG);
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    /** The API key, or null. Kept as {@link Password} until the moment of use so it never reaches a log. */
    public Password llmApiKey() {
        return getPassword(LLM_API_KEY_CONFIG);
    }

    /** The API the primary endpoint speaks ({@value #LLM_API_CONFIG}). */
    public ProviderApi llmApi() {
        return ProviderApi.of(getString(LLM_API_CONFIG));
    }

    public String llmProvider() {
        return getString(LLM_PROVIDER_CONFIG);
    }

    /** The deployments of {@code promptline.llm.deployments.file}, or empty when none is named. */
    public Optional<Deployments> deployments() {
        String file = getString(DEPLOYMENTS_FILE_CONFIG);
        if (file == null || file.isBlank()) return Optional.empty();
        try {
            return Optional.of(Deployments.load(java.nio.file.Path.of(file.trim()), System.getenv()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(DEPLOYMENTS_FILE_CONFIG, file, e.getMessage());
        }
    }

    public Duration llmTimeout() {
        return Duration.ofMillis(getLong(LLM_TIMEOUT_MS_CONFIG));
    }

    public int llmConnectTimeoutMs() {
        return getInt(LLM_CONNECT_TIMEOUT_MS_CONFIG);
    }

    public String defaultModel() {
        return getString(DEFAULT_MODEL_CONFIG);
    }

    public Router router() {
        return new Router(Router.parseRoutes(getList(ROUTES_CONFIG)), defaultModel(), routingRules());
    }

    /** The rules of {@value #ROUTING_RULES_FILE_CONFIG}, or none. */
    public RoutingRules routingRules() {
        String file = getString(ROUTING_RULES_FILE_CONFIG);
        if (file == null || file.isBlank()) return RoutingRules.NONE;
        try {
            return RoutingRules.load(Path.of(file));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(ROUTING_RULES_FILE_CONFIG, file, e.getMessage());
        }
    }

    public int maxRequestBytes() {
        return getInt(MAX_REQUEST_BYTES_CONFIG);
    }

    /** The configured partitions of the by-tenant repartition topics, or 0 for the tier topic's (see the key's doc). */
    public int tenantPartitions() {
        return getInt(TENANT_PARTITIONS_CONFIG);
    }

    /** The configured instance name, or empty for one kept in the state directory. */
    public String instanceId() {
        return getString(INSTANCE_ID_CONFIG).trim();
    }

    public Duration faultPause() {
        return Duration.ofMillis(getLong(FAULT_PAUSE_MS_CONFIG));
    }

    public String priceTablePath() {
        return getString(PRICE_TABLE_CONFIG);
    }

    /** How the batch tier uses the provider's Batch API (off unless configured). */
    public TierSettings.BatchApi batchApi() {
        String mode = getString(BATCH_API_MODE_CONFIG).toLowerCase(Locale.ROOT);
        return new TierSettings.BatchApi(
                mode.equals("off") ? TierSettings.BatchApi.Mode.OFF : mode.equals("opt-in") ? TierSettings.BatchApi.Mode.OPT_IN
                        : TierSettings.BatchApi.Mode.DEFAULT,
                Set.copyOf(getList(BATCH_API_TENANTS_CONFIG).stream().map(String::trim).filter(t -> !t.isEmpty()).toList()),
                Duration.ofMillis(getLong(BATCH_API_MIN_DEADLINE_MS_CONFIG)), getInt(BATCH_API_MAX_REQUESTS_CONFIG),
                getLong(BATCH_API_MAX_BYTES_CONFIG), Duration.ofMillis(getLong(BATCH_API_GATHER_MS_CONFIG)),
                getInt(BATCH_API_MAX_OPEN_JOBS_CONFIG), Duration.ofMillis(getLong(BATCH_API_POLL_MS_CONFIG)),
                getString(BATCH_API_ON_FAILURE_CONFIG).equalsIgnoreCase("sync"), Path.of(stateDir(), "batch-jobs"));
    }

    /** The price table (the file's, or the built-in one) and what happens to models it does not price. */
    public Billing billing() {
        return new Billing(PriceTable.loadOrBuiltIn(priceTablePath()), Billing.UnpricedPolicy.parse(getString(UNPRICED_MODELS_CONFIG)));
    }

    /** A fallback endpoint: base URL, provider name and (possibly null) API key. */
    public record FallbackEndpoint(String baseUrl, String provider, Password apiKey, ProviderApi api) {
        @Override
        public String toString() {
            return provider + "@" + baseUrl; // never the key
        }
    }

    public List<FallbackEndpoint> fallbackEndpoints() {
        List<String> urls = getList(FALLBACK_BASE_URLS_CONFIG);
        List<String> providers = getList(FALLBACK_PROVIDERS_CONFIG);
        List<String> keys = fallbackApiKeys();
        List<String> apis = getList(FALLBACK_APIS_CONFIG);
        List<FallbackEndpoint> out = new ArrayList<>();
        for (int i = 0; i < urls.size(); i++) {
            String url = urls.get(i).trim();
            url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
            String provider = providers.isEmpty() ? java.net.URI.create(url).getHost() : providers.get(i).trim();
            String key = i < keys.size() && !keys.get(i).isBlank() ? keys.get(i).trim() : null;
            ProviderApi api = ProviderApi.of(i < apis.size() ? apis.get(i).trim() : "openai");
            out.add(new FallbackEndpoint(url, provider, key == null ? null : new Password(key), api));
        }
        return out;
    }

    private List<String> fallbackApiKeys() {
        Password p = getPassword(FALLBACK_API_KEYS_CONFIG);
        return p == null || p.value().isBlank() ? List.of() : List.of(p.value().split(",", -1));
    }

    public Endpoint.BreakerSettings breakerSettings() {
        return new Endpoint.BreakerSettings(getInt(BREAKER_FAILURES_CONFIG), Duration.ofMillis(getLong(BREAKER_OPEN_MS_CONFIG)),
                getInt(BREAKER_HALF_OPEN_CALLS_CONFIG));
    }

    public Duration maxPause() {
        return Duration.ofMillis(getLong(MAX_PAUSE_MS_CONFIG));
    }

    public int minConcurrency() {
        return Math.min(getInt(MIN_CONCURRENCY_CONFIG), maxInFlight());
    }

    /** A tier's default limits, for tenants without an override in the quotas topic. */
    public Limits defaultLimit(Priority tier) {
        return new Limits(getLong(rateKey(tier, "requests")), getLong(rateKey(tier, "tokens")));
    }

    public double rateBurstFraction() {
        return getDouble(RATE_BURST_FRACTION_CONFIG);
    }

    public Duration rateMaxHold() {
        return Duration.ofMillis(getLong(RATE_MAX_HOLD_MS_CONFIG));
    }

    public int completionTokensEstimate() {
        return getInt(COMPLETION_ESTIMATE_CONFIG);
    }

    public RetryPolicy retryPolicy() {
        List<Duration> rungs = getList(RETRY_DELAYS_CONFIG).stream().map(DurationFormat::parse).toList();
        return new RetryPolicy(rungs, getInt(RETRY_MAX_ATTEMPTS_CONFIG), Duration.ofMillis(getLong(RETRY_BACKOFF_INITIAL_MS_CONFIG)),
                getDouble(RETRY_BACKOFF_MULTIPLIER_CONFIG), getDouble(RETRY_BACKOFF_JITTER_CONFIG));
    }

    public ContextRouting contextRouting() {
        Map<String, Integer> windows = new java.util.HashMap<>();
        Router.parsePairs(getList(CONTEXT_WINDOWS_CONFIG), "model=tokens").forEach((m, w) -> windows.put(m, Integer.parseInt(w)));
        return new ContextRouting(windows, Router.parsePairs(getList(CONTEXT_FALLBACKS_CONFIG), "model=fallback-model"));
    }

    static String rateKey(Priority tier, String what) {
        return "promptline.ratelimit." + tier.name().toLowerCase(Locale.ROOT) + "." + what + ".per.minute";
    }

    private static String rateDoc(Priority tier, String what) {
        return "Default " + what + " per minute per tenant on the " + tier.name().toLowerCase(Locale.ROOT)
                + " tier (0: unlimited); a tenant's record in the quotas topic overrides it.";
    }

    private static ConfigDef.Validator listOf(ConfigDef.Validator each) {
        return (name, value) -> {
            @SuppressWarnings("unchecked") List<String> l = (List<String>) value;
            for (String v : l) each.ensureValid(name, v.trim());
        };
    }

    private static ConfigDef.Validator durationsValidator() {
        return (name, value) -> {
            @SuppressWarnings("unchecked") List<String> l = (List<String>) value;
            try {
                new RetryPolicy(l.stream().map(DurationFormat::parse).toList(), 1, Duration.ZERO, 1, 0);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(name, value, e.getMessage());
            }
        };
    }

    private static ConfigDef.Validator pairsValidator(boolean positiveNumbers) {
        return (name, value) -> {
            @SuppressWarnings("unchecked") List<String> l = (List<String>) value;
            try {
                Map<String, String> pairs = Router.parsePairs(l, positiveNumbers ? "model=tokens" : "model=fallback-model");
                if (positiveNumbers) {
                    for (var e : pairs.entrySet()) {
                        if (!e.getValue().matches("[1-9][0-9]{0,9}")) {
                            throw new IllegalArgumentException("'" + e.getKey() + "=" + e.getValue() + "' needs a positive number of tokens");
                        }
                    }
                }
            } catch (IllegalArgumentException e) {
                throw new ConfigException(name, value, e.getMessage());
            }
        };
    }

    private static ConfigDef.Validator tierValidator() {
        return (name, value) -> {
            @SuppressWarnings("unchecked") List<String> tiers = (List<String>) value;
            if (tiers == null || tiers.isEmpty()) throw new ConfigException(name, value, "at least one tier is required");
            for (String t : tiers) {
                try {
                    Priority.valueOf(t.trim().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(name, value, "unknown tier '" + t + "'; use URGENT, NORMAL or BATCH");
                }
            }
        };
    }

    private static ConfigDef.Validator urlValidator() {
        return (name, value) -> {
            String s = value == null ? "" : value.toString();
            if (!s.startsWith("http://") && !s.startsWith("https://")) {
                throw new ConfigException(name, value, "must be an http:// or https:// URL such as https://api.openai.com/v1");
            }
        };
    }

    /** The documentation of every key, generated from the definitions (as Kafka does). */
    public static void main(String[] args) {
        System.out.println(CONFIG.toRst());
    }
}
