package io.promptline.sink.config;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.sink.alerts.AlertPolicy;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SinkConfigTest {

    @Test
    void shouldNameTheKeyOfAnUnknownAlertCategory() {
        assertThatThrownBy(() -> new SinkConfig(required(SinkConfig.ALERTS_CATEGORIES_CONFIG, "AUTHENTICATION, OUTAGE")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(SinkConfig.ALERTS_CATEGORIES_CONFIG)
                .hasMessageContaining("unknown category 'OUTAGE'");
    }

    @Test
    void shouldAlertOnTheConfiguredCategoriesWhateverTheirCase() {
        AlertPolicy policy = new SinkConfig(required(SinkConfig.ALERTS_CATEGORIES_CONFIG, "authentication")).alertPolicy(Clock.systemUTC());
        assertThat(policy.offer(deadLetter(ErrorCategory.AUTHENTICATION))).hasSize(1);
        assertThat(policy.offer(deadLetter(ErrorCategory.BUDGET_EXCEEDED))).isEmpty();
    }

    private static Map<String, String> required(String key, String value) {
        return Map.of(SinkConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092", SinkConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://127.0.0.1:8081",
                SinkConfig.JDBC_URL_CONFIG, "jdbc:postgresql://127.0.0.1/promptline", key, value);
    }

    private static DeadLetter deadLetter(ErrorCategory c) {
        return DeadLetter.newBuilder().setRequestId("r-" + c).setTenant("acme").setCategory(c).setMessage("m").setAttempts(1)
                .setOriginTopic("llm.requests.normal").setOriginPartition(0).setOriginOffset(0).setFailedAt(Instant.now()).build();
    }
}
