package io.promptline.processor.dispatch;

import io.promptline.requests.Messages;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.processor.output.Origin;
import io.promptline.processor.ratelimit.Reservation;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The stored pending entry: the calls it counts survive a restart, and entries of the previous format still read. */
class PendingCallTest {
    private static final PromptRequest REQUEST = PromptRequest.newBuilder().setRequestId("r1").setTenant("acme").setPriority(Priority.NORMAL)
            .setModel("gpt-4.1").setMessages(List.of(Messages.text("user", "hi"))).setCreatedAt(Instant.EPOCH).build();
    private static final byte[] WIRE = {0, 0, 0, 0, 7, 42};

    private static PendingCall entry() {
        return new PendingCall(REQUEST, WIRE, "gpt-4.1", new Origin("llm.requests.normal", 2, 99), 1, 0, 0, 1_000, 900,
                new Reservation(1.5, 2.5, 30), "routed", "rule:code", 5);
    }

    @Test
    void shouldCountARefusedCallAsMadeButNotAgainstTheBudgetAndKeepBothThroughTheStore() {
        PendingCall refusedTwice = entry().refusedByEndpoint().refusedByEndpoint();
        assertThat(refusedTwice.attempts()).as("the next call's number").isEqualTo(3);
        assertThat(refusedTwice.refused()).isEqualTo(2);
        assertThat(refusedTwice.budgetedAttempts()).isEqualTo(1);

        PendingCall back = PendingCall.decode(refusedTwice.calledAgain(6, true).encode(), wire -> REQUEST);
        assertThat(back.attempts()).isEqualTo(4);
        assertThat(back.unconfirmed()).isEqualTo(1);
        assertThat(back.refused()).isEqualTo(2);
        assertThat(back.budgetedAttempts()).isEqualTo(2);
        assertThat(back.lifetime()).isEqualTo(6);
        assertThat(back.reservation()).isEqualTo(new Reservation(1.5, 2.5, 30));
        assertThat(back.requestWire()).isEqualTo(WIRE);
        assertThat(back.route()).isEqualTo("rule:code");
        assertThat(PendingCall.storedLifetime(refusedTwice.encode())).isEqualTo(5);
    }

    @Test
    void shouldReadAnEntryStoredInTheFormatBeforeRefusedCallsWereCounted() {
        // Format 5 is format 6 without the refused count (the int after unconfirmed)
        byte[] v6 = entry().calledAgain(5, true).encode();
        ByteArrayOutputStream v5 = new ByteArrayOutputStream();
        v5.write(5);
        int refusedAt = 1 + 8 + 4 + 4;
        v5.write(v6, 1, refusedAt - 1);
        // ... and without the route (a UTF string just before the request's wire bytes)
        int routeAt = v6.length - WIRE.length - (2 + "rule:code".length());
        v5.write(v6, refusedAt + 4, routeAt - refusedAt - 4);
        v5.write(WIRE, 0, WIRE.length);
        PendingCall old = PendingCall.decode(v5.toByteArray(), wire -> REQUEST);
        assertThat(old.attempts()).isEqualTo(2);
        assertThat(old.unconfirmed()).isEqualTo(1);
        assertThat(old.refused()).isZero();
        assertThat(old.firstAttemptAt()).isEqualTo(1_000);
        assertThat(old.origin()).isEqualTo(new Origin("llm.requests.normal", 2, 99));
        assertThat(old.fallbackReason()).isEqualTo("routed");
        assertThat(old.route()).isNull();
        assertThat(PendingCall.storedLifetime(v5.toByteArray())).isEqualTo(5);
    }
}
