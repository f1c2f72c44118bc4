package io.promptline.processor.dispatch;

import io.promptline.avro.BatchJobStatus;
import io.promptline.avro.CostEvent;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.intake.Claims;
import io.promptline.processor.intake.RequestDecoder;
import io.promptline.processor.output.DeadLetters;
import io.promptline.processor.output.FailureHeaders;
import io.promptline.processor.output.Origin;
import io.promptline.processor.output.TaskOutputs;
import io.promptline.processor.provider.CallOutcome;
import io.promptline.processor.provider.Completion;
import io.promptline.processor.ratelimit.Reservation;
import io.promptline.processor.retry.Ladder;
import io.promptline.processor.retry.RetryHeaders;
import io.promptline.requests.TenantProof;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * The ways an admitted request leaves its task, each forwarding its output and releasing what the
 * task held for it in one step (so, under exactly-once, in one transaction): answered (a result and
 * its cost event), parked in the delay ladder (a retry, or a wait for its rate-limit turn; only a
 * marker stays), or dead-lettered. Stream thread only.
 */
final class RequestEnds {
    private static final Logger log = LoggerFactory.getLogger(RequestEnds.class);

    private final TierSettings settings;
    private final PendingCalls pending;
    private final Claims claims;
    private final TaskOutputs out;
    private final Ladder ladder;
    private final Clock clock;

    RequestEnds(TierSettings settings, PendingCalls pending, Claims claims, TaskOutputs out, Ladder ladder, Clock clock) {
        this.settings = settings;
        this.pending = pending;
        this.claims = claims;
        this.out = out;
        this.ladder = ladder;
        this.clock = clock;
    }

    /**
     * The call answered: a result and its cost event, or, if the answer cannot be recorded (usage
     * beyond exact arithmetic, larger than a record may be), a dead letter that says so.
     */
    void answered(PendingCall pc, CallOutcome.Success s, Completion c) {
        Instant now = clock.instant();
        record(pc, s, c.startedAt(), now, () -> Answers.result(pc, s, c, now), () -> Answers.cost(pc, s, c, settings.billing()));
    }

    /** A line of a provider batch job answered: a result and its cost event at the batch price. */
    void answeredInBatch(PendingCall pc, CallOutcome.Success s, String provider, String batchId, long submittedAt) {
        Instant now = clock.instant();
        record(pc, s, submittedAt, now, () -> Answers.batchResult(pc, s, provider, batchId, submittedAt, now),
                () -> Answers.batchCost(pc, s, provider, batchId, submittedAt, settings.billing()));
    }

    private void record(PendingCall pc, CallOutcome.Success s, long startedAt, Instant now, Supplier<PromptResult> resultOf,
                        Supplier<CostEvent> costOf) {
        String id = pc.request().getRequestId();
        PromptResult result;
        CostEvent cost;
        try {
            int limit = settings.intake().maxRequestBytes();
            // UTF-8 takes at most 3 bytes a char: count exactly only an answer that might be too large.
            if (s.content() != null && s.content().length() * 3L > limit && s.content().getBytes(StandardCharsets.UTF_8).length > limit) {
                throw new IllegalStateException("the answer of " + s.content().getBytes(StandardCharsets.UTF_8).length
                        + " bytes exceeds the record limit of " + limit + " bytes (promptline.processor.max.request.bytes)");
            }
            result = resultOf.get();
            cost = costOf.get();
        } catch (RuntimeException e) {
            // The call succeeded but cannot be recorded (absurd usage, too large): keep the whole answer
            // in the DLQ for a person to look at, rather than crash and call again in a loop.
            log.error("Task of tier {}: cannot record the answer to {} from {}: {}", settings.tier(), id, pc.origin(), e.getMessage());
            deadLetter(pc, ErrorCategory.PROVIDER_ERROR, 200, "answered but not recordable: " + e.getMessage(), pc.attempts(), startedAt);
            return;
        }
        out.result(result, cost, pc.model(), Answers.createdAt(pc), now);
        claims.answered(id, now);
        pending.forget(id);
    }

    /**
     * Sends the request to a rung of the ladder, to come back at {@code dueAt}, and keeps only a
     * marker until the relay brings it back.
     *
     * @param failure the failed call it retries after, or null when it waits for its rate-limit turn
     * @param keep    the reservation it keeps while it waits for its turn, or null
     */
    void park(PendingCall pc, int callsMade, Long lastAttemptAt, CallOutcome.Failure failure, Duration rung, long dueAt,
              Reservation keep) {
        long now = clock.millis();
        Long first = pc.firstAttemptAt() > 0 ? pc.firstAttemptAt() : null;
        var described = FailureHeaders.describe(callsMade, first, lastAttemptAt, failure == null ? null : failure.category(),
                failure == null ? null : failure.httpStatus(), failure == null ? null : failure.message(), pc.origin());
        var headers = RetryHeaders.forRetry(described, settings.tier(), dueAt, keep == null ? null : keep.encode(), pc.unconfirmed(),
                pc.refused());
        // Back from the ladder it must prove its tenant again: the processor signs it (it checked the original proof at intake).
        if (settings.tenantAuth() != null) headers.add(TenantProof.HEADER, settings.tenantAuth().sign(pc.request().getTenant(), pc.requestWire()));
        ladder.send(pc.request().getTenant(), pc.requestWire(), headers, rung, now,
                failure == null ? "TENANT_RATE_LIMIT" : failure.category().name());
        pending.park(pc.request().getRequestId(), new AwaitingMarker(callsMade, dueAt));
    }

    /** Ends a held request in the DLQ. */
    void deadLetter(PendingCall pc, ErrorCategory category, Integer httpStatus, String message, int attempts, Long lastAttemptAt) {
        Instant now = clock.instant();
        out.deadLetter(DeadLetters.of(pc.request(), category, httpStatus, message, attempts,
                pc.firstAttemptAt() > 0 ? Instant.ofEpochMilli(pc.firstAttemptAt()) : null,
                lastAttemptAt == null ? null : Instant.ofEpochMilli(lastAttemptAt), pc.origin(), now));
        claims.deadLettered(pc.request().getRequestId(), now);
        pending.forget(pc.request().getRequestId());
    }

    /** Ends a request that was refused at intake (it may have been parked: nothing is kept of it). */
    void refused(PromptRequest request, ErrorCategory category, String message, int callsMade, long firstAttemptAt,
                 Origin origin) {
        Instant now = clock.instant();
        pending.forget(request.getRequestId());
        out.deadLetter(DeadLetters.of(request, category, null, message, callsMade,
                firstAttemptAt > 0 ? Instant.ofEpochMilli(firstAttemptAt) : null, null, origin, now));
        claims.deadLettered(request.getRequestId(), now);
    }

    /**
     * A request whose tenant proof does not hold: dead-lettered as UNAUTHORIZED, and nothing more —
     * its request_id is not claimed (a forger cannot use up a real request's id), no rate-limit
     * turn, no call, no cost.
     */
    void unauthorized(PromptRequest request, byte[] value, String reason, Origin origin) {
        log.warn("Request {} at {} claims tenant '{}' without a valid proof: {}", request.getRequestId(), origin, request.getTenant(), reason);
        out.deadLetter(DeadLetters.unauthorized(request, value, reason, origin, clock.instant()));
    }

    /** A request larger than the limit: dead-lettered without its bytes, which stay at their origin. */
    void oversized(RequestDecoder.Oversized big, byte[] key, Origin origin) {
        log.warn("Request of {} bytes at {} exceeds the limit of {} bytes; dead-lettered without its body", big.bytes(), origin, big.limit());
        out.deadLetter(DeadLetters.oversized(big.request(), key, big.reason(), origin, clock.instant()));
    }

    /**
     * A call another lifetime of the task made and whose answer was lost (it crashed, or let the task
     * go before the call came back): the provider may have billed it, so it gets a cost event
     * marked unconfirmed, on the request's token estimate, before the request is called again.
     */
    void unconfirmed(PendingCall pc, String provider, int completionEstimate) {
        Instant now = clock.instant();
        out.cost(Answers.unconfirmedCost(pc, provider, completionEstimate, settings.billing(), now), now);
    }

    /** The state of a batch job changed: published for operators. */
    void batchJob(BatchJobStatus status) {
        out.batchJob(status);
    }

    /** A record that is not a request, with its bytes. */
    void malformed(byte[] key, byte[] value, String reason, Origin origin) {
        log.warn("Undecodable record at {}: {}", origin, reason);
        out.deadLetter(DeadLetters.malformed(key, value, reason, origin, clock.instant()));
    }
}
