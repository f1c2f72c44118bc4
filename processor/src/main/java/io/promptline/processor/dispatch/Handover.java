package io.promptline.processor.dispatch;

import io.promptline.processor.provider.StreamListener;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.promptline.avro.TokenUsage;
import io.promptline.avro.ToolCall;
import io.promptline.processor.provider.CallOutcome;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * What a task hands to its next owner when it lets go of the task cleanly (a rebalance moved it,
 * or the instance stops): the answers of its calls that came back but could not be applied before
 * the task closed, and a summary of its other started calls (answer lost: unconfirmed; failed).
 * An entry of the pending store the next owner finds from that lifetime is then answered from the
 * hand-over without a call, called again with an unconfirmed earlier call on the bill, called
 * again (a failed call), or called for the first time (it never started). A lifetime that handed
 * nothing over (it crashed) leaves each of its loaded entries as possibly called: called again
 * with an unconfirmed earlier call on the bill, so the recorded spend never undercounts.
 *
 * <p>The channel ({@link Channel}) is the processor's: a topic per tier partitioned like the
 * tenants, written with a plain producer before the task's partitions are released, read when a
 * task starts with entries of other lifetimes.
 */
public final class Handover {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * How long a call's start record may take to become durable: a call whose record is acknowledged later is not made
     * (a partition without a leader, for the seconds a broker's failover takes). A taker-over reads the records from
     * {@link #startsReadFrom} on; a later acknowledgement could be outside that window, and the call off the bill.
     */
    public static final Duration START_RECORD_LIMIT = Duration.ofSeconds(5);

    /**
     * Where a taker-over reads the calls started from (epoch ms, the records' timestamps): a call still open when its
     * lifetime last beat at {@code lastBeatMillis} was sent at most {@code wait} (the call timeout and slack) before,
     * and its start record written at most {@link #START_RECORD_LIMIT} before it was sent; as much again for the beat's
     * and the records' clocks.
     */
    public static long startsReadFrom(long lastBeatMillis, Duration wait) {
        return lastBeatMillis - wait.toMillis() - 2 * START_RECORD_LIMIT.toMillis();
    }

    private Handover() {
    }

    /** A task still running its calls, as the revocation of its partition sees it. Stream thread of the task only. */
    public interface Task {
        /** Waits until every call the task started has come back, or until {@code deadlineNanos} (System.nanoTime). */
        void awaitCalls(long deadlineNanos) throws InterruptedException;

        /** The task is let go cleanly: when it closes, it hands over. */
        void letGo();
    }

    /** Where tasks hand over and take over; the processor's implementation is a Kafka topic. */
    public interface Channel {
        /** The task of {@code partition} runs in this instance now (or no longer, with null). */
        void attach(int partition, Task task);

        void detach(int partition, Task task);

        /** Writes what one lifetime of a task hands over; returns once it is durable. Throws if it cannot. */
        void write(int partition, List<byte[]> records);

        /** Reads what was handed over for the task of {@code partition}. */
        List<byte[]> read(int partition);

        /**
         * Records, durably, that a call starts: the call is sent only once this completes. Whoever
         * takes the task over after a crash learns from these which of its calls were made.
         */
        CompletionStage<?> callStarting(int partition, long lifetime, String requestId, int attempt);

        /** The calls recorded as starting in the task of {@code partition} since {@code fromMillis}. */
        List<Started> startedSince(int partition, long fromMillis);

        /**
         * Where the pieces of a streamed answer go (the results stream, keyed by request_id): the
         * call's {@code attempt} numbers them, from 0; null when the channel streams nothing.
         */
        default StreamListener stream(String requestId, String tenant, int attempt) {
            return null;
        }
    }

    /** A call recorded as starting: by which lifetime of the task, of which request, under which attempt number. */
    public record Started(long lifetime, String requestId, int attempt) {
        public byte[] encode() {
            return bytes(JSON.createObjectNode().put("lifetime", lifetime).put("request_id", requestId).put("attempt", attempt));
        }

        /** The record, or null when the bytes are not one (they say nothing). */
        public static Started decode(byte[] bytes) {
            try {
                JsonNode n = JSON.readTree(bytes);
                if (!n.hasNonNull("request_id")) return null;
                return new Started(n.path("lifetime").asLong(), n.path("request_id").asText(), n.path("attempt").asInt());
            } catch (IOException e) {
                return null;
            }
        }
    }

    /** One call answered but not applied. */
    record Answer(long lifetime, String requestId, int attempt, long startedAt, String provider, String fallbackReason,
                  CallOutcome.Success outcome) {
    }

    /** What one lifetime handed over about its started calls. */
    record Summary(long lifetime, Map<String, Integer> unconfirmed, Map<String, Integer> failed) {
    }

    /** The records of a hand-over: the answers, then the summary in parts of at most {@code idsPerPart} ids, the last marked final. */
    static List<byte[]> encode(long lifetime, Collection<Answer> answers, Map<String, Integer> unconfirmed, Map<String, Integer> failed,
                               int idsPerPart) {
        List<byte[]> out = new ArrayList<>();
        for (Answer a : answers) out.add(bytes(answer(a)));
        List<Map.Entry<String, Integer>> u = new ArrayList<>(unconfirmed.entrySet());
        List<Map.Entry<String, Integer>> f = new ArrayList<>(failed.entrySet());
        int i = 0;
        int j = 0;
        do {
            ObjectNode s = JSON.createObjectNode().put("type", "summary").put("lifetime", lifetime);
            ObjectNode un = s.putObject("unconfirmed");
            ObjectNode fa = s.putObject("failed");
            int n = 0;
            for (; i < u.size() && n < idsPerPart; i++, n++) un.put(u.get(i).getKey(), u.get(i).getValue());
            for (; j < f.size() && n < idsPerPart; j++, n++) fa.put(f.get(j).getKey(), f.get(j).getValue());
            s.put("final", i >= u.size() && j >= f.size());
            out.add(bytes(s));
        } while (i < u.size() || j < f.size());
        return out;
    }

    private static ObjectNode answer(Answer a) {
        ObjectNode o = JSON.createObjectNode().put("type", "answer").put("lifetime", a.lifetime()).put("request_id", a.requestId())
                .put("attempt", a.attempt()).put("started_at", a.startedAt()).put("provider", a.provider())
                .put("fallback_reason", a.fallbackReason());
        CallOutcome.Success s = a.outcome();
        o.put("model", s.model()).put("content", s.content()).put("finish_reason", s.finishReason()).put("latency_ms", s.latencyMs())
                .put("refusal", s.refusal());
        var calls = o.putArray("tool_calls");
        for (ToolCall t : s.toolCalls()) calls.addObject().put("id", t.getId()).put("name", t.getName()).put("arguments", t.getArguments());
        TokenUsage u = s.usage();
        if (u != null) {
            o.putObject("usage").put("prompt_tokens", u.getPromptTokens()).put("completion_tokens", u.getCompletionTokens())
                    .put("cached_tokens", u.getCachedTokens()).put("cache_write_tokens", u.getCacheWriteTokens())
                    .put("reasoning_tokens", u.getReasoningTokens()).put("estimated", u.getEstimated());
        }
        return o;
    }

    private static byte[] bytes(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What the records say about the given lifetimes (records of other lifetimes and unreadable ones
     * are skipped), with the calls those lifetimes recorded as starting, or null when they could not
     * be read (then every loaded entry of theirs counts as possibly called).
     */
    static Takeover takeover(List<byte[]> records, Set<Long> lifetimes, List<Started> started) {
        Map<String, Answer> answers = new HashMap<>();
        Map<Long, Map<String, Integer>> unconfirmed = new HashMap<>();
        Map<Long, Map<String, Integer>> failed = new HashMap<>();
        Set<Long> complete = new HashSet<>();
        for (byte[] r : records) {
            JsonNode n;
            try {
                n = JSON.readTree(r);
            } catch (IOException e) {
                continue; // not a hand-over record: it says nothing, and the entries it might concern are treated as possibly called
            }
            long lifetime = n.path("lifetime").asLong(0);
            if (!lifetimes.contains(lifetime)) continue;
            if ("answer".equals(n.path("type").asText())) {
                Answer a = readAnswer(n, lifetime);
                answers.put(a.requestId(), a);
            } else if ("summary".equals(n.path("type").asText())) {
                putAll(unconfirmed.computeIfAbsent(lifetime, l -> new HashMap<>()), n.path("unconfirmed"));
                putAll(failed.computeIfAbsent(lifetime, l -> new HashMap<>()), n.path("failed"));
                if (n.path("final").asBoolean(false)) complete.add(lifetime);
            }
        }
        Map<Long, Summary> summaries = new HashMap<>();
        for (Long l : complete) summaries.put(l, new Summary(l, unconfirmed.getOrDefault(l, Map.of()), failed.getOrDefault(l, Map.of())));
        Map<String, List<Started>> starts = null;
        if (started != null) {
            starts = new HashMap<>();
            for (Started s : started) {
                if (lifetimes.contains(s.lifetime())) starts.computeIfAbsent(s.requestId(), k -> new ArrayList<>()).add(s);
            }
        }
        return new Takeover(answers, summaries, starts);
    }

    private static void putAll(Map<String, Integer> into, JsonNode ids) {
        for (Iterator<Map.Entry<String, JsonNode>> it = ids.fields(); it.hasNext(); ) {
            var e = it.next();
            into.put(e.getKey(), e.getValue().asInt());
        }
    }

    private static Answer readAnswer(JsonNode n, long lifetime) {
        JsonNode u = n.get("usage");
        TokenUsage usage = u == null || u.isNull() ? null : TokenUsage.newBuilder().setPromptTokens(u.path("prompt_tokens").asLong())
                .setCompletionTokens(u.path("completion_tokens").asLong()).setCachedTokens(u.path("cached_tokens").asLong())
                .setCacheWriteTokens(u.path("cache_write_tokens").asLong()).setReasoningTokens(u.path("reasoning_tokens").asLong())
                .setEstimated(u.path("estimated").asBoolean()).build();
        List<ToolCall> calls = new ArrayList<>();
        for (JsonNode t : n.path("tool_calls")) calls.add(new ToolCall(t.path("id").asText(), t.path("name").asText(), t.path("arguments").asText()));
        CallOutcome.Success s = new CallOutcome.Success(text(n, "model"), text(n, "content"), text(n, "finish_reason"), usage,
                n.path("latency_ms").asLong(), null, calls, text(n, "refusal"));
        return new Answer(lifetime, n.path("request_id").asText(), n.path("attempt").asInt(), n.path("started_at").asLong(),
                text(n, "provider"), text(n, "fallback_reason"), s);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** How a new lifetime treats an entry another lifetime wrote. */
    enum Fate {
        /** Its call answered before the hand-over: apply the answer, no call. */
        ANSWERED,
        /** Its call started and its answer was lost: call again, and bill the lost call by estimate. */
        UNCONFIRMED,
        /** Its call failed: call again under the next attempt number. */
        FAILED,
        /** Its call never started: call it, same attempt. */
        NOT_STARTED
    }

    /**
     * What was handed over, for the lifetimes of the entries a task found.
     *
     * @param started the calls of each request those lifetimes recorded as starting, or null when unknown
     */
    record Takeover(Map<String, Answer> answers, Map<Long, Summary> summaries, Map<String, List<Started>> started) {
        static final Takeover NOTHING = new Takeover(Map.of(), Map.of(), null);

        /**
         * The fate of an entry written by another lifetime: answered if it handed the answer over;
         * failed if its summary says so; else called (its answer lost) if it recorded the call as
         * starting or listed it so; else never started. When the starts could not be read and the
         * lifetime left no summary (it crashed), an entry counts as possibly called.
         */
        Fate fate(PendingCall stored) {
            String id = stored.request().getRequestId();
            Answer a = answers.get(id);
            if (a != null && a.lifetime() == stored.lifetime() && a.attempt() == stored.attempts()) return Fate.ANSWERED;
            Summary s = summaries.get(stored.lifetime());
            if (s != null) {
                Integer f = s.failed().get(id);
                if (f != null && f == stored.attempts()) return Fate.FAILED;
                Integer u = s.unconfirmed().get(id);
                if (u != null && u == stored.attempts()) return Fate.UNCONFIRMED;
            }
            if (started == null) return s == null ? Fate.UNCONFIRMED : Fate.NOT_STARTED;
            for (Started st : started.getOrDefault(id, List.of())) {
                if (st.lifetime() == stored.lifetime() && st.attempt() == stored.attempts()) return Fate.UNCONFIRMED;
            }
            return Fate.NOT_STARTED;
        }

        /**
         * How many calls of a request, numbered from {@code attempt} on, other lifetimes recorded as
         * starting: a record read again (its offset was not committed when they crashed) whose calls
         * were made — each needs its place on the bill.
         */
        int lostCalls(String requestId, int attempt) {
            if (started == null) return 0;
            Set<Integer> attempts = new HashSet<>();
            for (Started st : started.getOrDefault(requestId, List.of())) attempts.add(st.attempt());
            int n = 0;
            while (attempts.contains(attempt + n)) n++;
            return n;
        }

        Answer answer(String requestId) {
            return answers.get(requestId);
        }
    }
}
