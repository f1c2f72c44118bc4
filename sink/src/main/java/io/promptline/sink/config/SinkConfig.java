package io.promptline.sink.config;

import io.promptline.config.ConfigSources;
import io.promptline.config.PromptlineConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

import io.promptline.avro.ErrorCategory;
import io.promptline.requests.TenantProof;
import io.promptline.sink.alerts.AlertPolicy;
import org.apache.kafka.common.config.ConfigException;

import java.nio.file.Path;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Set;
import java.time.Duration;
import java.util.Map;

/** The PostgreSQL sink's configuration: documented keys with defaults and validators. */
public final class SinkConfig extends PromptlineConfig {
    public static final String GROUP_ID_CONFIG = "promptline.sink.group.id";
    public static final String JDBC_URL_CONFIG = "promptline.sink.jdbc.url";
    public static final String JDBC_USER_CONFIG = "promptline.sink.jdbc.user";
    public static final String JDBC_PASSWORD_CONFIG = "promptline.sink.jdbc.password";
    public static final String MAX_POLL_RECORDS_CONFIG = "promptline.sink.max.poll.records";
    public static final String POLL_TIMEOUT_MS_CONFIG = "promptline.sink.poll.timeout.ms";
    public static final String ROLLUP_APPLICATION_ID_CONFIG = "promptline.sink.rollup.application.id";
    public static final String ROLLUP_STATE_DIR_CONFIG = "promptline.sink.rollup.state.dir";
    public static final String ROLLUP_ENABLED_CONFIG = "promptline.sink.rollup.enabled";
    public static final String ALERTS_WEBHOOK_URL_CONFIG = "promptline.alerts.webhook.url";
    public static final String ALERTS_CATEGORIES_CONFIG = "promptline.alerts.categories";
    public static final String ALERTS_SUSTAINED_COUNT_CONFIG = "promptline.alerts.provider.error.count";
    public static final String ALERTS_SUSTAINED_WINDOW_MS_CONFIG = "promptline.alerts.provider.error.window.ms";
    public static final String ALERTS_DEDUPE_MS_CONFIG = "promptline.alerts.dedupe.ms";
    public static final String ALERTS_MAX_PER_MINUTE_CONFIG = "promptline.alerts.max.per.minute";
    public static final String ALERTS_GROUP_ID_CONFIG = "promptline.alerts.group.id";
    public static final String TRIAGE_ENABLED_CONFIG = "promptline.triage.enabled";
    public static final String TRIAGE_TENANT_CONFIG = "promptline.triage.tenant";
    public static final String TRIAGE_MODEL_CONFIG = "promptline.triage.model";
    public static final String TRIAGE_SECRETS_FILE_CONFIG = "promptline.triage.secrets.file";
    public static final String TRIAGE_GROUP_ID_CONFIG = "promptline.triage.group.id";

    public static final ConfigDef CONFIG = withMetrics(common(), 9401)
            .define(GROUP_ID_CONFIG, Type.STRING, "promptline-sink-postgres", new ConfigDef.NonEmptyString(), Importance.MEDIUM, "Consumer group of the sink.")
            .define(JDBC_URL_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH, "PostgreSQL JDBC URL, e.g. jdbc:postgresql://localhost:5432/promptline.")
            .define(JDBC_USER_CONFIG, Type.STRING, "postgres", Importance.HIGH, "Database user.")
            .define(JDBC_PASSWORD_CONFIG, Type.PASSWORD, "", Importance.HIGH, "Database password. Secret: PROMPTLINE_SINK_JDBC_PASSWORD or PROMPTLINE_SINK_JDBC_PASSWORD_FILE; never logged.")
            .define(MAX_POLL_RECORDS_CONFIG, Type.INT, 1000, Range.between(1, 100_000), Importance.LOW, "Records per poll; each poll is written in one database transaction.")
            .define(POLL_TIMEOUT_MS_CONFIG, Type.LONG, 200L, Range.between(1, 60_000), Importance.LOW, "Consumer poll timeout.")
            .define(ROLLUP_ENABLED_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM, "Run the cost roll-up (llm.costs to llm.costs.hourly and llm.spend, which budgets read) in this process.")
            .define(ROLLUP_APPLICATION_ID_CONFIG, Type.STRING, "promptline-cost-rollup", new ConfigDef.NonEmptyString(), Importance.MEDIUM, "Kafka Streams application.id of the cost roll-up.")
            .define(ALERTS_WEBHOOK_URL_CONFIG, Type.PASSWORD, null, Importance.MEDIUM, "Slack-compatible incoming webhook for alerts on critical dead letters; unset: no alerts. Secret (the URL is the credential): PROMPTLINE_ALERTS_WEBHOOK_URL or ..._FILE; never logged.")
            .define(ALERTS_CATEGORIES_CONFIG, Type.LIST, "AUTHENTICATION,BUDGET_EXCEEDED,PROVIDER_ERROR", Importance.MEDIUM, "Dead-letter categories that alert.")
            .define(ALERTS_SUSTAINED_COUNT_CONFIG, Type.INT, 20, Range.atLeast(1), Importance.LOW, "PROVIDER_ERROR alerts only when this many arrive within the window (a sustained outage, not a blip).")
            .define(ALERTS_SUSTAINED_WINDOW_MS_CONFIG, Type.LONG, 300_000L, Range.atLeast(1000), Importance.LOW, "The window of " + ALERTS_SUSTAINED_COUNT_CONFIG + ".")
            .define(ALERTS_DEDUPE_MS_CONFIG, Type.LONG, 3_600_000L, Range.atLeast(1000), Importance.MEDIUM, "One alert per category (per tenant for BUDGET_EXCEEDED) per this window; what is held back is reported in a summary after it.")
            .define(ALERTS_MAX_PER_MINUTE_CONFIG, Type.INT, 10, Range.atLeast(1), Importance.LOW, "Alerts per minute in all, at most.")
            .define(ALERTS_GROUP_ID_CONFIG, Type.STRING, "promptline-alerts", new ConfigDef.NonEmptyString(), Importance.LOW, "Consumer group of the alert sink.")
            .define(TRIAGE_ENABLED_CONFIG, Type.BOOLEAN, false, Importance.MEDIUM, "Triage each new pattern of dead letter with a model, through Promptline itself (an urgent request of " + TRIAGE_TENANT_CONFIG + "): severity, likely root cause and suggested action go to the dead_letter_triage table and the alert webhook. Sends the dead letter's error message, never its prompt. Needs a processor serving the urgent tier.")
            .define(TRIAGE_TENANT_CONFIG, Type.STRING, "promptline-triage", new ConfigDef.NonEmptyString(), Importance.MEDIUM, "The tenant of the triage requests: its quota and budget apply and its costs are counted like any tenant's.")
            .define(TRIAGE_MODEL_CONFIG, Type.STRING, "gpt-4.1-mini", new ConfigDef.NonEmptyString(), Importance.MEDIUM, "The model asked (a small one, with a price and structured output).")
            .define(TRIAGE_SECRETS_FILE_CONFIG, Type.STRING, "", Importance.LOW, "When the processor checks tenants (tenant-auth mode): the tenant secrets file it reads (tenant=base64 secret lines); the triage tenant's line signs the triage requests.")
            .define(TRIAGE_GROUP_ID_CONFIG, Type.STRING, "promptline-triage", new ConfigDef.NonEmptyString(), Importance.LOW, "Consumer group of the triage (it reads the DLQ from the latest record on first start).")
            .define(ROLLUP_STATE_DIR_CONFIG, Type.STRING, System.getProperty("java.io.tmpdir") + "/promptline-rollup", Importance.MEDIUM, "State directory of the cost roll-up.");

    public SinkConfig(Map<?, ?> values) {
        super(CONFIG, values);
        alertCategories(); // fails at start, naming the key, on an unknown category
        Password hook = alertsWebhook();
        if (hook != null && !hook.value().isBlank() && !hook.value().startsWith("http://") && !hook.value().startsWith("https://")) {
            throw new ConfigException(ALERTS_WEBHOOK_URL_CONFIG, "[hidden]", "must be an http:// or https:// URL");
        }
    }

    public static SinkConfig load(Path file, Map<String, String> env) {
        return new SinkConfig(ConfigSources.load(CONFIG, file, env));
    }

    public String groupId() {
        return getString(GROUP_ID_CONFIG);
    }

    public String jdbcUrl() {
        return getString(JDBC_URL_CONFIG);
    }

    public String jdbcUser() {
        return getString(JDBC_USER_CONFIG);
    }

    public Password jdbcPassword() {
        return getPassword(JDBC_PASSWORD_CONFIG);
    }

    public int maxPollRecords() {
        return getInt(MAX_POLL_RECORDS_CONFIG);
    }

    /** The webhook, or null when alerts are off. */
    public Password alertsWebhook() {
        return getPassword(ALERTS_WEBHOOK_URL_CONFIG);
    }

    public AlertPolicy alertPolicy(Clock clock) {
        return new AlertPolicy(alertCategories(), getInt(ALERTS_SUSTAINED_COUNT_CONFIG), Duration.ofMillis(getLong(ALERTS_SUSTAINED_WINDOW_MS_CONFIG)),
                Duration.ofMillis(getLong(ALERTS_DEDUPE_MS_CONFIG)), getInt(ALERTS_MAX_PER_MINUTE_CONFIG), clock);
    }

    private Set<ErrorCategory> alertCategories() {
        Set<ErrorCategory> categories = EnumSet.noneOf(ErrorCategory.class);
        for (String c : getList(ALERTS_CATEGORIES_CONFIG)) {
            try {
                categories.add(ErrorCategory.valueOf(c.trim().toUpperCase(java.util.Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(ALERTS_CATEGORIES_CONFIG, getList(ALERTS_CATEGORIES_CONFIG), "unknown category '" + c + "'");
            }
        }
        return categories;
    }

    public String alertsGroupId() {
        return getString(ALERTS_GROUP_ID_CONFIG);
    }

    public boolean triageEnabled() {
        return getBoolean(TRIAGE_ENABLED_CONFIG);
    }

    public String triageTenant() {
        return getString(TRIAGE_TENANT_CONFIG);
    }

    public String triageModel() {
        return getString(TRIAGE_MODEL_CONFIG);
    }

    /** The triage tenant's proof secret from the secrets file, or null when none is set; fails naming the key when the tenant has no line. */
    public byte[] triageTenantSecret() {
        String file = getString(TRIAGE_SECRETS_FILE_CONFIG);
        if (file == null || file.isBlank()) return null;
        byte[] secret = TenantProof.readSecrets(Path.of(file)).get(triageTenant());
        if (secret == null) throw new ConfigException(TRIAGE_SECRETS_FILE_CONFIG, file, "has no line for the triage tenant '" + triageTenant() + "'");
        return secret;
    }

    public String triageGroupId() {
        return getString(TRIAGE_GROUP_ID_CONFIG);
    }

    public boolean rollupEnabled() {
        return getBoolean(ROLLUP_ENABLED_CONFIG);
    }

    public String rollupApplicationId() {
        return getString(ROLLUP_APPLICATION_ID_CONFIG);
    }

    public String rollupStateDir() {
        return getString(ROLLUP_STATE_DIR_CONFIG);
    }

    public Duration pollTimeout() {
        return Duration.ofMillis(getLong(POLL_TIMEOUT_MS_CONFIG));
    }
}
