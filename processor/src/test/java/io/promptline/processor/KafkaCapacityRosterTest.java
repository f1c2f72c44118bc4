package io.promptline.processor;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class KafkaCapacityRosterTest {
    @Test
    void shouldShareADeploymentAmongTheLiveInstancesThatWantIt() {
        long now = 100_000;
        Map<String, KafkaCapacityRoster.Beat> others = Map.of(
                "b", new KafkaCapacityRoster.Beat(now - 1_000, Set.of("east", "west")),
                "c", new KafkaCapacityRoster.Beat(now - 2_000, Set.of("east")),
                "gone", new KafkaCapacityRoster.Beat(now - 60_000, Set.of("east", "west")),
                "idle", new KafkaCapacityRoster.Beat(now - 500, Set.of()));
        assertThat(KafkaCapacityRoster.wanting("east", others, now)).as("this one, b and c").isEqualTo(3);
        assertThat(KafkaCapacityRoster.wanting("west", others, now)).isEqualTo(2);
        assertThat(KafkaCapacityRoster.wanting("north", others, now)).as("alone").isEqualTo(1);
    }

    @Test
    void shouldReadHeartbeatsAndSkipWhatIsNotOne() {
        assertThat(KafkaCapacityRoster.read("{\"instance\":\"b\",\"at\":5,\"wanted\":[\"east\"]}".getBytes()))
                .isEqualTo(new KafkaCapacityRoster.Beat(5, Set.of("east")));
        assertThat(KafkaCapacityRoster.read("not json".getBytes())).isNull();
        assertThat(KafkaCapacityRoster.read("{}".getBytes())).isNull();
    }
}
