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
import io.promptline.processor.provider.Completion;
import io.promptline.processor.provider.VertxChatClient;
import io.promptline.processor.quota.Budgets;
import io.promptline.processor.quota.QuotaView;
import io.promptline.processor.ratelimit.BucketStore;
import io.promptline.processor.ratelimit.RateLimiter;
import io.promptline.processor.ratelimit.Reservation;
import io.promptline.processor.ratelimit.TenantLines;
import io.promptline.processor.retry.Ladder;
import io.promptline.processor.retry.RetryHeaders;
import io.promptline.requests.RequestHeaders;
import io.promptline.serde.AvroDeserializer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

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
    /** When the punctuator last applied finished calls (System.nanoTime). */
    private long lastApplied;
    private Succession succession;
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
    private BatchCommands commands;

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
        QuotaView quotas = new QuotaView(context.getStateStore(TaskStores.QUOTAS_STORE), new AvroDeserializer<>(settings.registry(), Quota.class),
                TaskStores.QUOTAS_STORE, Map.of(settings.tier(), settings.rateLimits().defaults()), clock);
        // A new lifetime of the task: entries another lifetime wrote may have had their calls started.
        this.pending = new PendingCalls(context.getStateStore(TaskStores.PENDING_STORE), context.getStateStore(TaskStores.PARKED_STORE), settings.maxPending(),
                ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE));
        this.claims = new Claims(context.getStateStore(TaskStores.COMPLETED_STORE), settings.dedupeRetention(),
                pending.or(id -> batch != null && batch.holds(id)));
        this.admission = new AdmissionPolicy(settings.router(), settings.context(), settings.billing(),
                settings.rateLimits().completionEstimate(), gateway.provider(), new Budgets(quotas, context.getStateStore(TaskStores.SPEND_STORE),
                new AvroDeserializer<>(settings.registry(), SpendTotal.class), TaskStores.SPEND_STORE), gateway::serves);
        TenantLines lines = settings.rateLimits().lines();
        this.limiter = new RateLimiter(BucketStore.of(context.getStateStore(TaskStores.RATE_STORE)),
                line -> lines.split(line, quotas.limits(lines.tenant(line), settings.tier())), clock, settings.rateLimits().burstFraction());
        this.ends = new RequestEnds(settings, pending, claims, new TaskOutputs(context, settings.tier(), gateway.metrics()),
                new Ladder(context, settings.tier(), gateway.metrics()), clock);
        this.completions = new TaskCompletions(gateway);
        this.skips = new SkipCounts(context.getStateStore(TaskStores.SKIPS_STORE));
        gateway.metrics().addDuplicateCounts(settings.tier(), SkipCounts.REASONS, skips);
        this.succession = new Succession(handover, context.getStateStore(TaskStores.LIFETIMES_STORE), pending, clock, context.taskId().partition(),
                settings.tier(), context.taskId().toString());
        this.scheduler = new CallScheduler(settings, gateway, limiter, pending, completions, ends,
                wire -> decoder.request(settings.tier().name(), wire), succession.recordStart(), succession.streams());
        this.handler = new CompletionHandler(settings, gateway, limiter, pending, scheduler, ends);
        if (batchCommands != null) {
            if (gateway.batchApi() == null) throw new IllegalStateException("the batch tier runs batch jobs but no Batch API client is set");
            BatchSpill spill = new BatchSpill(wire -> decoder.request(settings.tier().name(), wire), pending, limiter, scheduler, ends,
                    settings.rateLimits());
            this.batch = new BatchJobs(context.getStateStore(TaskStores.BATCH_JOBS_STORE), context.getStateStore(TaskStores.BATCH_MEMBERS_STORE),
                    gateway.batchApi(), settings.batchApi(), settings.tier(), context.taskId().partition(), clock, gateway.metrics(), spill);
            batch.recover();
            this.commands = new BatchCommands(batchCommands, new AvroDeserializer<>(settings.registry(), BatchCommand.class), ends, batch);
        }
        pending.recover();
        succession.takeOver();
        letGo = false;
        if (handover != null) handover.attach(ctx.taskId().partition(), this);
        // Nothing is forwarded from init(): the first punctuation (a few ms away) starts the calls.
        context.schedule(settings.drainInterval(), PunctuationType.WALL_CLOCK_TIME, ts -> punctuate());
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata m = ctx.recordMetadata().orElseThrow();
        if (commands != null && commands.reads(m.topic())) {
            commands.apply(record.key(), record.value(), new Origin(m.topic(), m.partition(), m.offset()));
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
        // Before anything else: a request that cannot prove its tenant claims nothing (id, turn, budget).
        String unproven = settings.tenantAuth() == null ? null : settings.tenantAuth().refusal(request.getTenant(), record.value(), record.headers());
        if (unproven != null) {
            ends.unauthorized(request, record.value(), unproven, here);
            return;
        }
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
            if (kept != null) limiter.giveUp(settings.rateLimits().lines().of(request), kept);
            ends.refused(request, reject.category(), reject.message(), callsMade, first, origin);
            return;
        }
        AdmissionPolicy.Admit admit = (AdmissionPolicy.Admit) decision;
        if (batch != null && back == null && settings.batchApi().admits(request, now)) {
            // Through the provider's Batch API: no rate-limit turn (the provider's batch pool is its own), a job to wait in. A
            // request back from the delay ladder stays synchronous: it was called so (first, or after its batch line failed).
            PendingCall member = new PendingCall(request, record.value(), admit.model(), origin, 1, 0, 0, 0, now.toEpochMilli(),
                    new Reservation(0, 0, 0), admit.fallbackReason(), admit.route(), pending.lifetime());
            byte[] stored = member.encode();
            batch.add(request.getRequestId(), gateway.batchApi().provider(), admit.model(), stored,
                    VertxChatClient.body(member.chatCall()).encode().length() + 96L);
            return;
        }
        String line = settings.rateLimits().lines().of(request);
        Reservation reservation = kept != null ? kept : limiter.reserve(line, admit.estimatedTokens());
        PendingCall pc = new PendingCall(request, record.value(), admit.model(), origin, callsMade + 1, back == null ? 0 : back.unconfirmed(),
                back == null ? 0 : back.refused(), first, now.toEpochMilli(), reservation, admit.fallbackReason(), admit.route(),
                pending.lifetime());
        // A record read again after a crash: the calls an earlier lifetime started for it were made, their answers lost.
        int lost = pending.takeover().lostCalls(request.getRequestId(), callsMade + 1);
        for (int i = 0; i < lost; i++) {
            pc = pc.calledAgain(pending.lifetime(), true);
            ends.unconfirmed(pc, gateway.provider(), settings.rateLimits().completionEstimate());
        }
        long startsAt = limiter.estimatedStart(line, reservation);
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
        succession.beat();
        scheduler.newTurn();
        deadLetterUnreadable();
        // Saturated, each punctuation that applies commits (below): every 5 ms that was most of the thread's time, with no
        // call started meanwhile. So it applies at most every saturatedApply (finished calls count as room already).
        boolean saturated = gateway.waitedWithin(settings.tier(), SATURATED_WINDOW);
        long now = System.nanoTime();
        int applied = 0;
        if (!saturated || now - lastApplied >= settings.saturatedApply().toNanos()) {
            lastApplied = now;
            Completion c;
            while ((c = completions.poll()) != null) {
                handler.apply(c);
                applied++;
            }
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
        if (applied > 0 && saturated) ctx.commit();
    }

    @Override
    public void awaitCalls(long deadlineNanos) throws InterruptedException {
        if (completions == null) return;
        while (completions.size() < pending.startedCount()) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
            if (left <= 0) return;
            completions.awaitMoreThan(completions.size(), Math.min(left, 50));
        }
    }

    @Override
    public void letGo() {
        letGo = true;
    }

    private void deadLetterUnreadable() {
        Origin origin = new Origin(TaskStores.PENDING_STORE, ctx.taskId().partition(), -1);
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
        if (letGo && succession != null && succession.handsOver()) succession.handOver(completions.closeAndDrain());
        else {
            if (succession != null) succession.end();
            if (completions != null) completions.close();
        }
        if (skips != null) gateway.metrics().removeDuplicateCounts(settings.tier(), skips);
        if (pending != null) pending.clear();
        if (scheduler != null) scheduler.clear();
        if (batch != null) batch.close();
    }
}
