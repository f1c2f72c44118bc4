package io.promptline.processor.config;

import io.promptline.avro.Priority;
import io.promptline.config.ConfigSources;
import io.promptline.config.PromptlineConfig;
import io.promptline.processor.routing.Router;
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
import java.util.Locale;
import java.util.Map;

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
    public static final String STREAM_THREADS_CONFIG = "promptline.processor.stream.threads";
    private static final String STREAM_THREADS_DOC = "Stream threads per tier.";
    public static final String STATE_DIR_CONFIG = "promptline.processor.state.dir";
    private static final String STATE_DIR_DOC = "Directory of the local state stores (pending calls).";
    public static final String LLM_BASE_URL_CONFIG = "promptline.llm.base.url";
    private static final String LLM_BASE_URL_DOC = "Base URL of the OpenAI-compatible API, up to /v1; /chat/completions is appended.";
    public static final String LLM_API_KEY_CONFIG = "promptline.llm.api.key";
    private static final String LLM_API_KEY_DOC = "API key sent as a bearer token. Secret: set PROMPTLINE_LLM_API_KEY or PROMPTLINE_LLM_API_KEY_FILE; never logged.";
    public static final String LLM_PROVIDER_CONFIG = "promptline.llm.provider";
    private static final String LLM_PROVIDER_DOC = "Provider name recorded on results and used to look up prices (e.g. openai, holysheep, simulator).";
    public static final String LLM_TIMEOUT_MS_CONFIG = "promptline.llm.timeout.ms";
    private static final String LLM_TIMEOUT_MS_DOC = "Timeout of one call, from sending the request to the complete response.";
    public static final String LLM_CONNECT_TIMEOUT_MS_CONFIG = "promptline.llm.connect.timeout.ms";
    private static final String LLM_CONNECT_TIMEOUT_MS_DOC = "TCP connect timeout to the provider.";
    public static final String DEFAULT_MODEL_CONFIG = "promptline.llm.default.model";
    private static final String DEFAULT_MODEL_DOC = "Model used when a request names neither a model nor a task type.";
    public static final String ROUTES_CONFIG = "promptline.routing.task.types";
    private static final String ROUTES_DOC = "task_type=model routes for requests that name no model.";
    public static final String PRICE_TABLE_CONFIG = "promptline.processor.price.table";
    private static final String PRICE_TABLE_DOC = "Path of a price table JSON file; empty uses the built-in table.";

    public static final ConfigDef CONFIG = withMetrics(common(), 9400)
            .define(APPLICATION_ID_CONFIG, Type.STRING, "promptline-processor", new ConfigDef.NonEmptyString(), Importance.MEDIUM, APPLICATION_ID_DOC)
            .define(TIERS_CONFIG, Type.LIST, "URGENT,NORMAL,BATCH", tierValidator(), Importance.MEDIUM, TIERS_DOC)
            .define(MAX_IN_FLIGHT_CONFIG, Type.INT, 1024, Range.between(1, 100_000), Importance.HIGH, MAX_IN_FLIGHT_DOC)
            .define(NORMAL_SHARE_CONFIG, Type.DOUBLE, 0.85, Range.between(0.01, 1.0), Importance.MEDIUM, NORMAL_SHARE_DOC)
            .define(BATCH_SHARE_CONFIG, Type.DOUBLE, 0.70, Range.between(0.01, 1.0), Importance.MEDIUM, BATCH_SHARE_DOC)
            .define(DEDUPE_RETENTION_MS_CONFIG, Type.LONG, 24 * 3_600_000L, Range.between(60_000, 90L * 24 * 3_600_000), Importance.MEDIUM, DEDUPE_RETENTION_MS_DOC)
            .define(MAX_PENDING_PER_TASK_CONFIG, Type.INT, 1024, Range.between(1, 1_000_000), Importance.MEDIUM, MAX_PENDING_PER_TASK_DOC)
            .define(DRAIN_INTERVAL_MS_CONFIG, Type.LONG, 5L, Range.between(1, 1000), Importance.LOW, DRAIN_INTERVAL_MS_DOC)
            .define(STREAM_THREADS_CONFIG, Type.INT, 1, Range.between(1, 64), Importance.MEDIUM, STREAM_THREADS_DOC)
            .define(STATE_DIR_CONFIG, Type.STRING, System.getProperty("java.io.tmpdir") + "/promptline-streams", Importance.MEDIUM, STATE_DIR_DOC)
            .define(LLM_BASE_URL_CONFIG, Type.STRING, "http://127.0.0.1:8000/v1", urlValidator(), Importance.HIGH, LLM_BASE_URL_DOC)
            .define(LLM_API_KEY_CONFIG, Type.PASSWORD, null, Importance.HIGH, LLM_API_KEY_DOC)
            .define(LLM_PROVIDER_CONFIG, Type.STRING, "openai", new ConfigDef.NonEmptyString(), Importance.MEDIUM, LLM_PROVIDER_DOC)
            .define(LLM_TIMEOUT_MS_CONFIG, Type.LONG, 60_000L, Range.between(100, 3_600_000), Importance.MEDIUM, LLM_TIMEOUT_MS_DOC)
            .define(LLM_CONNECT_TIMEOUT_MS_CONFIG, Type.INT, 5_000, Range.between(100, 120_000), Importance.LOW, LLM_CONNECT_TIMEOUT_MS_DOC)
            .define(DEFAULT_MODEL_CONFIG, Type.STRING, "gpt-4.1-mini", new ConfigDef.NonEmptyString(), Importance.MEDIUM, DEFAULT_MODEL_DOC)
            .define(ROUTES_CONFIG, Type.LIST, "code=deepseek-v3.2,quick=gemini-2.5-flash,complex=gpt-4.1,analysis=claude-sonnet-4.5",
                    (name, value) -> {
                        try {
                            @SuppressWarnings("unchecked") List<String> l = (List<String>) value;
                            Router.parseRoutes(l);
                        } catch (IllegalArgumentException e) {
                            throw new ConfigException(name, value, e.getMessage());
                        }
                    }, Importance.MEDIUM, ROUTES_DOC)
            .define(PRICE_TABLE_CONFIG, Type.STRING, "", Importance.MEDIUM, PRICE_TABLE_DOC);

    public ProcessorConfig(Map<?, ?> values) {
        super(CONFIG, values);
        if (batchShare() > normalShare()) {
            throw new ConfigException(BATCH_SHARE_CONFIG, batchShare(), "must not exceed " + NORMAL_SHARE_CONFIG + " (" + normalShare() + ")");
        }
    }

    public static ProcessorConfig load(Path file, Map<String, String> env) {
        return new ProcessorConfig(ConfigSources.load(CONFIG, file, env));
    }

    public String applicationId(Priority tier) {
        return getString(APPLICATION_ID_CONFIG) + "-" + tier.name().toLowerCase(Locale.ROOT);
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

    public int streamThreads() {
        return getInt(STREAM_THREADS_CONFIG);
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

    public String llmProvider() {
        return getString(LLM_PROVIDER_CONFIG);
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
        return new Router(Router.parseRoutes(getList(ROUTES_CONFIG)), defaultModel());
    }

    public String priceTablePath() {
        return getString(PRICE_TABLE_CONFIG);
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
