package io.promptline.processor.dispatch;

import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.processor.output.Origin;
import io.promptline.processor.ratelimit.Reservation;
import io.promptline.requests.Messages;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The write-ahead record of a call's start. A start record that became durable late (a partition
 * without a leader for seconds while a broker fails over) may be past the window a taker-over reads
 * (the chaos harness, seed 11: acknowledged after its task was taken over, the call was still made,
 * and the new owner called again under the same number, one call off the bill): such a call is not made.
 */
class SuccessionTest {
    private static final PromptRequest REQUEST = PromptRequest.newBuilder().setRequestId("r1").setTenant("acme").setPriority(Priority.NORMAL)
            .setModel("gpt-4.1").setMessages(List.of(Messages.text("user", "hi"))).setCreatedAt(Instant.EPOCH).build();

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now.get());
        }
    };
    private final List<CompletableFuture<Void>> acks = new ArrayList<>();

    private Succession succession() {
        MockProcessorContext<Object, Object> ctx = new MockProcessorContext<>();
        KeyValueStore<Long, Long> lifetimes = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("lifetimes"), Serdes.Long(), Serdes.Long())
                .withLoggingDisabled().build();
        lifetimes.init(ctx.getStateStoreContext(), lifetimes);
        KeyValueStore<String, byte[]> pendingStore = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("pending"), Serdes.String(),
                Serdes.ByteArray()).withLoggingDisabled().build();
        pendingStore.init(ctx.getStateStoreContext(), pendingStore);
        KeyValueStore<String, byte[]> parked = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("parked"), Serdes.String(),
                Serdes.ByteArray()).withLoggingDisabled().build();
        parked.init(ctx.getStateStoreContext(), parked);
        Handover.Channel channel = new Handover.Channel() {
            @Override
            public void attach(int partition, Handover.Task task) {
            }

            @Override
            public void detach(int partition, Handover.Task task) {
            }

            @Override
            public void write(int partition, List<byte[]> records) {
            }

            @Override
            public List<byte[]> read(int partition) {
                return List.of();
            }

            @Override
            public CompletionStage<?> callStarting(int partition, long lifetime, String requestId, int attempt) {
                CompletableFuture<Void> ack = new CompletableFuture<>();
                acks.add(ack);
                return ack;
            }

            @Override
            public List<Handover.Started> startedSince(int partition, long fromMillis) {
                return List.of();
            }
        };
        return new Succession(channel, lifetimes, new PendingCalls(pendingStore, parked, 10, 7), clock, 0, Priority.NORMAL, "0_0");
    }

    private static PendingCall entry() {
        return new PendingCall(REQUEST, new byte[]{0, 0, 0, 0, 1}, "gpt-4.1", new Origin("llm.requests.normal", 0, 1), 1, 0, 0, 0, 900,
                new Reservation(0, 0, 10), null, "model", 7);
    }

    @Test
    void shouldNotMakeACallWhoseStartBecameDurableTooLate() {
        Succession s = succession();
        CompletionStage<?> recorded = s.recordStart().apply(entry());

        // When the start record is acknowledged only after the limit (a leader elected 9 s after a broker's kill -9)
        now.addAndGet(Handover.START_RECORD_LIMIT.toMillis() + 1);
        acks.get(0).complete(null);

        // Then the call is not made: its start completes with the reason
        CompletableFuture<?> f = recorded.toCompletableFuture();
        assertThat(f).isCompletedExceptionally();
        assertThat(f.handle((ok, e) -> e.getMessage()).join()).contains("recorded only after").contains("not made");
    }

    @Test
    void shouldMakeACallWhoseStartBecameDurableWithinTheLimit() {
        Succession s = succession();
        CompletionStage<?> recorded = s.recordStart().apply(entry());
        now.addAndGet(Handover.START_RECORD_LIMIT.toMillis());
        acks.get(0).complete(null);
        assertThat(recorded.toCompletableFuture()).isCompleted().isNotCompletedExceptionally();
    }

    @Test
    void shouldNotMakeACallWhoseStartIsAcknowledgedAfterItsTaskClosedWithoutHandingOver() {
        Succession s = succession();
        CompletionStage<?> recorded = s.recordStart().apply(entry());

        // When the task closes dirty (its partitions lost) while the start record is on its way, and the record lands then
        s.end();
        acks.get(0).complete(null);

        // Then the call is not made: the next owner may have read the start records already
        assertThat(recorded.toCompletableFuture().handle((ok, e) -> e.getMessage()).join()).contains("closed without handing over")
                .contains("not made");
    }

    @Test
    void shouldPassOnAStartThatCouldNotBeRecorded() {
        Succession s = succession();
        CompletionStage<?> recorded = s.recordStart().apply(entry());
        acks.get(0).completeExceptionally(new IllegalStateException("NOT_LEADER_OR_FOLLOWER"));
        assertThat(recorded.toCompletableFuture().handle((ok, e) -> e.getMessage()).join()).contains("NOT_LEADER_OR_FOLLOWER");
    }

    @Test
    void shouldReadStartsFarEnoughBackForALateButAcceptedStart() {
        // A call whose start was acknowledged at the limit and that ran the whole call timeout ends this long after its
        // start record's timestamp; a taker-over reading from (last beat - wait - margin) must still find it.
        Duration wait = Duration.ofSeconds(32);
        assertThat(Handover.startsReadFrom(100_000, wait)).isLessThanOrEqualTo(100_000 - wait.toMillis() - Handover.START_RECORD_LIMIT.toMillis());
    }
}
