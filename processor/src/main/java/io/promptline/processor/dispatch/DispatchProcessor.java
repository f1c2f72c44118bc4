package io.promptline.processor.dispatch;

import io.promptline.avro.BatchCommand;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.Quota;
import io.promptline.avro.SpendTotal;
import io.promptline.processor.batch.BatchJobs;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.intake.AdmissionPolicy;
import io.promptline.processor.intake.Claims;
import io.promptline.processor.intake.RequestDecoder;
import io.promptline.processor.intake.TenantRouter;
import io.promptline.processor.output.Origin;
import io.promptline.processor.output.TaskOutputs;
import io.promptline.processor.provider.CallGateway;
import io.promptline.processor.provider.CallOutcome;
import io.promptline.processor.provider.Completion;
import io.promptline.processor.provider.VertxChatClient;
import io.promptline.processor.quota.Budgets;
import io.promptline.processor.quota.QuotaView;
import io.promptline.processor.ratelimit.BucketStore;
import io.promptline.processor.ratelimit.RateLimiter;
import io.promptline.processor.ratelimit.Reservation;
import io.promptline.processor.retry.Ladder;
import io.promptline.processor.retry.RetryHeaders;
import io.promptline.requests.RequestHeaders;
import io.promptline.serde.AvroDeserializer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The coordinator of one task of one tier: it carries each request along its path and owns the
 * stream-thread protocol. Kafka Streams allows forward() and store access only on the stream
 * thread, so:
 * <ol>
 *   <li>{@link #process}: a record is decoded ({@link RequestDecoder}), claimed by request_id
 *       ({@link Claims}: duplicates stop here) and admitted ({@link AdmissionPolicy}: a refusal is
 *       dead-lettered); it reserves its tenant's rate-limit turn and is written to the
 *       changelogged pending store ({@link PendingCalls}) before its call starts. A turn too far
 *       away sends it to the delay ladder instead, keeping the turn;</li>
 *   <li>when its turn comes and a permit and an endpoint are free, the call runs on Vert.x
 *       ({@link CallScheduler}) and its completion is queued ({@link TaskCompletions});</li>
 *   <li>completions are applied on the stream thread, in a wall-clock punctuator (every few ms, just
 *       before the commit check), by the {@link CompletionHandler}: a result and cost event, a retry
 *       through the ladder, a context fallback, or a dead letter ({@link RequestEnds}); the pending
 *       entry goes. Under exactly_once_v2 that commits atomically with the input offsets.</li>
 * </ol>
 * On (re)assignment, init() finds whatever a previous owner left pending and calls again; a
 * request parked in the ladder is only marked, and comes back through the relay.
 */
public final class DispatchProcessor implements Processor<byte[], byte[], Object, Object>, Handover.Task {
    public static final String PENDING_STORE = "pending-calls";
    /** request_id → marker of a request waiting in the delay ladder. */
    public static final String PARKED_STORE = "parked-requests";
    /** request_ids that produced a result, remembered for the dedupe retention. */
    public static final String COMPLETED_STORE = "completed-requests";
    /** Reason → duplicates this task skipped (committed with the skipped records' offsets). */
    public static final String SKIPS_STORE = "skip-counts";
    /** Tenant → rate-limit bucket of this tier. */
    public static final String RATE_STORE = "rate-limits";
    /** Global: the quotas topic (tenant → Quota). */
    public static final String QUOTAS_STORE = "quotas";
    /** Global: the spend topic (tenant|currency|period → SpendTotal). */
    public static final String SPEND_STORE = "spend";
    /** lifetime → when it last ran (epoch ms), beaten every second: how far back a taker-over reads the calls it started. */
    public static final String LIFETIMES_STORE = "task-lifetimes";
    private static final long BEAT_MS = 1_000;
    private static final Duration LIFETIME_MEMORY = Duration.ofDays(1);
    /** Batch tier with the Batch API on: job key → batch job. */
    public static final String BATCH_JOBS_STORE = "batch-jobs";
    /** Batch tier with the Batch API on: request_id → its job and the admitted request. */
    public static final String BATCH_MEMBERS_STORE = "batch-members";
    private static final Logger log = LoggerFactory.getLogger(DispatchProcessor.class);
    /** A tier whose tasks waited for room this recently is treated as saturated. */
    private static final Duration SATURATED_WINDOW = Duration.ofSeconds(1);

    private final CallGateway gateway;
    private final TierSettings settings;
    private final RequestDecoder decoder;
    /** The topic of batch-job commands, or null when this task runs no batch jobs. */
    private final String batchCommands;
    /** Where this task hands over when let go, and takes over what another lifetime handed over; null: nothing is handed over. */
    private final Handover.Channel handover;
    private volatile boolean letGo;
    private KeyValueStore<Long, Long> lifetimes;
    private long lastBeat;
    private BatchJobs batch;
    private ProcessorContext<Object, Object> ctx;
    private PendingCalls pending;
    private Claims claims;
    private AdmissionPolicy admission;
    private RateLimiter limiter;
    private RequestEnds ends;
    private TaskCompletions completions;
    private CallScheduler scheduler;
    private CompletionHandler handler;
    private SkipCounts skips;
    private AvroDeserializer<BatchCommand> commandDecoder;

    public DispatchProcessor(CallGateway gateway, TierSettings settings) {
        this(gateway, settings, null, null);
    }

    /**
     * @param batchCommands the topic of batch-job commands when this tier runs batch jobs, else null
     * @param handover      the tier's hand-over channel, or null
     */
    public DispatchProcessor(CallGateway gateway, TierSettings settings, String batchCommands, Handover.Channel handover) {
        this.gateway = gateway;
        this.settings = settings;
        this.decoder = new RequestDecoder(settings.registry(), settings.intake().maxRequestBytes());
        this.batchCommands = batchCommands;
        this.handover = handover;
    }

    /** Whether a tier's tasks gather requests into provider batch jobs. */
    public static boolean runsBatchJobs(TierSettings settings) {
        return settings.tier() == Priority.BATCH && settings.batchApi().mode() != TierSettings.BatchApi.Mode.OFF;
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.ctx = context;
        var clock = gateway.clock();
        QuotaView quotas = new QuotaView(context.getStateStore(QUOTAS_STORE), new AvroDeserializer<>(settings.registry(), Quota.class),
                QUOTAS_STORE, Map.of(settings.tier(), settings.rateLimits().defaults()), clock);
        // A new lifetime of the task: entries another lifetime wrote may have had their calls started.
        this.pending = new PendingCalls(context.getStateStore(PENDING_STORE), context.getStateStore(PARKED_STORE), settings.maxPending(),
                ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE));
        this.claims = new Claims(context.getStateStore(COMPLETED_STORE), settings.dedupeRetention(), new Claims.Held() {
            @Override
            public boolean admitted(String requestId) {
                return pending.admitted(requestId) || batch != null && batch.holds(requestId);
            }

            @Override
            public java.util.OptionalInt parkedAfter(String requestId) {
                return pending.parkedAfter(requestId);
            }

            @Override
            public void unpark(String requestId) {
                pending.unpark(requestId);
            }
        });
        this.admission = new AdmissionPolicy(settings.router(), settings.context(), settings.billing(),
                settings.rateLimits().completionEstimate(), gateway.provider(), new Budgets(quotas, context.getStateStore(SPEND_STORE),
                new AvroDeserializer<>(settings.registry(), SpendTotal.class), SPEND_STORE));
        this.limiter = new RateLimiter(BucketStore.of(context.getStateStore(RATE_STORE)), tenant -> quotas.limits(tenant, settings.tier()),
                clock, settings.rateLimits().burstFraction());
        this.ends = new RequestEnds(settings, pending, claims, new TaskOutputs(context, settings.tier(), gateway.metrics()),
                new Ladder(context, settings.tier(), gateway.metrics()), clock);
        this.completions = new TaskCompletions(gateway);
        this.skips = new SkipCounts(context.getStateStore(SKIPS_STORE));
        this.commandDecoder = new AvroDeserializer<>(settings.registry(), BatchCommand.class);
        gateway.metrics().addDuplicateCounts(settings.tier(), SkipCounts.REASONS, skips);
        int partition = context.taskId().partition();
        this.scheduler = new CallScheduler(settings, gateway, limiter, pending, completions, ends,
                wire -> decoder.request(settings.tier().name(), wire), handover == null ? null
                        : pc -> handover.callStarting(partition, pending.lifetime(), pc.request().getRequestId(), pc.attempts()));
        this.handler = new CompletionHandler(settings, gateway, limiter, pending, scheduler, ends);
        if (batchCommands != null) {
            if (gateway.batchApi() == null) throw new IllegalStateException("the batch tier runs batch jobs but no Batch API client is set");
            BatchSpill spill = new BatchSpill(wire -> decoder.request(settings.tier().name(), wire), pending, limiter, scheduler, ends,
                    settings.rateLimits().completionEstimate());
            this.batch = new BatchJobs(context.getStateStore(BATCH_JOBS_STORE), context.getStateStore(BATCH_MEMBERS_STORE),
                    gateway.batchApi(), settings.batchApi(), settings.tier(), context.taskId().partition(), clock, gateway.metrics(), spill,
                    spill);
            batch.recover();
        }
        this.lifetimes = context.getStateStore(LIFETIMES_STORE);
        pending.recover();
        takeOver();
        beat();
        letGo = false;
        if (handover != null) handover.attach(ctx.taskId().partition(), this);
        // Nothing is forwarded from init(): the first punctuation (a few ms away) starts the calls.
        context.schedule(settings.drainInterval(), PunctuationType.WALL_CLOCK_TIME, ts -> punctuate());
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata m = ctx.recordMetadata().orElseThrow();
        if (batchCommands != null && batchCommands.equals(m.topic())) {
            batchCommand(record, new Origin(m.topic(), m.partition(), m.offset()));
            return;
        }
        Origin here = TenantRouter.origin(record.headers(), new Origin(m.topic(), m.partition(), m.offset()));
        Instant now = gateway.clock().instant();
        RequestDecoder.Intake intake = decoder.decode(record.value(), record.headers(), here);
        if (intake instanceof RequestDecoder.Malformed bad) {
            ends.malformed(record.key(), record.value(), bad.reason(), here);
            return;
        }
        if (intake instanceof RequestDecoder.Oversized big) {
            ends.oversized(big, record.key(), here);
            return;
        }
        RequestDecoder.Decoded decoded = (RequestDecoder.Decoded) intake;
        PromptRequest request = decoded.request();
        RetryHeaders.State back = decoded.back();
        boolean redrive = record.headers().lastHeader(RequestHeaders.REDRIVE) != null;
        Claims.Duplicate duplicate = claims.claim(request.getRequestId(), back, redrive, now);
        if (duplicate != null) {
            gateway.metrics().duplicate(settings.tier(), duplicate.tag());
            skips.count(duplicate);
            log.debug("request_id {} at {} skipped: duplicate of a request {}", request.getRequestId(), here, duplicate.tag());
            return;
        }
        Origin origin = back != null && back.origin() != null ? back.origin() : here;
        int callsMade = back == null ? 0 : back.attempts();
        long first = back == null || back.firstAttemptAt() == null ? 0 : back.firstAttemptAt();
        Reservation kept = back == null || back.reservation() == null ? null : Reservation.decode(back.reservation());
        AdmissionPolicy.Decision decision = admission.decide(request, now);
        if (decision instanceof AdmissionPolicy.Reject reject) {
            // Back from waiting for its turn (deadline or budget now past): its place in the tenant's line is free.
            if (kept != null) limiter.giveUp(request.getTenant(), kept);
            ends.refused(request, reject.category(), reject.message(), callsMade, first, origin);
            return;
        }
        AdmissionPolicy.Admit admit = (AdmissionPolicy.Admit) decision;
        if (batch != null && back == null && settings.batchApi().admits(request, now)) {
            // Through the provider's Batch API: no rate-limit turn (the provider's batch pool is its own), a job to wait in. A
            // request back from the delay ladder stays synchronous: it was called so (first, or after its batch line failed).
            PendingCall member = new PendingCall(request, record.value(), admit.model(), origin, 1, 0, 0, now.toEpochMilli(),
                    new Reservation(0, 0, 0), admit.fallbackReason(), pending.lifetime());
            byte[] stored = member.encode();
            batch.add(request.getRequestId(), gateway.batchApi().provider(), admit.model(), stored,
                    VertxChatClient.body(member.chatCall()).encode().length() + 96L);
            return;
        }
        Reservation reservation = kept != null ? kept : limiter.reserve(request.getTenant(), admit.estimatedTokens());
        int unconfirmed = back == null ? 0 : back.unconfirmed();
        PendingCall pc = new PendingCall(request, record.value(), admit.model(), origin, callsMade + 1, unconfirmed, first, now.toEpochMilli(),
                reservation, admit.fallbackReason(), pending.lifetime());
        // A record read again after a crash: the calls an earlier lifetime started for it were made, their answers lost.
        int lost = pending.takeover().lostCalls(request.getRequestId(), callsMade + 1);
        for (int i = 0; i < lost; i++) {
            pc = pc.calledAgain(pending.lifetime(), true);
            ends.unconfirmed(pc, gateway.provider(), settings.rateLimits().completionEstimate());
        }
        long startsAt = limiter.estimatedStart(request.getTenant(), reservation);
        if (startsAt - now.toEpochMilli() > settings.rateLimits().maxHold().toMillis()) {
            awaitTurnInLadder(pc, startsAt, now.toEpochMilli());
            return;
        }
        scheduler.admit(pc);
    }

    /** The tenant's turn is further away than the hold: wait in the ladder, keeping the reservation. */
    private void awaitTurnInLadder(PendingCall pc, long startsAt, long now) {
        // Come back while the turn is still ahead, within the hold window: the rung not above half-way.
        Duration rung = settings.retry().rungFor(Duration.ofMillis(startsAt - now - settings.rateLimits().maxHold().toMillis() / 2));
        ends.park(pc, pc.attempts() - 1, null, null, rung, now + rung.toMillis(), pc.reservation());
    }

    /**
     * The wall-clock punctuation: dead-letters unreadable entries, applies finished calls, loads what
     * waits in the store as room frees, and starts what is due.
     */
    private void punctuate() {
        beat();
        scheduler.newTurn();
        deadLetterUnreadable();
        int applied = 0;
        Completion c;
        while ((c = completions.poll()) != null) {
            handler.apply(c);
            applied++;
        }
        for (Completion handedOver : scheduler.refill()) handler.applyHandedOver(handedOver);
        scheduler.startDue();
        if (batch != null) batch.tick();
        deadLetterUnreadable();
        // While the tier is saturated its tasks wait for room in process(); one stream thread's tasks
        // share one transaction, so what is written here would stay uncommitted through those waits,
        // and an open transaction on the results topic hides every other tier's results from
        // read_committed readers (the last stable offset). So commit at once (Kafka Streams does, right
        // after this punctuation) whenever the tier has waited lately.
        if (applied > 0 && gateway.waitedWithin(settings.tier(), SATURATED_WINDOW)) ctx.commit();
    }

    /**
     * Reads what the earlier lifetimes of the task handed over (nothing, if they crashed) and which
     * calls they recorded as starting since shortly before they last ran.
     */
    private void takeOver() {
        long now = gateway.clock().millis();
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
        java.util.Set<Long> earlier = new java.util.HashSet<>(pending.foreignLifetimes());
        earlier.addAll(beats.keySet());
        if (earlier.isEmpty()) return;
        Handover.Takeover t = Handover.Takeover.NOTHING;
        if (handover != null) {
            int partition = ctx.taskId().partition();
            List<byte[]> records = List.of();
            try {
                records = handover.read(partition);
            } catch (RuntimeException e) {
                log.error("Task {} ({}): cannot read what the previous owner handed over ({}); its open calls count as possibly made",
                        ctx.taskId(), settings.tier(), e.getMessage());
            }
            List<Handover.Started> started = null;
            try {
                long since = earlier.stream().mapToLong(l -> beats.getOrDefault(l, now - LIFETIME_MEMORY.toMillis())).min().orElse(now);
                started = handover.startedSince(partition, since);
            } catch (RuntimeException e) {
                log.error("Task {} ({}): cannot read the calls the previous owner started ({}); its open calls count as possibly made",
                        ctx.taskId(), settings.tier(), e.getMessage());
            }
            t = Handover.takeover(records, earlier, started);
        }
        pending.takeOver(t);
        log.info("Task {} ({}): taking over from {} earlier lifetimes: {} answers handed over, {} summaries, {} requests with calls started",
                ctx.taskId(), settings.tier(), earlier.size(), t.answers().size(), t.summaries().size(),
                t.started() == null ? "unknown" : t.started().size());
    }

    /** This lifetime runs: remembered (every second) so that a taker-over knows how far back to look. */
    private void beat() {
        long now = gateway.clock().millis();
        if (now - lastBeat < BEAT_MS) return;
        lastBeat = now;
        lifetimes.put(pending.lifetime(), now);
    }

    @Override
    public void awaitCalls(long deadlineNanos) throws InterruptedException {
        if (completions == null) return;
        while (completions.size() < pending.startedCount()) {
            long left = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
            if (left <= 0) return;
            completions.awaitMoreThan(completions.size(), Math.min(left, 50));
        }
    }

    @Override
    public void letGo() {
        letGo = true;
    }

    /**
     * Closing after being let go: the calls that came back but were not applied are handed over with
     * their answers, and the other started calls are listed (lost or failed), for the next owner.
     */
    private void handOver() {
        List<Completion> arrived = completions.closeAndDrain();
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
            handover.write(ctx.taskId().partition(), Handover.encode(pending.lifetime(), answers, unconfirmed, failed, 10_000));
            log.info("Task {} ({}) handed over: {} answers, {} calls without answer, {} failed", ctx.taskId(), settings.tier(),
                    answers.size(), unconfirmed.size(), failed.size());
        } catch (RuntimeException e) {
            log.error("Task {} ({}): cannot hand over ({}); its next owner counts its open calls as possibly made", ctx.taskId(),
                    settings.tier(), e.getMessage());
        }
    }

    private void deadLetterUnreadable() {
        Origin origin = new Origin(PENDING_STORE, ctx.taskId().partition(), -1);
        pending.drainUnreadable((id, raw) -> ends.malformed(null, raw, "pending entry of request_id " + id
                + " can no longer be decoded (unknown schema id or entry format)", origin));
    }

    @Override
    public void close() {
        // Completions not yet applied are handed over when the task was let go cleanly (a rebalance
        // after its wait, a graceful stop), else dropped (now or on arrival): their pending entries stay
        // in the store and the task's next lifetime or owner calls again, billing a lost call by
        // estimate. The in-memory mirror is cleared, because Kafka Streams may init() this same object
        // again after a dirty close.
        if (handover != null && ctx != null) handover.detach(ctx.taskId().partition(), this);
        if (letGo && handover != null && completions != null && pending != null) handOver();
        else if (completions != null) completions.close();
        if (skips != null) gateway.metrics().removeDuplicateCounts(settings.tier(), skips);
        if (pending != null) pending.clear();
        if (scheduler != null) scheduler.clear();
        if (batch != null) batch.close();
    }

    /** An operator's command for one of this task's batch jobs; an unreadable one is dead-lettered. */
    private void batchCommand(Record<byte[], byte[]> record, Origin here) {
        BatchCommand command;
        try {
            command = commandDecoder.deserialize(batchCommands, record.value());
        } catch (RuntimeException e) {
            ends.malformed(record.key(), record.value(), "unreadable batch command: " + e.getMessage(), here);
            return;
        }
        if (command == null || !"CANCEL".equalsIgnoreCase(command.getAction())) {
            ends.malformed(record.key(), record.value(), "unknown batch command " + (command == null ? "(empty)" : command.getAction())
                    + "; known: CANCEL", here);
            return;
        }
        batch.cancel(command.getJobId(), command.getRequestedBy() == null ? "an operator" : command.getRequestedBy());
    }
}
