package io.promptline.producer.cli;

import io.promptline.config.ConfigSources;
import io.promptline.config.PromptlineConfig;
import io.promptline.producer.PromptlineProducer;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.registry.TrustStores;
import io.promptline.requests.TenantProof;
import io.promptline.topics.Topics;
import org.apache.kafka.common.config.ConfigDef;
import picocli.CommandLine.Option;

import java.util.HashMap;
import java.util.Map;

/** Where Kafka and the registry are, shared by every command; defaults from the environment (as the deployables read it). */
final class Connection {
    private SchemaRegistryClient registry;

    @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT",
            defaultValue = "${env:PROMPTLINE_BOOTSTRAP_SERVERS:-localhost:19092}",
            description = "Kafka bootstrap servers (env PROMPTLINE_BOOTSTRAP_SERVERS; default: the local stack's, ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = {"-r", "--schema-registry"}, paramLabel = "URL",
            defaultValue = "${env:PROMPTLINE_SCHEMA_REGISTRY_URL:-http://localhost:18081}",
            description = "Confluent-compatible Schema Registry (env PROMPTLINE_SCHEMA_REGISTRY_URL; default ${DEFAULT-VALUE}).")
    String schemaRegistryUrl;

    @Option(names = "--topics-base", paramLabel = "PREFIX", defaultValue = "${env:PROMPTLINE_TOPICS_BASE:-llm}",
            description = "Prefix of the topic names (env PROMPTLINE_TOPICS_BASE; default ${DEFAULT-VALUE}).")
    String topicsBase;

    Topics topics() {
        return Topics.withBase(topicsBase);
    }

    /** One client per command run, so its schema cache serves every serde the command creates. */
    SchemaRegistryClient registry() {
        if (registry == null) {
            Map<String, Object> settings = ConfigSources.load(AUTH_KEYS, null, System.getenv());
            registry = new RestSchemaRegistryClient(schemaRegistryUrl, registryUserInfo(settings), java.time.Duration.ofSeconds(10),
                    registryTrust(settings));
        }
        return registry;
    }

    PromptlineProducer producer() {
        PromptlineProducer.Builder b = PromptlineProducer.builder().bootstrapServers(bootstrapServers).schemaRegistryUrl(schemaRegistryUrl)
                .registry(registry()).topics(topics()).maxBlock(java.time.Duration.ofSeconds(15));
        kafkaFromEnv().forEach(b::kafka);
        tenantSecrets().forEach(b::tenantSecret);
        return b.build();
    }

    /** Tenant-auth mode: the same secrets file the processor reads signs what the CLI publishes (submit, import, redrive). */
    Map<String, byte[]> tenantSecrets() {
        String secrets = System.getenv("PROMPTLINE_TENANT_AUTH_SECRETS_FILE");
        return secrets == null || secrets.isBlank() ? Map.of() : TenantProof.readSecrets(java.nio.file.Path.of(secrets));
    }

    private static Map<String, Object> kafkaFromEnv() {
        return ConfigSources.withPrefix(ConfigSources.load(new ConfigDef(), null, System.getenv()), "kafka.");
    }

    /**
     * The registry's basic auth from the environment only (a secret on the command line shows in
     * {@code ps}): {@code PROMPTLINE_SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO}, or a file named by
     * {@code ..._FILE}, as the deployables read it.
     */
    private static String registryUserInfo(Map<String, Object> settings) {
        Object auth = settings.get(PromptlineConfig.SCHEMA_REGISTRY_AUTH_CONFIG);
        return auth == null ? null : auth.toString();
    }

    /**
     * The trust of an https:// registry signed by a private CA, as the deployables read it:
     * {@code PROMPTLINE_SCHEMA_REGISTRY_SSL_TRUSTSTORE_LOCATION} (PEM or PKCS12/JKS) and its
     * {@code ..._PASSWORD} (or {@code ..._PASSWORD_FILE}); null: the JVM's CAs.
     */
    private static javax.net.ssl.SSLContext registryTrust(Map<String, Object> settings) {
        Object location = settings.get(PromptlineConfig.SCHEMA_REGISTRY_TRUSTSTORE_CONFIG);
        if (location == null || location.toString().isBlank()) return null;
        Object password = settings.get(PromptlineConfig.SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD_CONFIG);
        return TrustStores.sslContext(java.nio.file.Path.of(location.toString()), password == null ? null : password.toString().toCharArray());
    }

    private static final ConfigDef AUTH_KEYS = new ConfigDef().define(PromptlineConfig.SCHEMA_REGISTRY_AUTH_CONFIG, ConfigDef.Type.PASSWORD,
            null, ConfigDef.Importance.LOW, "registry basic auth")
            .define(PromptlineConfig.SCHEMA_REGISTRY_TRUSTSTORE_CONFIG, ConfigDef.Type.STRING, "", ConfigDef.Importance.LOW, "registry trust")
            .define(PromptlineConfig.SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD_CONFIG, ConfigDef.Type.PASSWORD, null, ConfigDef.Importance.LOW,
                    "registry truststore password");

    /**
     * Client settings for consumers and producers the commands create: Kafka settings from the
     * environment as the deployables read them ({@code PROMPTLINE_KAFKA_SASL_MECHANISM} →
     * {@code sasl.mechanism}, {@code PROMPTLINE_KAFKA_SASL_JAAS_CONFIG_FILE}, ...).
     */
    Map<String, Object> kafka() {
        Map<String, Object> m = new HashMap<>(kafkaFromEnv());
        m.put("bootstrap.servers", bootstrapServers);
        m.put("default.api.timeout.ms", 15_000);
        m.put("request.timeout.ms", 10_000);
        return m;
    }
}
