package io.promptline.processor.dispatch;

import io.promptline.avro.PromptRequest;
import io.promptline.avro.Quota;
import io.promptline.avro.SpendTotal;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.intake.AdmissionPolicy;
import io.promptline.processor.intake.Claims;
import io.promptline.processor.intake.RequestDecoder;
import io.promptline.processor.intake.TenantRouter;
import io.promptline.processor.output.Origin;
import io.promptline.processor.output.TaskOutputs;
import io.promptline.processor.provider.CallGateway;
import io.promptline.processor.provider.Completion;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
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
public final class DispatchProcessor implements Processor<byte[], byte[], Object, Object> {
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
    private static final Logger log = LoggerFactory.getLogger(DispatchProcessor.class);
    /** A tier whose tasks waited for room this recently is treated as saturated. */
    private static final Duration SATURATED_WINDOW = Duration.ofSeconds(1);

    private final CallGateway gateway;
    private final TierSettings settings;
    private final RequestDecoder decoder;
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

    public DispatchProcessor(CallGateway gateway, TierSettings settings) {
        this.gateway = gateway;
        this.settings = settings;
        this.decoder = new RequestDecoder(settings.registry(), settings.intake().maxRequestBytes());
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
        this.claims = new Claims(context.getStateStore(COMPLETED_STORE), settings.dedupeRetention(), pending);
        this.admission = new AdmissionPolicy(settings.router(), settings.context(), settings.prices(),
                settings.rateLimits().completionEstimate(), gateway.provider(), new Budgets(quotas, context.getStateStore(SPEND_STORE),
                new AvroDeserializer<>(settings.registry(), SpendTotal.class), SPEND_STORE));
        this.limiter = new RateLimiter(BucketStore.of(context.getStateStore(RATE_STORE)), tenant -> quotas.limits(tenant, settings.tier()),
                clock, settings.rateLimits().burstFraction());
        this.ends = new RequestEnds(settings, pending, claims, new TaskOutputs(context, settings.tier(), gateway.metrics()),
                new Ladder(context, settings.tier(), gateway.metrics()), clock);
        this.completions = new TaskCompletions(gateway);
        this.skips = new SkipCounts(context.getStateStore(SKIPS_STORE));
        gateway.metrics().addDuplicateCounts(settings.tier(), SkipCounts.REASONS, skips);
        this.scheduler = new CallScheduler(settings, gateway, limiter, pending, completions, ends,
                wire -> decoder.request(settings.tier().name(), wire));
        this.handler = new CompletionHandler(settings, gateway, limiter, pending, scheduler, ends);
        pending.recover();
        if (pending.hasUnloaded()) log.info("Task {} ({}): calling again what a previous owner left pending", ctx.taskId(), settings.tier());
        // Nothing is forwarded from init(): the first punctuation (a few ms away) starts the calls.
        context.schedule(settings.drainInterval(), PunctuationType.WALL_CLOCK_TIME, ts -> punctuate());
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata m = ctx.recordMetadata().orElseThrow();
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
        Reservation reservation = kept != null ? kept : limiter.reserve(request.getTenant(), admit.estimatedTokens());
        PendingCall pc = new PendingCall(request, record.value(), admit.model(), origin, callsMade + 1, first, now.toEpochMilli(),
                reservation, admit.fallbackReason(), pending.lifetime());
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
        scheduler.newTurn();
        deadLetterUnreadable();
        int applied = 0;
        Completion c;
        while ((c = completions.poll()) != null) {
            handler.apply(c);
            applied++;
        }
        scheduler.refill();
        scheduler.startDue();
        deadLetterUnreadable();
        // While the tier is saturated its tasks wait for room in process(); one stream thread's tasks
        // share one transaction, so what is written here would stay uncommitted through those waits,
        // and an open transaction on the results topic hides every other tier's results from
        // read_committed readers (the last stable offset). So commit at once (Kafka Streams does, right
        // after this punctuation) whenever the tier has waited lately.
        if (applied > 0 && gateway.waitedWithin(settings.tier(), SATURATED_WINDOW)) ctx.commit();
    }

    private void deadLetterUnreadable() {
        Origin origin = new Origin(PENDING_STORE, ctx.taskId().partition(), -1);
        pending.drainUnreadable((id, raw) -> ends.malformed(null, raw, "pending entry of request_id " + id
                + " can no longer be decoded (unknown schema id or entry format)", origin));
    }

    @Override
    public void close() {
        // Completions not yet applied are dropped (now or on arrival): their pending entries stay in
        // the store and the task's next lifetime or owner calls again. The in-memory mirror is
        // cleared, because Kafka Streams may init() this same object again after a dirty close.
        if (completions != null) completions.close();
        if (skips != null) gateway.metrics().removeDuplicateCounts(settings.tier(), skips);
        if (pending != null) pending.clear();
        if (scheduler != null) scheduler.clear();
    }
}
