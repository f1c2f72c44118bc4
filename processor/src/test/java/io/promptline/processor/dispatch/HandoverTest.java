package io.promptline.processor.dispatch;

import io.promptline.requests.Messages;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.TokenUsage;
import io.promptline.avro.ToolCall;
import io.promptline.processor.output.Origin;
import io.promptline.processor.provider.CallOutcome;
import io.promptline.processor.ratelimit.Reservation;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a task learns from the lifetimes before it: the hand-over of a clean stop, and the calls
 * recorded as starting before a crash. An entry is called again with an unconfirmed earlier call
 * only when that call is known (or, lacking any record, possibly) made.
 */
class HandoverTest {
    private static final long CRASHED = 7;
    private static final long STOPPED = 8;

    private static PendingCall entry(String id, long lifetime, int attempt) {
        PromptRequest r = PromptRequest.newBuilder().setRequestId(id).setTenant("acme").setPriority(Priority.NORMAL).setModel("gpt-4.1")
                .setMessages(List.of(Messages.text("user", "hi"))).setCreatedAt(Instant.EPOCH).build();
        return new PendingCall(r, new byte[0], "gpt-4.1", new Origin("t", 0, 0), attempt, 0, 0, 0, 0, new Reservation(0, 0, 10), null,
                null, lifetime);
    }

    private static Handover.Answer answer(long lifetime, String id, int attempt) {
        TokenUsage u = TokenUsage.newBuilder().setPromptTokens(10).setCompletionTokens(5).build();
        return new Handover.Answer(lifetime, id, attempt, 1_000, "openai", null,
                new CallOutcome.Success("gpt-4.1", "answer", "stop", u, 20, null));
    }

    @Test
    void shouldCountOnlyTheCallsACrashedLifetimeRecordedAsStarting() {
        List<Handover.Started> started = List.of(new Handover.Started(CRASHED, "a", 1), new Handover.Started(CRASHED, "b", 2),
                new Handover.Started(99, "c", 1)); // another task's lifetime, not taken over
        Handover.Takeover t = Handover.takeover(List.of(), Set.of(CRASHED), started);

        assertThat(t.fate(entry("a", CRASHED, 1))).isEqualTo(Handover.Fate.UNCONFIRMED);
        assertThat(t.fate(entry("b", CRASHED, 1))).as("a start of another attempt").isEqualTo(Handover.Fate.NOT_STARTED);
        assertThat(t.fate(entry("b", CRASHED, 2))).isEqualTo(Handover.Fate.UNCONFIRMED);
        assertThat(t.fate(entry("c", CRASHED, 1))).isEqualTo(Handover.Fate.NOT_STARTED);
        assertThat(t.fate(entry("d", CRASHED, 1))).as("loaded, never sent").isEqualTo(Handover.Fate.NOT_STARTED);
    }

    @Test
    void shouldCountEveryLoadedEntryOfACrashedLifetimeAsPossiblyCalledWhenItsStartsCannotBeRead() {
        Handover.Takeover t = Handover.takeover(List.of(), Set.of(CRASHED), null);

        assertThat(t.fate(entry("a", CRASHED, 1))).isEqualTo(Handover.Fate.UNCONFIRMED);
        assertThat(t.lostCalls("a", 1)).as("unknown: nothing to add for records read again").isZero();
    }

    @Test
    void shouldApplyAHandedOverAnswerAndTrustTheSummaryOfACleanStop() {
        List<byte[]> records = new ArrayList<>(Handover.encode(STOPPED, List.of(answer(STOPPED, "a", 1)), Map.of("b", 1), Map.of("c", 2), 1));
        Handover.Takeover t = Handover.takeover(records, Set.of(STOPPED), List.of(new Handover.Started(STOPPED, "a", 1),
                new Handover.Started(STOPPED, "b", 1), new Handover.Started(STOPPED, "c", 2)));

        assertThat(t.fate(entry("a", STOPPED, 1))).isEqualTo(Handover.Fate.ANSWERED);
        assertThat(t.answer("a").outcome().content()).isEqualTo("answer");
        assertThat(t.fate(entry("b", STOPPED, 1))).isEqualTo(Handover.Fate.UNCONFIRMED);
        assertThat(t.fate(entry("c", STOPPED, 2))).as("failed calls are not on the bill").isEqualTo(Handover.Fate.FAILED);
        assertThat(t.fate(entry("d", STOPPED, 1))).isEqualTo(Handover.Fate.NOT_STARTED);
        assertThat(t.fate(entry("a", STOPPED, 2))).as("an answer of an earlier attempt is not this entry's").isEqualTo(Handover.Fate.NOT_STARTED);
    }

    @Test
    void shouldHandOverAnAnswersToolCallsAndRefusal() {
        TokenUsage u = TokenUsage.newBuilder().setPromptTokens(82).setCompletionTokens(17).build();
        Handover.Answer a = new Handover.Answer(STOPPED, "t", 1, 1_000, "anthropic", null, new CallOutcome.Success("claude-sonnet-4.5", null,
                "tool_calls", u, 20, null, List.of(new ToolCall("toolu_1", "get_current_weather", "{\"location\":\"Boston, MA\"}")), "no"));
        Handover.Takeover t = Handover.takeover(Handover.encode(STOPPED, List.of(a), Map.of(), Map.of(), 1), Set.of(STOPPED),
                List.of(new Handover.Started(STOPPED, "t", 1)));

        CallOutcome.Success s = t.answer("t").outcome();
        assertThat(s.toolCalls()).containsExactly(new ToolCall("toolu_1", "get_current_weather", "{\"location\":\"Boston, MA\"}"));
        assertThat(s.refusal()).isEqualTo("no");
        assertThat(s.content()).isNull();
        assertThat(s.finishReason()).isEqualTo("tool_calls");
    }

    @Test
    void shouldTreatASummaryCutShortAsNoSummary() {
        // The final part of the summary never arrived: the lifetime did not stop cleanly
        List<byte[]> records = Handover.encode(STOPPED, List.of(), Map.of("b", 1, "x", 1, "y", 1), Map.of(), 1);
        Handover.Takeover withoutStarts = Handover.takeover(records.subList(0, records.size() - 1), Set.of(STOPPED), null);

        assertThat(withoutStarts.summaries()).isEmpty();
        assertThat(withoutStarts.fate(entry("d", STOPPED, 1))).isEqualTo(Handover.Fate.UNCONFIRMED);
    }

    @Test
    void shouldCountTheCallsOfARecordReadAgainThatEarlierLifetimesStarted() {
        // Lifetime 7 started calls 1 and 2 of "a" and crashed before the offset of "a" was committed
        Handover.Takeover t = Handover.takeover(List.of(), Set.of(CRASHED), List.of(new Handover.Started(CRASHED, "a", 1),
                new Handover.Started(CRASHED, "a", 2), new Handover.Started(CRASHED, "a", 2), new Handover.Started(CRASHED, "b", 3)));

        assertThat(t.lostCalls("a", 1)).isEqualTo(2);
        assertThat(t.lostCalls("a", 2)).isEqualTo(1);
        assertThat(t.lostCalls("b", 1)).as("numbered from the record's next call, without gaps").isZero();
        assertThat(t.lostCalls("z", 1)).isZero();
    }

    @Test
    void shouldSkipUnreadableRecords() {
        assertThat(Handover.Started.decode("not json".getBytes())).isNull();
        assertThat(Handover.Started.decode("{}".getBytes())).isNull();
        Handover.Started s = new Handover.Started(3, "r", 4);
        assertThat(Handover.Started.decode(s.encode())).isEqualTo(s);
        Handover.Takeover t = Handover.takeover(List.of("garbage".getBytes()), Set.of(CRASHED), List.of());
        assertThat(t.answers()).isEmpty();
        assertThat(t.fate(entry("a", CRASHED, 1))).isEqualTo(Handover.Fate.NOT_STARTED);
    }
}
