package io.promptline.config;

import io.promptline.topics.Topics;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

import java.util.Map;

/**
 * The keys every Promptline deployable shares — where Kafka and the registry are, and the topic
 * names — and their accessors. Each deployable's config adds its own keys to {@link #common()}.
 */
public abstract class PromptlineConfig extends AbstractConfig {
    public static final String BOOTSTRAP_SERVERS_CONFIG = "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";
    public static final String TOPICS_BASE_CONFIG = "promptline.topics.base";

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
                .define(TOPICS_BASE_CONFIG, Type.STRING, Topics.DEFAULT_BASE, new ConfigDef.NonEmptyString(),
                        Importance.MEDIUM, "Common prefix of all topic names (llm → llm.requests.normal, llm.results, ...).");
    }

    public String bootstrapServers() {
        return getString(BOOTSTRAP_SERVERS_CONFIG);
    }

    public String schemaRegistryUrl() {
        return getString(SCHEMA_REGISTRY_URL_CONFIG);
    }

    public Topics topics() {
        return Topics.withBase(getString(TOPICS_BASE_CONFIG));
    }

    /** Kafka client settings given as {@code kafka.*}. */
    public Map<String, Object> kafkaOverrides() {
        return ConfigSources.withPrefix(originals(), "kafka.");
    }
}
