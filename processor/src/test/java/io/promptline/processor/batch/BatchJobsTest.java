package io.promptline.processor.batch;

import io.promptline.avro.BatchJobStatus;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.Priority;
import io.promptline.ops.simulator.BatchLine;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.config.TierSettings;
import io.promptline.processor.metrics.ProcessorMetrics;
import io.promptline.processor.provider.BatchApiClient;
import io.promptline.processor.provider.CallOutcome;
import io.promptline.testkit.SimulatorFixture;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Batch jobs across crashes, against the simulator's Batch API: a task's state is what it
 * committed (the stores are rolled back to the last commit, its uncommitted outputs dropped, as
 * an aborted exactly-once transaction leaves them), and a new lifetime takes over. A crash after
 * the batch was created but before that was committed submits nothing twice; a crash in the middle
 * of reading the output answers nothing twice and nothing never.
 */
class BatchJobsTest {
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().batchCompletionMillis(300).build());

    @TempDir
    Path work;

    private Vertx vertx;
    private BatchApiClient api;
    private KeyValueStore<String, byte[]> jobs;
    private KeyValueStore<String, byte[]> members;
    private Map<String, byte[]> committedJobs = new HashMap<>();
    private Map<String, byte[]> committedMembers = new HashMap<>();
    /** Outputs of the current transaction, and those committed. */
    private final List<String> uncommitted = new ArrayList<>();
    private final List<String> committed = new ArrayList<>();
    private final List<BatchJobStatus> statuses = new ArrayList<>();

    @BeforeEach
    void stores() {
        vertx = Vertx.vertx();
        api = new BatchApiClient(vertx, "simulator", SIM.baseUrl(), null, 10_000);
        MockProcessorContext<Object, Object> ctx = new MockProcessorContext<>();
        jobs = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("jobs"), Serdes.String(), Serdes.ByteArray()).withLoggingDisabled()
                .build();
        members = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("members"), Serdes.String(), Serdes.ByteArray())
                .withLoggingDisabled().build();
        jobs.init(ctx.getStateStoreContext(), jobs);
        members.init(ctx.getStateStoreContext(), members);
    }

    @AfterEach
    void close() {
        api.close();
        vertx.close();
    }

    private BatchJobs lifetime() {
        TierSettings.BatchApi settings = new TierSettings.BatchApi(TierSettings.BatchApi.Mode.DEFAULT, Set.of(), Duration.ZERO, 50_000,
                190_000_000L, Duration.ZERO, 4, Duration.ofMillis(50), true, work);
        JobEnds ends = new JobEnds() {
            @Override
            public void answered(byte[] member, CallOutcome.Success answer, BatchJob job) {
                uncommitted.add("answered " + new String(member, StandardCharsets.UTF_8));
            }

            @Override
            public void deadLetter(byte[] member, ErrorCategory category, Integer httpStatus, String message, BatchJob job) {
                uncommitted.add("dead " + new String(member, StandardCharsets.UTF_8));
            }

            @Override
            public void toSync(byte[] member, String reason, BatchJob job) {
                uncommitted.add("sync " + new String(member, StandardCharsets.UTF_8));
            }

            @Override
            public void status(BatchJobStatus status) {
                statuses.add(status);
            }

            @Override
            public JsonObject body(byte[] member) {
                return new JsonObject().put("model", "gpt-4.1").put("messages", new JsonArray()
                        .add(new JsonObject().put("role", "user").put("content", "question " + new String(member, StandardCharsets.UTF_8))));
            }
        };
        BatchJobs b = new BatchJobs(jobs, members, api, settings, Priority.BATCH, 0, Clock.systemUTC(), ProcessorMetrics.inMemory(), ends);
        b.recover();
        return b;
    }

    /** The transaction commits: the stores' state and the outputs become durable. */
    private void commit() {
        committedJobs = snapshot(jobs);
        committedMembers = snapshot(members);
        committed.addAll(uncommitted);
        uncommitted.clear();
    }

    /** The task crashes: the stores go back to the last commit (as restored from their changelogs), the open transaction aborts. */
    private void crash(BatchJobs lifetime) {
        lifetime.close();
        restore(jobs, committedJobs);
        restore(members, committedMembers);
        uncommitted.clear();
    }

    private static Map<String, byte[]> snapshot(KeyValueStore<String, byte[]> store) {
        Map<String, byte[]> m = new HashMap<>();
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                m.put(kv.key, kv.value);
            }
        }
        return m;
    }

    private static void restore(KeyValueStore<String, byte[]> store, Map<String, byte[]> to) {
        for (String k : snapshot(store).keySet()) store.delete(k);
        to.forEach(store::put);
    }

    private BatchJob.State state() {
        try (KeyValueIterator<String, byte[]> it = jobs.all()) {
            return it.hasNext() ? BatchJob.decode(it.next().value).state() : null;
        }
    }

    private static void tickUntil(BatchJobs b, BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out after 30 s waiting for " + what);
            b.tick();
            Thread.sleep(5);
        }
    }

    private List<String> add(BatchJobs b, String run, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = run + "-" + i;
            b.add(id, "simulator", "gpt-4.1", id.getBytes(StandardCharsets.UTF_8), 120);
            ids.add(id);
        }
        return ids;
    }

    private String jobKey() {
        try (KeyValueIterator<String, byte[]> it = jobs.all()) {
            return it.next().key;
        }
    }

    @Test
    void shouldSubmitAJobOnceWhenTheTaskCrashedAfterTheBatchWasCreatedButBeforeItWasCommitted() throws Exception {
        String run = "sub-" + UUID.randomUUID().toString().substring(0, 8);
        BatchJobs a = lifetime();
        List<String> ids = add(a, run, 1_200);
        tickUntil(a, () -> state() == BatchJob.State.SEALED, "the job sealed");
        commit();
        String key = jobKey();
        // The batch is created at the provider and recorded in the job; the task dies before that commit
        tickUntil(a, () -> state() == BatchJob.State.SUBMITTED, "the job submitted");
        crash(a);
        assertThat(state()).isEqualTo(BatchJob.State.SEALED);
        assertThat(api.find(key, 5).toCompletableFuture().get()).as("batches made for the job before the crash").hasSize(1);

        BatchJobs b = lifetime();
        tickUntil(b, () -> {
            commit();
            return state() == null;
        }, "every member answered");

        assertThat(api.find(key, 5).toCompletableFuture().get()).as("batches made for the job").hasSize(1);
        assertThat(committed).doesNotHaveDuplicates().hasSize(ids.size())
                .containsExactlyInAnyOrderElementsOf(ids.stream().map(id -> "answered " + id).toList());
        List<BatchLine> lines = SIM.simulator().batchLines().stream().filter(l -> l.customId().startsWith(run)).toList();
        assertThat(lines).as("lines the provider ran (and billed)").hasSize(ids.size());
        assertThat(statuses).last().satisfies(s -> {
            assertThat(s.getState()).isEqualTo("DONE");
            assertThat(s.getAnswered()).isEqualTo(ids.size());
        });
    }

    @Test
    void shouldAnswerEveryLineOnceWhenTheTaskCrashedWhileReadingTheOutput() throws Exception {
        String run = "ing-" + UUID.randomUUID().toString().substring(0, 8);
        BatchJobs a = lifetime();
        List<String> ids = add(a, run, 1_200);
        tickUntil(a, () -> {
            commit();
            return uncommittedAndCommitted() > 0;
        }, "the first lines applied");
        int first = committed.size();
        assertThat(first).as("lines applied in the first chunk").isEqualTo(Ingestion.LINES_PER_TICK);
        // The next chunk is applied but the transaction never commits
        a.tick();
        assertThat(uncommitted).hasSize(Ingestion.LINES_PER_TICK);
        crash(a);

        BatchJobs b = lifetime();
        tickUntil(b, () -> {
            commit();
            return state() == null;
        }, "every member answered");

        assertThat(committed).doesNotHaveDuplicates().hasSize(ids.size())
                .containsExactlyInAnyOrderElementsOf(ids.stream().map(id -> "answered " + id).toList());
        assertThat(snapshot(members)).isEmpty();
    }

    private int uncommittedAndCommitted() {
        return committed.size() + uncommitted.size();
    }
}
