package io.promptline.serde;

import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.registry.SchemaRegistryClient;

import java.time.Duration;
import java.util.Map;

/**
 * Configuration keys of Promptline's Avro serdes. The names match Confluent's serializers so
 * existing client configurations carry over unchanged.
 */
public final class AvroSerdeConfig {
    /** Comma-separated Schema Registry base URLs. Required. */
    public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";
    /** Register the writer schema under the subject on first use (default true); when false the schema must already be registered. */
    public static final String AUTO_REGISTER_SCHEMAS_CONFIG = "auto.register.schemas";
    /** {@code user:password} for HTTP basic auth against the registry. Secret: never logged. */
    public static final String BASIC_AUTH_USER_INFO_CONFIG = "basic.auth.user.info";
    /** Registry request timeout in milliseconds (default 10000). */
    public static final String REQUEST_TIMEOUT_MS_CONFIG = "schema.registry.request.timeout.ms";

    private AvroSerdeConfig() {
    }

    static SchemaRegistryClient clientFrom(Map<String, ?> configs) {
        Object url = configs.get(SCHEMA_REGISTRY_URL_CONFIG);
        if (url == null) {
            throw new IllegalArgumentException("Missing required serde config '" + SCHEMA_REGISTRY_URL_CONFIG + "'");
        }
        Object auth = configs.get(BASIC_AUTH_USER_INFO_CONFIG);
        Object timeout = configs.get(REQUEST_TIMEOUT_MS_CONFIG);
        long ms = timeout == null ? 10_000L : Long.parseLong(timeout.toString());
        return new RestSchemaRegistryClient(url.toString(), auth == null ? null : auth.toString(), Duration.ofMillis(ms));
    }

    static boolean autoRegister(Map<String, ?> configs) {
        Object v = configs.get(AUTO_REGISTER_SCHEMAS_CONFIG);
        return v == null || Boolean.parseBoolean(v.toString());
    }
}
