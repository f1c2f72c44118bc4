package io.promptline.processor.batch;

import io.promptline.avro.ErrorCategory;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.provider.CallOutcome;

import java.time.Clock;
import java.util.Map;

/**
 * Turns the lines of an ended job's output into the members' ends, a bounded chunk per
 * punctuation: an answer becomes a result at the batch price; a line that did not answer goes to
 * a synchronous call or the DLQ, by category and policy; once the files are read, a member without
 * any line (cancelled or failed before it ran, or lost by the provider) does too. Each member is
 * deleted as its end is forwarded, in the same transaction, so a job read again after a crash
 * ends nothing twice. Stream thread only.
 */
final class Ingestion {
    /** Output lines applied per punctuation: bounds each transaction and keeps the task responsive. */
    static final int LINES_PER_TICK = 500;

    private final Members members;
    private final JobEnds ends;
    private final TierSettings.BatchApi settings;
    private final Clock clock;

    Ingestion(Members members, JobEnds ends, TierSettings.BatchApi settings, Clock clock) {
        this.members = members;
        this.ends = ends;
        this.settings = settings;
        this.clock = clock;
    }

    /** What one chunk did: members answered, sent to synchronous calls, dead-lettered. */
    record Counts(int answered, int returned, int dead) {
        int total() {
            return answered + returned + dead;
        }
    }

    /** Applies the next chunk of {@code reading}'s lines, and the members left without a line once it is exhausted. */
    Counts next(BatchJob job, JobFiles.Reading reading) {
        int answered = 0;
        int returned = 0;
        int dead = 0;
        JobFiles.Line line;
        int n = 0;
        while (n++ < LINES_PER_TICK && (line = reading.next()) != null) {
            Members.Member m = members.get(line.customId());
            if (m == null || !m.jobKey().equals(job.key())) continue; // ended already (read again after a crash), or not ours
            CallOutcome outcome = line.outcome(job.provider(), job.model(), clock);
            members.delete(line.customId());
            if (outcome instanceof CallOutcome.Success s) {
                ends.answered(m.member(), s, job);
                answered++;
            } else if (failed(m, (CallOutcome.Failure) outcome, job)) {
                returned++;
            } else {
                dead++;
            }
        }
        if (reading.exhausted()) {
            String why = "no line for it in batch " + job.batchId() + " (" + job.remoteStatus() + ")";
            for (Map.Entry<String, Members.Member> left : members.of(job.key()).entrySet()) {
                members.delete(left.getKey());
                if (failed(left.getValue(), new CallOutcome.Failure(ErrorCategory.TIMEOUT, null, why, 0), job)) returned++;
                else dead++;
            }
        }
        return new Counts(answered, returned, dead);
    }

    /** A line that did not answer: synchronous call or dead letter, by category and policy. True if sent to the synchronous path. */
    private boolean failed(Members.Member m, CallOutcome.Failure f, BatchJob job) {
        if (f.retryable() && settings.retryToSync()) {
            ends.toSync(m.member(), f.message(), job);
            return true;
        }
        ends.deadLetter(m.member(), f.category(), f.httpStatus(), "batch job " + job.key() + " (" + job.batchId() + "): " + f.message(), job);
        return false;
    }
}
