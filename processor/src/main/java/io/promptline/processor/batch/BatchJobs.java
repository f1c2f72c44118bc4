package io.promptline.processor.batch;

import io.promptline.avro.Priority;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.metrics.ProcessorMetrics;
import io.promptline.processor.provider.BatchApiClient;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
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
    private final KeyValueStore<String, byte[]> jobStore;
    private final Members members;
    private final BatchApiClient api;
    private final TierSettings.BatchApi settings;
    private final Priority tier;
    private final int partition;
    private final Clock clock;
    private final ProcessorMetrics metrics;
    private final JobEnds ends;
    private final JobFiles files;
    private final Ingestion ingestion;
    /** The task's jobs, mirrored from the store (a handful). */
    private final Map<String, BatchJob> jobs = new LinkedHashMap<>();
    private final Steps steps = new Steps();
    /** The job being read, if any. */
    private JobFiles.Reading reading;

    public BatchJobs(KeyValueStore<String, byte[]> jobStore, KeyValueStore<String, byte[]> members, BatchApiClient api,
                     TierSettings.BatchApi settings, Priority tier, int partition, Clock clock, ProcessorMetrics metrics, JobEnds ends) {
        this.jobStore = jobStore;
        this.members = new Members(members);
        this.api = api;
        this.settings = settings;
        this.tier = tier;
        this.partition = partition;
        this.clock = clock;
        this.metrics = metrics;
        this.ends = ends;
        this.files = new JobFiles(settings.workDir());
        this.ingestion = new Ingestion(this.members, ends, settings, clock);
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
        return members.holds(requestId);
    }

    /**
     * Adds an admitted request to the open job of its provider and model (opening one, or sealing a
     * full one first).
     *
     * @param member    the admitted request as the task stores it (handed back to {@link JobEnds})
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
        members.put(requestId, job.key(), member);
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
                steps.notBefore(jobKey, 0L);
            }
            case ENDED -> log.info("Batch job {} already ended ({}); nothing to cancel", jobKey, job.remoteStatus());
        }
    }

    /** The punctuation: applies provider answers, seals jobs gathered long enough, starts due provider requests, reads output. */
    public void tick() {
        steps.applyArrived();
        long now = clock.millis();
        int submitted = (int) jobs.values().stream().filter(j -> j.state() == BatchJob.State.SUBMITTED).count();
        for (BatchJob job : List.copyOf(jobs.values())) {
            if (!steps.due(job.key(), now)) continue;
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
        steps.close();
        if (reading != null) reading.close();
        reading = null;
        jobs.clear();
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
            input = files.writeInput(job.key(), members.of(job.key()), ends::body);
        } catch (UncheckedIOException e) {
            log.error("Batch job {}: cannot write its input file: {}", job.key(), e.getMessage());
            save(job.withMessage("cannot write the input file: " + e.getMessage()));
            steps.notBefore(job.key(), clock.millis() + settings.pollInterval().toMillis());
            return;
        }
        if (input.lines() == 0) {
            end(job, "empty", null, null, "no member left to submit");
            return;
        }
        CompletionStage<BatchApiClient.Batch> created = Submission.once(api, job.key(), input.path(),
                () -> metrics.batchJob(tier, "adopted"));
        step(job, created, b -> {
            files.deleteInput(job.key());
            metrics.batchJob(tier, "submitted");
            log.info("Batch job {} ({} requests of {} at {}) is batch {} ({})", job.key(), input.lines(), job.model(), job.provider(),
                    b.id(), b.status());
            BatchJob s = save(job.submitted(b.inputFileId(), b.id(), b.status(), b.createdAtSeconds() * 1000));
            publish(s, false);
            steps.notBefore(job.key(), clock.millis() + settings.pollInterval().toMillis());
        });
    }

    private void polled(BatchJob job, BatchApiClient.Batch b) {
        if (b.ended()) {
            end(job.polled(b.status(), b.completed(), b.failed()), b.status(), b.outputFileId(), b.errorFileId(), b.errors());
            return;
        }
        if (!b.status().equals(job.remoteStatus()) || b.completed() != job.remoteCompleted() || b.failed() != job.remoteFailed()) {
            publish(save(job.polled(b.status(), b.completed(), b.failed())), false);
        }
        steps.notBefore(job.key(), clock.millis() + settings.pollInterval().toMillis());
    }

    private void end(BatchJob job, String status, String output, String errors, String why) {
        metrics.batchJob(tier, "ended_" + status);
        log.info("Batch job {} ended: {} (output {}, errors {}){}", job.key(), status, output, errors, why == null ? "" : ": " + why);
        publish(save(job.ended(status, output, errors, clock.millis(), why)), false);
    }

    /**
     * Reads an ended job's output: downloads its files (on Vert.x), then applies a chunk of its
     * lines per punctuation ({@link Ingestion}); once all are applied, the job is deleted.
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
        Ingestion.Counts done = ingestion.next(job, reading);
        BatchJob counted = job.counted(done.answered(), done.returned(), done.dead());
        metrics.batchRequests(tier, "answered", done.answered());
        metrics.batchRequests(tier, "returned", done.returned());
        metrics.batchRequests(tier, "dead_lettered", done.dead());
        if (reading.exhausted()) {
            reading.close();
            reading = null;
            files.deleteOutput(job.key());
            jobStore.delete(job.key());
            jobs.remove(job.key());
            steps.forget(job.key());
            publish(counted, true);
            log.info("Batch job {} done: {} answered, {} back to synchronous calls, {} dead-lettered", job.key(), counted.answered(),
                    counted.returned(), counted.deadLettered());
        } else if (done.total() > 0) {
            save(counted);
        }
    }

    /** Runs a provider request for a job; its answer is applied on the stream thread, its failure retried after the poll interval. */
    private <T> void step(BatchJob job, CompletionStage<T> request, Consumer<T> then) {
        String key = job.key();
        steps.run(key, request, (value, error) -> {
            if (!jobs.containsKey(key)) return;
            if (error == null) {
                then.accept(value);
                return;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
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
            steps.notBefore(key, clock.millis() + settings.pollInterval().toMillis());
        });
    }

    private void publish(BatchJob job, boolean done) {
        ends.status(job.status(tier, partition, done, clock.instant()));
    }
}
