package io.promptline.runtime;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class KafkaRefusalTest {
    @Test
    void shouldNameWhatTheClusterRefusedWhereverItSitsInTheCauses() {
        assertThat(KafkaRefusal.describe(new KafkaException("wrapped", new TopicAuthorizationException(Set.of("llm.results"))), "x"))
                .hasValueSatisfying(m -> assertThat(m).contains("missing an ACL on TOPIC [llm.results]"));
        assertThat(KafkaRefusal.describe(GroupAuthorizationException.forGroupId("g1"), "x"))
                .hasValueSatisfying(m -> assertThat(m).contains("missing READ on GROUP g1"));
        assertThat(KafkaRefusal.describe(new TransactionalIdAuthorizationException("Transactional Id authorization failed."), "prefixed app-"))
                .hasValueSatisfying(m -> assertThat(m).contains("missing WRITE on TRANSACTIONAL_ID prefixed app-"));
        assertThat(KafkaRefusal.describe(new SaslAuthenticationException("bad password"), "x"))
                .hasValueSatisfying(m -> assertThat(m).contains("refused the client's credentials").contains("PROMPTLINE_KAFKA_SASL_JAAS_CONFIG"));
    }

    @Test
    void shouldLeaveErrorsThatRetryingCanFixAlone() {
        assertThat(KafkaRefusal.describe(new TimeoutException("slow"), "x")).isEmpty();
        assertThat(KafkaRefusal.describe(new IllegalStateException("other"), "x")).isEmpty();
    }
}
