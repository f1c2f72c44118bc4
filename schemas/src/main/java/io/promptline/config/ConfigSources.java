package io.promptline.config;

import org.apache.kafka.common.config.ConfigDef;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * How every Promptline deployable reads its configuration: an optional properties file, then
 * environment overrides. Each key defined in the deployable's {@link ConfigDef} has an
 * environment name derived from it ({@link #envName}): {@code promptline.llm.base.url} →
 * {@code PROMPTLINE_LLM_BASE_URL}, {@code bootstrap.servers} → {@code PROMPTLINE_BOOTSTRAP_SERVERS}.
 * Kafka client settings pass through with the {@code kafka.} prefix, from the file or from the
 * environment: {@code PROMPTLINE_KAFKA_SASL_MECHANISM} → {@code kafka.sasl.mechanism} (the rest of
 * the name lower-cased, {@code _} → {@code .}), and {@code PROMPTLINE_KAFKA_SASL_JAAS_CONFIG_FILE}
 * → {@code kafka.sasl.jaas.config} read from that file, for secrets mounted as files.
 *
 * <p>A key {@code X} of type PASSWORD can also be read from a file named by {@code X.file}
 * (env {@code ..._FILE}), the usual way secrets are mounted.
 */
public final class ConfigSources {
    private ConfigSources() {
    }

    public static String envName(String key) {
        String upper = key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
        return upper.startsWith("PROMPTLINE_") ? upper : "PROMPTLINE_" + upper;
    }

    /** Merges file properties (may be null) and environment overrides for the keys of {@code def}. */
    public static Map<String, Object> load(ConfigDef def, Path file, Map<String, String> env) {
        Map<String, Object> values = new HashMap<>();
        if (file != null) {
            Properties props = new Properties();
            try (Reader r = Files.newBufferedReader(file)) {
                props.load(r);
            } catch (IOException e) {
                throw new IllegalArgumentException("Cannot read config file " + file + ": " + e.getMessage(), e);
            }
            props.forEach((k, v) -> values.put(k.toString(), v.toString().trim()));
        }
        for (String key : def.names()) {
            String fromEnv = env.get(envName(key));
            if (fromEnv != null) values.put(key, fromEnv);
            if (def.configKeys().get(key).type == ConfigDef.Type.PASSWORD && !values.containsKey(key)) {
                Object secretFile = env.getOrDefault(envName(key) + "_FILE", (String) values.get(key + ".file"));
                if (secretFile != null) values.put(key, readSecret(key, Path.of(secretFile.toString())));
            }
        }
        kafkaFromEnv(values, env);
        return values;
    }

    private static final String KAFKA_ENV = "PROMPTLINE_KAFKA_";

    /** {@code PROMPTLINE_KAFKA_X_Y} → {@code kafka.x.y}; {@code PROMPTLINE_KAFKA_X_Y_FILE} → {@code kafka.x.y} from the file, unless given. */
    private static void kafkaFromEnv(Map<String, Object> values, Map<String, String> env) {
        env.forEach((name, value) -> {
            if (name.startsWith(KAFKA_ENV) && !name.endsWith("_FILE")) values.put(kafkaKey(name), value);
        });
        env.forEach((name, file) -> {
            if (!name.startsWith(KAFKA_ENV) || !name.endsWith("_FILE")) return;
            String key = kafkaKey(name.substring(0, name.length() - "_FILE".length()));
            if (!values.containsKey(key)) values.put(key, readSecret(key, Path.of(file)));
        });
    }

    private static String kafkaKey(String envName) {
        return "kafka." + envName.substring(KAFKA_ENV.length()).toLowerCase(Locale.ROOT).replace('_', '.');
    }

    private static String readSecret(String key, Path file) {
        try {
            return Files.readString(file).trim();
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read the secret for " + key + " from " + file + ": " + e.getMessage(), e);
        }
    }

    /** Kafka client settings given with a prefix, e.g. {@code kafka.linger.ms=5} → {@code linger.ms=5}. */
    public static Map<String, Object> withPrefix(Map<String, ?> originals, String prefix) {
        Map<String, Object> out = new HashMap<>();
        originals.forEach((k, v) -> {
            if (k.startsWith(prefix)) out.put(k.substring(prefix.length()), v);
        });
        return out;
    }
}
