package io.promptline.config;

import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.registry.TrustStores;
import io.promptline.topics.Topics;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

import java.time.Duration;
import java.util.Map;

/**
 * The keys every Promptline deployable shares — where Kafka and the registry are, and the topic
 * names — and their accessors. Each deployable's config adds its own keys to {@link #common()}.
 */
public abstract class PromptlineConfig extends AbstractConfig {
    public static final String BOOTSTRAP_SERVERS_CONFIG = "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";
    public static final String SCHEMA_REGISTRY_AUTH_CONFIG = "schema.registry.basic.auth.user.info";
    public static final String SCHEMA_REGISTRY_TRUSTSTORE_CONFIG = "schema.registry.ssl.truststore.location";
    public static final String SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD_CONFIG = "schema.registry.ssl.truststore.password";
    public static final String TOPICS_BASE_CONFIG = "promptline.topics.base";
    public static final String METRICS_PORT_CONFIG = "promptline.metrics.port";
    public static final String METRICS_HOST_CONFIG = "promptline.metrics.host";

    protected PromptlineConfig(ConfigDef definition, Map<?, ?> values) {
        super(definition, values, false);
    }

    /** A ConfigDef holding the shared keys, to which a deployable adds its own. */
    protected static ConfigDef common() {
        return new ConfigDef()
                .define(BOOTSTRAP_SERVERS_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
                        Importance.HIGH, "Kafka bootstrap servers.")
                .define(SCHEMA_REGISTRY_URL_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
                        Importance.HIGH, "Confluent-compatible Schema Registry base URL(s), comma-separated.")
                .define(SCHEMA_REGISTRY_AUTH_CONFIG, Type.PASSWORD, null, Importance.MEDIUM,
                        "user:password for the registry's HTTP basic auth (env PROMPTLINE_SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO, "
                                + "or a file named by ..._FILE); unset: no auth. Never logged.")
                .define(SCHEMA_REGISTRY_TRUSTSTORE_CONFIG, Type.STRING, "", Importance.LOW,
                        "CA certificates (PEM) or a PKCS12/JKS truststore for an https:// registry signed by a private CA; "
                                + "empty: the JVM's CAs.")
                .define(SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD_CONFIG, Type.PASSWORD, null, Importance.LOW,
                        "Password of the registry truststore (not needed for PEM); also from a file named by ..._FILE. Never logged.")
                .define(TOPICS_BASE_CONFIG, Type.STRING, Topics.DEFAULT_BASE, new ConfigDef.NonEmptyString(),
                        Importance.MEDIUM, "Common prefix of all topic names (llm → llm.requests.normal, llm.results, ...).");
    }

    /**
     * Adds the keys of the operator endpoint ({@code /metrics}, {@code /health/live}, {@code /health/ready})
     * with the deployable's default port.
     */
    protected static ConfigDef withMetrics(ConfigDef def, int defaultPort) {
        return def
                .define(METRICS_PORT_CONFIG, Type.INT, defaultPort, ConfigDef.Range.between(-1, 65_535), Importance.MEDIUM,
                        "Port of the Prometheus /metrics and /health endpoints; 0 picks a free port, -1 turns them off.")
                .define(METRICS_HOST_CONFIG, Type.STRING, "0.0.0.0", new ConfigDef.NonEmptyString(), Importance.LOW,
                        "Address the metrics and health endpoints bind to.");
    }

    public String bootstrapServers() {
        return getString(BOOTSTRAP_SERVERS_CONFIG);
    }

    public String schemaRegistryUrl() {
        return getString(SCHEMA_REGISTRY_URL_CONFIG);
    }

    /** A client of the schema registry, with its basic auth when one is configured. */
    public RestSchemaRegistryClient registryClient() {
        Password auth = getPassword(SCHEMA_REGISTRY_AUTH_CONFIG);
        String trust = getString(SCHEMA_REGISTRY_TRUSTSTORE_CONFIG).trim();
        Password trustPassword = getPassword(SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD_CONFIG);
        return new RestSchemaRegistryClient(schemaRegistryUrl(), auth == null ? null : auth.value(), Duration.ofSeconds(10),
                trust.isEmpty() ? null : TrustStores.sslContext(java.nio.file.Path.of(trust),
                        trustPassword == null ? null : trustPassword.value().toCharArray()));
    }

    public Topics topics() {
        return Topics.withBase(getString(TOPICS_BASE_CONFIG));
    }

    /** The metrics port, or -1 when the endpoint is off. Only for configs built with {@link #withMetrics}. */
    public int metricsPort() {
        return getInt(METRICS_PORT_CONFIG);
    }

    public String metricsHost() {
        return getString(METRICS_HOST_CONFIG);
    }

    /** Kafka client settings given as {@code kafka.*}. */
    public Map<String, Object> kafkaOverrides() {
        return ConfigSources.withPrefix(originals(), "kafka.");
    }
}
