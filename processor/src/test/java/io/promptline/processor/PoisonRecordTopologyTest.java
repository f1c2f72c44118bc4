package io.promptline.processor;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.PromptResult;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.retry.RetryPolicy;
import io.promptline.processor.routing.ContextRouting;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A record whose processing throws (any exception, from any step) goes to the DLQ with its bytes
 * and the reason, through Kafka Streams' processing exception handler, and the records behind it
 * in its partition are processed: no crash loop, no stalled partition.
 */
class PoisonRecordTopologyTest {
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final VertxFixture VERTX = new VertxFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:5").build());
    private static final int POISON_SCHEMA_ID = 987_654;

    private TierHarness tier;

    @AfterEach
    void tearDown() {
        tier.close();
    }

    /** A registry client that fails in a way nobody planned for when asked for one schema id. */
    private static SchemaRegistryClient throwingFor(SchemaRegistryClient real) {
        return new SchemaRegistryClient() {
            @Override
            public int register(String subject, Schema schema) {
                return real.register(subject, schema);
            }

            @Override
            public int lookup(String subject, Schema schema) {
                return real.lookup(subject, schema);
            }

            @Override
            public Schema schemaById(int id) {
                if (id == POISON_SCHEMA_ID) throw new IllegalStateException("unexpected state for schema " + id);
                return real.schemaById(id);
            }

            @Override
            public boolean isCompatible(String subject, Schema schema) {
                return real.isCompatible(subject, schema);
            }

            @Override
            public List<String> subjects() {
                return real.subjects();
            }

            @Override
            public List<String> urls() {
                return real.urls();
            }
        };
    }

    @Test
    void shouldDeadLetterARecordWhoseProcessingThrowsAndGoOn() {
        tier = TierHarness.start(REGISTRY, SIM, VERTX, registry -> TestDispatch.tier(throwingFor(registry),
                new RetryPolicy(List.of(Duration.ofSeconds(1)), 3, Duration.ofMillis(200), 2, 0), TierSettings.RateLimits.unlimited(),
                ContextRouting.none()));

        // Given a poison record (its schema id makes decoding throw an unexpected exception) between two requests
        tier.send(tier.request("before", "hello").build());
        byte[] poison = ByteBuffer.allocate(9).put((byte) 0).putInt(POISON_SCHEMA_ID).putInt(42).array();
        tier.input.pipeInput("acme", poison);
        tier.send(tier.request("after", "hello").build());

        // Then it is dead-lettered with its bytes and the exception, and both requests are answered
        tier.pumpUntil(() -> tier.results.getQueueSize() == 2);
        assertThat(tier.results.readValuesToList()).extracting(PromptResult::getRequestId).containsExactlyInAnyOrder("before", "after");
        DeadLetter dl = tier.dlq.readValue();
        assertThat(dl.getCategory()).isEqualTo(ErrorCategory.MALFORMED_INPUT);
        assertThat(dl.getMessage()).contains("processing failed at route").contains("unexpected state for schema 987654");
        assertThat(dl.getRawValue().array()).isEqualTo(poison);
        assertThat(dl.getOriginOffset()).isEqualTo(1);
    }
}
