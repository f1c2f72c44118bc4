package io.promptline.processor.dispatch;

import io.promptline.processor.provider.StreamListener;

import io.promptline.avro.Priority;
import io.promptline.processor.provider.CallOutcome;
import io.promptline.processor.provider.Completion;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * One lifetime of a task among those before and after it: at start it takes over from the
 * earlier lifetimes (what they handed over when let go cleanly, and which calls they recorded as
 * starting before they crashed); while it runs it records each call as starting before the call
 * is sent, and beats every second in the changelogged lifetimes store so that a taker-over knows
 * how far back to read; let go cleanly, it hands over to the next owner. Stream thread only.
 */
final class Succession {
    private static final Logger log = LoggerFactory.getLogger(Succession.class);
    private static final long BEAT_MS = 1_000;
    /** Lifetimes not seen running for this long are forgotten. */
    private static final Duration LIFETIME_MEMORY = Duration.ofDays(1);
    /** Ids per part of a hand-over summary. */
    private static final int IDS_PER_PART = 10_000;

    private final Handover.Channel channel;
    private final KeyValueStore<Long, Long> lifetimes;
    private final PendingCalls pending;
    private final Clock clock;
    private final int partition;
    private final String task;
    private long lastBeat;
    /** Closed without handing over (dirty): a call whose start is acknowledged from now on is not made. */
    private volatile boolean ended;

    /**
     * @param channel   the tier's hand-over channel, or null: nothing is handed over or recorded
     * @param lifetimes lifetime → when it last ran (epoch ms)
     * @param task      the task and tier, for the log
     */
    Succession(Handover.Channel channel, KeyValueStore<Long, Long> lifetimes, PendingCalls pending, Clock clock, int partition,
               Priority tier, String task) {
        this.channel = channel;
        this.lifetimes = lifetimes;
        this.pending = pending;
        this.clock = clock;
        this.partition = partition;
        this.task = "Task " + task + " (" + tier + ")";
    }

    boolean handsOver() {
        return channel != null;
    }

    /**
     * Records, durably, that a call starts (the call is sent once it completes); null when nothing is recorded. A record
     * acknowledged after {@link Handover#START_RECORD_LIMIT} fails the start: a taker-over may not have seen it, so the
     * call is not made (it counts as a failed attempt, on the safe side of the bill).
     */
    Function<PendingCall, CompletionStage<?>> recordStart() {
        if (channel == null) return null;
        return pc -> {
            long asked = clock.millis();
            return channel.callStarting(partition, pending.lifetime(), pc.request().getRequestId(), pc.attempts()).thenApply(ok -> {
                if (ended) throw new IllegalStateException("its task closed without handing over before its start was recorded; not made");
                long took = clock.millis() - asked;
                if (took > Handover.START_RECORD_LIMIT.toMillis()) {
                    throw new IllegalStateException("its start was recorded only after " + took + " ms (limit "
                            + Handover.START_RECORD_LIMIT.toMillis() + " ms), when a new owner of the task may not see it; not made");
                }
                return ok;
            });
        };
    }

    /** Where a streamed request's call sends its pieces; null when nothing is streamed here. */
    Function<PendingCall, StreamListener> streams() {
        if (channel == null) return null;
        return pc -> pc.request().getStream() ? channel.stream(pc.request().getRequestId(), pc.request().getTenant(), pc.attempts()) : null;
    }

    /**
     * Reads what the earlier lifetimes of the task handed over (nothing, if they crashed) and which
     * calls they recorded as starting since shortly before they last ran, for the pending calls.
     */
    void takeOver() {
        long now = clock.millis();
        Map<Long, Long> beats = new HashMap<>();
        List<Long> forgotten = new ArrayList<>();
        try (KeyValueIterator<Long, Long> it = lifetimes.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                if (kv.value < now - LIFETIME_MEMORY.toMillis()) forgotten.add(kv.key);
                else beats.put(kv.key, kv.value);
            }
        }
        forgotten.forEach(lifetimes::delete);
        Set<Long> earlier = new HashSet<>(pending.foreignLifetimes());
        earlier.addAll(beats.keySet());
        beat();
        if (earlier.isEmpty()) return;
        Handover.Takeover t = Handover.Takeover.NOTHING;
        if (channel != null) {
            List<byte[]> records = List.of();
            try {
                records = channel.read(partition);
            } catch (RuntimeException e) {
                log.error("{}: cannot read what the previous owner handed over ({}); its open calls count as possibly made", task,
                        e.getMessage());
            }
            List<Handover.Started> started = null;
            try {
                long since = earlier.stream().mapToLong(l -> beats.getOrDefault(l, now - LIFETIME_MEMORY.toMillis())).min().orElse(now);
                started = channel.startedSince(partition, since);
            } catch (RuntimeException e) {
                log.error("{}: cannot read the calls the previous owner started ({}); its open calls count as possibly made", task,
                        e.getMessage());
            }
            t = Handover.takeover(records, earlier, started);
        }
        pending.takeOver(t);
        log.info("{}: taking over from {} earlier lifetimes: {} answers handed over, {} summaries, {} requests with calls started", task,
                earlier.size(), t.answers().size(), t.summaries().size(), t.started() == null ? "unknown" : t.started().size());
    }

    /** This lifetime runs: remembered (every second) so that a taker-over knows how far back to look. */
    void beat() {
        long now = clock.millis();
        if (now - lastBeat < BEAT_MS) return;
        lastBeat = now;
        lifetimes.put(pending.lifetime(), now);
    }

    /**
     * Closing after being let go: the calls that came back but were not applied are handed over with
     * their answers, and the other started calls are listed (lost or failed), for the next owner.
     */
    void handOver(List<Completion> arrived) {
        List<Handover.Answer> answers = new ArrayList<>();
        Map<String, Integer> failed = new HashMap<>();
        Map<String, Integer> unconfirmed = pending.startedCalls();
        for (Completion c : arrived) {
            PendingCall pc = pending.get(c.requestId());
            if (pc == null || pc.attempts() != c.attempt()) continue; // superseded
            unconfirmed.remove(c.requestId());
            if (c.outcome() instanceof CallOutcome.Success s) {
                answers.add(new Handover.Answer(pending.lifetime(), c.requestId(), c.attempt(), c.startedAt(), c.provider(), c.fallbackReason(), s));
            } else {
                failed.put(c.requestId(), c.attempt());
            }
        }
        try {
            channel.write(partition, Handover.encode(pending.lifetime(), answers, unconfirmed, failed, IDS_PER_PART));
            log.info("{} handed over: {} answers, {} calls without answer, {} failed", task, answers.size(), unconfirmed.size(),
                    failed.size());
        } catch (RuntimeException e) {
            log.error("{}: cannot hand over ({}); its next owner counts its open calls as possibly made", task, e.getMessage());
            end();
        }
    }

    /**
     * The lifetime closed without handing over: its next owner learns of its calls only from the start records it reads
     * when it takes over, so a start acknowledged after that must not become a call.
     */
    void end() {
        ended = true;
    }
}
