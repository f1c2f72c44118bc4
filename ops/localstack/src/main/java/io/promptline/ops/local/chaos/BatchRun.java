package io.promptline.ops.local.chaos;

import io.promptline.avro.BatchJobStatus;
import io.promptline.avro.BillingMode;
import io.promptline.avro.CostEvent;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptResult;
import io.promptline.ops.simulator.BatchLine;
import io.promptline.ops.simulator.RecordedCall;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.serde.AvroDeserializer;
import io.promptline.topics.CommittedReader;
import org.apache.avro.specific.SpecificRecord;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One run of the batch tier on the local stack's real processes: requests published to the batch
 * tier, answered through the simulator's Batch API (or, with the Batch API off, by synchronous
 * calls), optionally with a processor {@code kill -9} while jobs are being submitted and again while
 * their output is being read. Checked: every request answered exactly once, no job submitted twice
 * (the provider ran each line once), and the bill equal to the literal batch price of the tokens
 * the provider reported for each line.
 */
final class BatchRun {
    /** gpt-4.1 in micro-USD per million tokens (input, cached input, output), as OpenAI lists it: written here, not taken from the product. */
    private static final long[] GPT_4_1 = {2_000_000, 500_000, 8_000_000};

    private final int requests;
    private final boolean batchApi;
    private final boolean kills;
    private final Duration completion;
    private final Path dir;
    private final PrintStream out;
    final List<String> failures = new ArrayList<>();
    final Map<String, Object> figures = new LinkedHashMap<>();

    BatchRun(int requests, boolean batchApi, boolean kills, Duration completion, Path dir, PrintStream out) {
        this.requests = requests;
        this.batchApi = batchApi;
        this.kills = kills;
        this.completion = completion;
        this.dir = dir;
        this.out = out;
    }

    /** The literal price of a call, half-up once, after {@code discountPercent}. */
    static long literal(long prompt, long cached, long completion, int discountPercent) {
        long scaled = (prompt - cached) * GPT_4_1[0] + cached * GPT_4_1[1] + completion * GPT_4_1[2];
        return (scaled * (100 - discountPercent) + 50_000_000) / 100_000_000;
    }

    List<String> run() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("PROMPTLINE_PROCESSOR_TIERS", "BATCH");
        env.put("PROMPTLINE_PROCESSOR_BATCH_API_MODE", batchApi ? "default" : "off");
        env.put("PROMPTLINE_PROCESSOR_BATCH_API_MAX_REQUESTS_PER_JOB", "2500");
        env.put("PROMPTLINE_PROCESSOR_BATCH_API_GATHER_MS", "3000");
        env.put("PROMPTLINE_PROCESSOR_BATCH_API_POLL_MS", "500");
        env.put("PROMPTLINE_PROCESSOR_MAX_IN_FLIGHT", "256");
        env.put("PROMPTLINE_PROCESSOR_BATCH_SHARE", "1.0");
        env.put("PROMPTLINE_PROCESSOR_NORMAL_SHARE", "1.0");
        env.put("PROMPTLINE_LLM_TIMEOUT_MS", "30000");
        SimulatorConfig sim = SimulatorConfig.builder().latency("fixed:200").instances(2).batchCompletionMillis(completion.toMillis())
                .maxRecordedCalls(5_000_000).build();
        String base = batchApi ? "batchrun" : "syncrun";
        try (ChaosStack stack = new ChaosStack(dir, 1, new ChaosStack.Options(sim, env, false, base, 1))) {
            stack.start();
            long t0 = System.nanoTime();
            Set<String> sent = publish(stack);
            out.printf("  %,d requests published in %.1f s%n", sent.size(), (System.nanoTime() - t0) / 1e9);
            if (kills) {
                await(() -> jobs(stack).values().stream().anyMatch(j -> "SUBMITTED".equals(j.getState())), Duration.ofMinutes(3),
                        "a job submitted");
                Map<String, Long> states = countStates(jobs(stack));
                stack.killProcessor(0);
                out.printf("  kill -9 during submission (jobs by state then: %s)%n", states);
                figures.put("jobs by state at the first kill", states);
                Thread.sleep(2_000);
                stack.restartProcessor(0);
                await(() -> count(stack, stack.topics().results()) > 0, Duration.ofMinutes(5), "the first results");
                long answered = count(stack, stack.topics().results());
                stack.killProcessor(0);
                out.printf("  kill -9 during ingestion (%,d results committed then)%n", answered);
                figures.put("results committed at the second kill", answered);
                Thread.sleep(2_000);
                stack.restartProcessor(0);
            }
            await(() -> count(stack, stack.topics().results()) + count(stack, stack.topics().dlq()) >= requests, Duration.ofMinutes(15),
                    "every request ended");
            figures.put("wall time s (publish to last result)", String.format("%.1f", (System.nanoTime() - t0) / 1e9));
            check(stack, sent);
        }
        return failures;
    }

    private Set<String> publish(ChaosStack stack) throws Exception {
        Set<String> ids = new HashSet<>();
        try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(stack.broker().bootstrapServers())
                .schemaRegistryUrl(stack.registryUrl()).topics(stack.topics()).build()) {
            List<CompletableFuture<String>> sentFutures = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                sentFutures.add(producer.submit(Prompt.builder("tenant-" + (i % 8)).requestId(stack.topics().base() + "-" + i)
                        .priority(Priority.BATCH).model("gpt-4.1").user("Classify support ticket " + i + ": the export to CSV stops at "
                                + (i % 97) + "% and the page shows no error.").build()));
            }
            for (CompletableFuture<String> f : sentFutures) ids.add(f.get(120, TimeUnit.SECONDS));
        }
        return ids;
    }

    private void check(ChaosStack stack, Set<String> sent) {
        List<PromptResult> results = read(stack, stack.topics().results(), PromptResult.class);
        List<DeadLetter> dead = read(stack, stack.topics().dlq(), DeadLetter.class);
        List<CostEvent> costs = read(stack, stack.topics().costs(), CostEvent.class);
        Map<String, Integer> ended = new HashMap<>();
        results.forEach(r -> ended.merge(r.getRequestId(), 1, Integer::sum));
        dead.forEach(d -> ended.merge(d.getRequestId(), 1, Integer::sum));
        long lost = sent.stream().filter(id -> !ended.containsKey(id)).count();
        long doubled = ended.values().stream().filter(n -> n > 1).count();
        Map<BillingMode, Long> modes = new TreeMap<>();
        results.forEach(r -> modes.merge(r.getBillingMode(), 1L, Long::sum));
        figures.put("results", results.size());
        figures.put("results by billing mode", modes);
        figures.put("dead letters", dead.size());
        figures.put("lost", lost);
        figures.put("doubled", doubled);
        if (lost > 0) failures.add(lost + " requests never ended");
        if (doubled > 0) failures.add(doubled + " requests ended more than once");

        // What the provider ran: each line once (no job submitted twice), each synchronous call once
        Map<String, List<BatchLine>> lines = new HashMap<>();
        for (BatchLine l : stack.simulator().batchLines()) lines.computeIfAbsent(l.customId(), k -> new ArrayList<>()).add(l);
        Map<String, List<RecordedCall>> calls = new HashMap<>();
        for (RecordedCall c : stack.simulator().recordedCalls()) calls.computeIfAbsent(c.idempotencyKey(), k -> new ArrayList<>()).add(c);
        Set<String> batches = new HashSet<>();
        lines.values().forEach(ls -> ls.forEach(l -> batches.add(l.batchId())));
        long runTwice = lines.values().stream().filter(ls -> ls.size() > 1).count();
        Map<String, BatchJobStatus> jobs = jobs(stack);
        figures.put("batch jobs", jobs.size());
        figures.put("provider batches that ran", batches.size());
        figures.put("lines the provider ran", lines.values().stream().mapToInt(List::size).sum());
        figures.put("lines run twice", runTwice);
        figures.put("synchronous calls", calls.values().stream().mapToInt(List::size).sum());
        if (runTwice > 0) failures.add(runTwice + " requests ran twice at the provider (a job submitted twice?)");
        if (batchApi && batches.size() != jobs.size()) failures.add(batches.size() + " provider batches ran for " + jobs.size() + " jobs");

        // The bill: each confirmed cost event at the literal price of the tokens the provider reported for its line or call
        long billed = 0;
        long expected = 0;
        int mismatched = 0;
        Map<String, Integer> confirmed = new HashMap<>();
        for (CostEvent c : costs) {
            billed += c.getCostMicros();
            if (c.getUnconfirmed()) {
                expected += c.getCostMicros(); // an estimate of a lost call, checked against the results' count below
                continue;
            }
            confirmed.merge(c.getRequestId(), 1, Integer::sum);
            long want;
            if (c.getBillingMode() == BillingMode.BATCH_API) {
                List<BatchLine> ls = lines.getOrDefault(c.getRequestId(), List.of());
                RecordedCall u = ls.isEmpty() ? null : ls.get(ls.size() - 1).call();
                want = u == null ? -1 : literal(u.promptTokens(), u.cachedTokens(), u.completionTokens(), 50);
            } else {
                List<RecordedCall> cs = calls.getOrDefault(c.getRequestId(), List.of());
                RecordedCall u = cs.isEmpty() ? null : cs.get(cs.size() - 1);
                want = u == null ? -1 : literal(u.promptTokens(), u.cachedTokens(), u.completionTokens(), 0);
            }
            if (want != c.getCostMicros()) mismatched++;
            expected += want;
        }
        long unconfirmed = costs.stream().filter(CostEvent::getUnconfirmed).count();
        figures.put("cost micro-USD", billed);
        figures.put("cost micro-USD at the literal prices", expected);
        figures.put("unconfirmed cost events", unconfirmed);
        if (mismatched > 0) failures.add(mismatched + " cost events differ from the literal price of the provider's tokens");
        Set<String> answered = new HashSet<>();
        results.forEach(r -> answered.add(r.getRequestId()));
        if (!confirmed.keySet().equals(answered)) failures.add(confirmed.size() + " requests billed for " + answered.size() + " results");
        if (confirmed.values().stream().anyMatch(n -> n > 1)) failures.add("a request billed twice");
        if (results.stream().mapToLong(PromptResult::getCallsUnconfirmed).sum() != unconfirmed) {
            failures.add("unconfirmed cost events do not match the results' count of lost calls");
        }
    }

    private static Map<String, Long> countStates(Map<String, BatchJobStatus> jobs) {
        Map<String, Long> m = new TreeMap<>();
        jobs.values().forEach(j -> m.merge(j.getState(), 1L, Long::sum));
        return m;
    }

    private Map<String, BatchJobStatus> jobs(ChaosStack stack) {
        Map<String, BatchJobStatus> latest = new LinkedHashMap<>();
        for (BatchJobStatus s : read(stack, stack.topics().batchJobs(), BatchJobStatus.class)) latest.put(s.getJobId(), s);
        return latest;
    }

    private static long count(ChaosStack stack, String topic) {
        long[] n = {0};
        CommittedReader.readToEnd(Map.of("bootstrap.servers", stack.broker().bootstrapServers()), List.of(topic), "", r -> n[0]++);
        return n[0];
    }

    private static <T extends SpecificRecord> List<T> read(ChaosStack stack, String topic, Class<T> type) {
        var decoder = new AvroDeserializer<>(new RestSchemaRegistryClient(stack.registryUrl()), type);
        List<T> out = new ArrayList<>();
        CommittedReader.readToEnd(Map.of("bootstrap.servers", stack.broker().bootstrapServers()), List.of(topic), "", r -> {
            if (r.value() != null) out.add(decoder.deserialize(topic, r.value()));
        });
        return out;
    }

    private void await(BooleanSupplier done, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long lastReport = System.nanoTime();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(30)) {
                out.printf("  ... waiting for %s%n", what);
                lastReport = System.nanoTime();
            }
            Thread.sleep(250);
        }
    }
}
