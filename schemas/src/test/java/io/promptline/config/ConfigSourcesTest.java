package io.promptline.config;

import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Kafka client settings reach every deployable from the environment containers use, secrets from mounted files. */
class ConfigSourcesTest {
    @TempDir
    Path dir;

    @Test
    void shouldMapKafkaSettingsAndSecretFilesFromTheEnvironment() throws Exception {
        Path jaas = Files.writeString(dir.resolve("jaas"), "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"processor\" password=\"s3cret\";\n");
        Path props = Files.writeString(dir.resolve("p.properties"), "kafka.security.protocol=PLAINTEXT\nkafka.linger.ms=5\n");
        Map<String, Object> values = ConfigSources.load(new ConfigDef(), props, Map.of(
                "PROMPTLINE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "PROMPTLINE_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "PROMPTLINE_KAFKA_SSL_TRUSTSTORE_LOCATION", "/etc/kafka/truststore.p12",
                "PROMPTLINE_KAFKA_SASL_JAAS_CONFIG_FILE", jaas.toString(),
                "HOME", "/root"));
        assertThat(ConfigSources.withPrefix(values, "kafka.")).containsOnly(
                Map.entry("security.protocol", "SASL_SSL"), // the environment over the file
                Map.entry("linger.ms", "5"),
                Map.entry("sasl.mechanism", "SCRAM-SHA-512"),
                Map.entry("ssl.truststore.location", "/etc/kafka/truststore.p12"),
                Map.entry("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                        + "username=\"processor\" password=\"s3cret\";"));
    }

    @Test
    void shouldNameTheSettingWhoseSecretFileCannotBeRead() {
        assertThatThrownBy(() -> ConfigSources.load(new ConfigDef(), null,
                Map.of("PROMPTLINE_KAFKA_SSL_KEYSTORE_PASSWORD_FILE", dir.resolve("missing").toString())))
                .hasMessageContaining("kafka.ssl.keystore.password").hasMessageContaining("missing");
    }
}
