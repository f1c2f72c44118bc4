package io.promptline.processor.batch;

import io.promptline.avro.BatchJobStatus;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.Priority;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.metrics.ProcessorMetrics;
import io.promptline.processor.provider.BatchApiClient;
import io.promptline.processor.provider.CallOutcome;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * The batch jobs of one task of the batch tier: requests the {@link TierSettings.BatchApi policy}
 * sends to a provider Batch API are gathered per provider and model into jobs, submitted (JSONL
 * input file, then a batch), polled, and their output lines turned into results, dead letters or
 * synchronous calls, each exactly once.
 *
 * <p>Everything that must survive a crash is in two changelogged stores, written in the task's
 * exactly-once transactions: the jobs ({@link BatchJob}, by job key) and the members (request_id →
 * job key and the admitted request). A member is deleted in the transaction that forwards its
 * outcome, so a job read again after a crash (its output downloaded again, its lines read from the
 * start) yields nothing twice. Provider calls run on Vert.x; their answers are applied here on the
 * stream thread ({@link #tick}). A job whose batch was created but not yet recorded when the task
 * crashed is found again by its key in the batch's metadata before anything is created anew, and
 * any extra batch of the same job is cancelled: a job submitted twice is billed and answered once.
 * Stream thread only, except where noted.
 */
public final class BatchJobs {
    private static final Logger log = LoggerFactory.getLogger(BatchJobs.class);
    private static final byte MEMBER_FORMAT = 1;
    /** Output lines applied per punctuation: bounds each transaction and keeps the task responsive. */
    static final int LINES_PER_TICK = 500;
    /** Pages of 100 batches searched for an earlier submission of a job. */
    private static final int SEARCH_PAGES = 5;

    /** Where each member of a job goes; implemented by the task, which forwards the outputs. */
    public interface Ends {
        /** The member's line answered: its result and a cost event at the batch price. */
        void answered(byte[] member, CallOutcome.Success answer, BatchJob job);

        /** The member's line was refused for the request itself, or the policy dead-letters it. */
        void deadLetter(byte[] member, ErrorCategory category, Integer httpStatus, String message, BatchJob job);

        /** The member's line did not answer: it is called synchronously (at the full price). */
        void toSync(byte[] member, String reason, BatchJob job);

        /** A job's state changed (published for operators). */
        void status(BatchJobStatus status);
    }

    /** The {@code /v1/chat/completions} body of a member's request, as its JSONL line carries it. */
    public interface Lines {
        io.vertx.core.json.JsonObject body(byte[] member);
    }

    private final KeyValueStore<String, byte[]> jobStore;
    private final KeyValueStore<String, byte[]> members;
    private final BatchApiClient api;
    private final TierSettings.BatchApi settings;
    private final Priority tier;
    private final int partition;
    private final Clock clock;
    private final ProcessorMetrics metrics;
    private final Ends ends;
    private final Lines lines;
    private final JobFiles files;
    /** The task's jobs, mirrored from the store (a handful). */
    private final Map<String, BatchJob> jobs = new LinkedHashMap<>();
    /** Jobs with a provider request in flight. */
    private final Set<String> busy = new HashSet<>();
    /** When a job's next provider request may start (polls, back-offs). */
    private final Map<String, Long> nextStep = new HashMap<>();
    /** Answers of provider requests, applied on the stream thread. */
    private final ConcurrentLinkedQueue<Runnable> arrived = new ConcurrentLinkedQueue<>();
    /** The job being read, if any. */
    private JobFiles.Reading reading;
    private volatile boolean closed;

    public BatchJobs(KeyValueStore<String, byte[]> jobStore, KeyValueStore<String, byte[]> members, BatchApiClient api,
                     TierSettings.BatchApi settings, Priority tier, int partition, Clock clock, ProcessorMetrics metrics, Ends ends,
                     Lines lines) {
        this.jobStore = jobStore;
        this.members = members;
        this.api = api;
        this.settings = settings;
        this.tier = tier;
        this.partition = partition;
        this.clock = clock;
        this.metrics = metrics;
        this.ends = ends;
        this.lines = lines;
        this.files = new JobFiles(settings.workDir());
    }

    /** Takes over the jobs a previous lifetime or owner of the task left. */
    public void recover() {
        jobs.clear();
        try (KeyValueIterator<String, byte[]> it = jobStore.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                BatchJob job = BatchJob.decode(kv.value);
                jobs.put(kv.key, job);
            }
        }
        if (!jobs.isEmpty()) log.info("Task {} of tier {}: {} batch jobs taken over: {}", partition, tier, jobs.size(), jobs.keySet());
    }

    /** Whether the request waits in one of this task's jobs. */
    public boolean holds(String requestId) {
        return members.get(requestId) != null;
    }

    /**
     * Adds an admitted request to the open job of its provider and model (opening one, or sealing a
     * full one first).
     *
     * @param member    the admitted request as the task stores it (handed back to {@link Ends})
     * @param lineBytes the size of its JSONL line
     */
    public void add(String requestId, String provider, String model, byte[] member, long lineBytes) {
        long now = clock.millis();
        BatchJob job = openJob(provider, model);
        if (job != null && job.requests() > 0 && job.bytes() + lineBytes > settings.maxBytesPerJob()) {
            seal(job, now);
            job = null;
        }
        if (job == null) {
            job = BatchJob.open("pl-" + tier.name().toLowerCase() + "-p" + partition + "-" + UUID.randomUUID().toString().substring(0, 13),
                    provider, model, now);
            publish(job, false);
        }
        members.put(requestId, encodeMember(job.key(), member));
        job = save(job.plus(lineBytes));
        metrics.batchRequests(tier, "gathered", 1);
        if (job.requests() >= settings.maxRequestsPerJob() || job.bytes() >= settings.maxBytesPerJob()) seal(job, now);
    }

    /** Cancels a job: a submitted batch is cancelled at the provider, a job not yet submitted ends at once. */
    public void cancel(String jobKey, String by) {
        BatchJob job = jobs.get(jobKey);
        if (job == null) {
            log.warn("Cancel of batch job {} by {}: no such job in task {} of tier {} (ended, or another partition)", jobKey, by,
                    partition, tier);
            return;
        }
        log.info("Batch job {} cancelled by {} in state {}", jobKey, by, job.state());
        switch (job.state()) {
            case OPEN, SEALED -> end(job.cancelling(), "cancelled", null, null, "cancelled by " + by + " before submission");
            case SUBMITTED -> {
                save(job.cancelling());
                nextStep.put(jobKey, 0L);
            }
            case ENDED -> log.info("Batch job {} already ended ({}); nothing to cancel", jobKey, job.remoteStatus());
        }
    }

    /** The punctuation: applies provider answers, seals jobs gathered long enough, starts due provider requests, reads output. */
    public void tick() {
        Runnable r;
        while ((r = arrived.poll()) != null) r.run();
        long now = clock.millis();
        int submitted = (int) jobs.values().stream().filter(j -> j.state() == BatchJob.State.SUBMITTED).count();
        for (BatchJob job : List.copyOf(jobs.values())) {
            if (busy.contains(job.key()) || nextStep.getOrDefault(job.key(), 0L) > now) continue;
            switch (job.state()) {
                case OPEN -> {
                    if (job.requests() > 0 && now - job.createdAt() >= settings.gather().toMillis()) seal(job, now);
                }
                case SEALED -> {
                    if (submitted < settings.maxOpenJobs()) {
                        submitted++;
                        submit(job);
                    }
                }
                case SUBMITTED -> {
                    if (job.cancelRequested() && !"cancelling".equals(job.remoteStatus()) && !"cancelled".equals(job.remoteStatus())) {
                        step(job, api.cancel(job.batchId()), b -> save(job.polled(b.status(), b.completed(), b.failed())));
                    } else {
                        step(job, api.get(job.batchId()), b -> polled(job, b));
                    }
                }
                case ENDED -> read(job);
            }
        }
    }

    /** Forgets the in-memory state (the stores stay); answers still on their way are dropped. */
    public void close() {
        closed = true;
        arrived.clear();
        if (reading != null) reading.close();
        reading = null;
        jobs.clear();
        busy.clear();
        nextStep.clear();
    }

    private BatchJob openJob(String provider, String model) {
        for (BatchJob j : jobs.values()) {
            if (j.state() == BatchJob.State.OPEN && j.provider().equals(provider) && j.model().equals(model)) return j;
        }
        return null;
    }

    private void seal(BatchJob job, long now) {
        publish(save(job.sealed(now)), false);
    }

    private BatchJob save(BatchJob job) {
        jobStore.put(job.key(), job.encode());
        jobs.put(job.key(), job);
        return job;
    }

    /**
     * Writes the job's input file here (the members are in this task's store), then, on Vert.x:
     * adopts a file or batch an earlier lifetime already made for the job, or uploads and creates.
     */
    private void submit(BatchJob job) {
        JobFiles.Written input;
        try {
            input = files.writeInput(job.key(), membersOf(job.key()), lines::body);
        } catch (UncheckedIOException e) {
            log.error("Batch job {}: cannot write its input file: {}", job.key(), e.getMessage());
            save(job.withMessage("cannot write the input file: " + e.getMessage()));
            nextStep.put(job.key(), clock.millis() + settings.pollInterval().toMillis());
            return;
        }
        if (input.lines() == 0) {
            end(job, "empty", null, null, "no member left to submit");
            return;
        }
        String filename = job.key() + ".jsonl";
        CompletionStage<BatchApiClient.Batch> created = api.find(job.key(), SEARCH_PAGES).thenCompose(found -> {
            BatchApiClient.Batch adopted = adopt(job.key(), found);
            if (adopted != null) return java.util.concurrent.CompletableFuture.completedFuture(adopted);
            return api.findFile(filename)
                    .thenCompose(file -> file.isPresent() ? java.util.concurrent.CompletableFuture.completedFuture(file.get())
                            : api.upload(input.path(), filename))
                    .thenCompose(fileId -> api.create(fileId, job.key()));
        });
        step(job, created, b -> {
            files.deleteInput(job.key());
            metrics.batchJob(tier, "submitted");
            log.info("Batch job {} ({} requests of {} at {}) is batch {} ({})", job.key(), input.lines(), job.model(), job.provider(),
                    b.id(), b.status());
            BatchJob s = save(job.submitted(b.inputFileId(), b.id(), b.status(), b.createdAtSeconds() * 1000));
            publish(s, false);
            nextStep.put(job.key(), clock.millis() + settings.pollInterval().toMillis());
        });
    }

    /** Of the batches made for a job (several only if a submission was repeated), the one to keep; the others are cancelled. */
    private BatchApiClient.Batch adopt(String jobKey, List<BatchApiClient.Batch> found) {
        if (found.isEmpty()) return null;
        List<BatchApiClient.Batch> byAge = new ArrayList<>(found);
        byAge.sort(Comparator.comparing((BatchApiClient.Batch b) -> b.status().equals("failed") || b.status().startsWith("cancel"))
                .thenComparingLong(BatchApiClient.Batch::createdAtSeconds).thenComparing(BatchApiClient.Batch::id));
        BatchApiClient.Batch kept = byAge.get(0);
        metrics.batchJob(tier, "adopted");
        log.warn("Batch job {} was already submitted as {} ({}): adopted, not submitted again", jobKey, kept.id(), kept.status());
        for (BatchApiClient.Batch extra : byAge.subList(1, byAge.size())) {
            if (extra.ended()) continue;
            log.warn("Batch job {} has a second batch {}: cancelled", jobKey, extra.id());
            api.cancel(extra.id()).whenComplete((b, e) -> {
                if (e != null) log.error("Cannot cancel the extra batch {} of job {}: {}", extra.id(), jobKey, e.getMessage());
            });
        }
        return kept;
    }

    private void polled(BatchJob job, BatchApiClient.Batch b) {
        if (b.ended()) {
            end(job.polled(b.status(), b.completed(), b.failed()), b.status(), b.outputFileId(), b.errorFileId(), b.errors());
            return;
        }
        if (!b.status().equals(job.remoteStatus()) || b.completed() != job.remoteCompleted() || b.failed() != job.remoteFailed()) {
            publish(save(job.polled(b.status(), b.completed(), b.failed())), false);
        }
        nextStep.put(job.key(), clock.millis() + settings.pollInterval().toMillis());
    }

    private void end(BatchJob job, String status, String output, String errors, String why) {
        metrics.batchJob(tier, "ended_" + status);
        log.info("Batch job {} ended: {} (output {}, errors {}){}", job.key(), status, output, errors, why == null ? "" : ": " + why);
        publish(save(job.ended(status, output, errors, clock.millis(), why)), false);
    }

    /**
     * Reads an ended job's output: downloads its files (on Vert.x), then applies up to
     * {@link #LINES_PER_TICK} lines per punctuation; at the end, what had no line follows the
     * policy, and the job is deleted.
     */
    private void read(BatchJob job) {
        if (reading == null || !reading.jobKey().equals(job.key())) {
            if (reading != null) return; // one job read at a time
            if (!files.downloaded(job.key(), job.outputFileId(), job.errorFileId())) {
                step(job, files.download(api, job.key(), job.outputFileId(), job.errorFileId()), v -> { });
                return;
            }
            reading = files.open(job.key(), job.outputFileId(), job.errorFileId());
        }
        int answered = 0;
        int returned = 0;
        int dead = 0;
        JobFiles.Line line;
        int n = 0;
        while (n++ < LINES_PER_TICK && (line = reading.next()) != null) {
            byte[] stored = line.customId() == null ? null : members.get(line.customId());
            Member m = stored == null ? null : decodeMember(stored);
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
            // Members without any line (cancelled or failed before they ran, or a provider that lost them)
            String why = "no line for it in batch " + job.batchId() + " (" + job.remoteStatus() + ")";
            for (Map.Entry<String, Member> left : membersOf(job.key()).entrySet()) {
                members.delete(left.getKey());
                if (failed(left.getValue(), new CallOutcome.Failure(ErrorCategory.TIMEOUT, null, why, 0), job)) returned++;
                else dead++;
            }
        }
        BatchJob counted = job.counted(answered, returned, dead);
        metrics.batchRequests(tier, "answered", answered);
        metrics.batchRequests(tier, "returned", returned);
        metrics.batchRequests(tier, "dead_lettered", dead);
        if (reading.exhausted()) {
            reading.close();
            reading = null;
            files.deleteOutput(job.key());
            jobStore.delete(job.key());
            jobs.remove(job.key());
            nextStep.remove(job.key());
            publish(counted, true);
            log.info("Batch job {} done: {} answered, {} back to synchronous calls, {} dead-lettered", job.key(), counted.answered(),
                    counted.returned(), counted.deadLettered());
        } else if (answered + returned + dead > 0) {
            save(counted);
        }
    }

    /** A line that did not answer: synchronous call or dead letter, by category and policy. True if sent to the synchronous path. */
    private boolean failed(Member m, CallOutcome.Failure f, BatchJob job) {
        if (f.retryable() && settings.retryToSync()) {
            ends.toSync(m.member(), f.message(), job);
            return true;
        }
        ends.deadLetter(m.member(), f.category(), f.httpStatus(), "batch job " + job.key() + " (" + job.batchId() + "): " + f.message(), job);
        return false;
    }

    /** Runs a provider request for a job; its answer is applied on the stream thread, its failure retried after the poll interval. */
    private <T> void step(BatchJob job, CompletionStage<T> request, Consumer<T> then) {
        String key = job.key();
        busy.add(key);
        request.whenComplete((value, error) -> {
            if (closed) return;
            arrived.add(() -> {
                busy.remove(key);
                if (!jobs.containsKey(key)) return;
                if (error == null) {
                    then.accept(value);
                    return;
                }
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
                String msg = cause.getMessage();
                boolean refused = cause instanceof BatchApiClient.BatchApiException e && !e.retryable()
                        && e.status() != null && e.status() != 401 && e.status() != 403;
                log.warn("Batch job {}: {}{}", key, msg, refused ? "" : "; trying again in " + settings.pollInterval());
                BatchJob now = jobs.get(key);
                if (refused && now.state() == BatchJob.State.SEALED) {
                    end(now, "refused", null, null, msg); // the provider will not take this job: its members follow the policy
                    return;
                }
                save(now.withMessage(msg));
                nextStep.put(key, clock.millis() + settings.pollInterval().toMillis());
            });
        });
    }

    private void publish(BatchJob job, boolean done) {
        ends.status(BatchJobStatus.newBuilder()
                .setJobId(job.key())
                .setTier(tier)
                .setTaskPartition(partition)
                .setProvider(job.provider())
                .setModel(job.model())
                .setState(done ? "DONE" : job.state().name())
                .setRequests(job.requests())
                .setBytes(job.bytes())
                .setCreatedAt(Instant.ofEpochMilli(job.createdAt()))
                .setSubmittedAt(job.submittedAt() > 0 ? Instant.ofEpochMilli(job.submittedAt()) : null)
                .setEndedAt(job.endedAt() > 0 ? Instant.ofEpochMilli(job.endedAt()) : null)
                .setProviderBatchId(job.batchId())
                .setProviderStatus(job.remoteStatus())
                .setProviderCompleted(job.remoteCompleted())
                .setProviderFailed(job.remoteFailed())
                .setAnswered(job.answered())
                .setReturned(job.returned())
                .setDeadLettered(job.deadLettered())
                .setCancelRequested(job.cancelRequested())
                .setMessage(job.message())
                .setUpdatedAt(clock.instant())
                .build());
    }

    /** The members of a job, request_id → member, in the store's order. */
    private Map<String, Member> membersOf(String jobKey) {
        Map<String, Member> out = new LinkedHashMap<>();
        try (KeyValueIterator<String, byte[]> it = members.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                Member m = decodeMember(kv.value);
                if (m.jobKey().equals(jobKey)) out.put(kv.key, m);
            }
        }
        return out;
    }

    /** A member: its job and the admitted request as the task stores it. */
    record Member(String jobKey, byte[] member) {
    }

    static byte[] encodeMember(String jobKey, byte[] member) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(member.length + 64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(MEMBER_FORMAT);
            out.writeUTF(jobKey);
            out.write(member);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Member decodeMember(byte[] stored) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(stored))) {
            byte format = in.readByte();
            if (format != MEMBER_FORMAT) throw new IllegalStateException("batch member has unknown format " + format);
            return new Member(in.readUTF(), in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt batch member", e);
        }
    }
}
