package io.promptline.ops.local.chaos;

import io.promptline.metrics.PrometheusText;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.topics.CommittedReader;
import io.promptline.processor.dispatch.TaskStores;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.LongSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.internals.WindowKeySchema;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Fail-over with large state. Two processor JVMs answer {@value #ANSWERED} requests; the dedupe
 * window (the completed-requests stores) is then filled up to {@code ids} request_ids answered
 * earlier, written to the stores' changelogs while the JVMs are stopped, and restored when they
 * start again (answering a million requests first would take the machine half an hour and
 * measure nothing more). Probe requests of 24 tenants then flow every 250 ms while processor 0
 * is killed with SIGKILL. For every probe tenant, the time from the kill to the first result of a
 * probe published after it is taken: the tenants whose tasks moved wait for the session timeout,
 * the rebalance and the restore of the moved stores (unless a standby replica already holds
 * them); every tenant whose partition the dead instance wrote to waits until its open transaction
 * is aborted. Then the survivor, holding the whole window, is given
 * 1,024 calls in flight (requests the simulator holds for 15 s before dropping the connection,
 * answered on their retry), and its resident memory (RSS from /proc: heap, metaspace, RocksDB,
 * buffers) is sampled. Every request must be answered once, and {@value #AGAIN} answered requests
 * published again after the kill must be skipped as answered: the window survived the move.
 */
public final class StateFailover {
    static final int PARTITIONS = 6;
    static final int PROBE_TENANTS = 24;
    static final int IN_FLIGHT = 1_024;
    /** Requests answered through the processors before the window is filled up to {@code ids}. */
    static final int ANSWERED = 20_000;
    /** Of them, published again after the kill: each must be skipped as answered. */
    static final int AGAIN = 1_000;
    private final int ids;
    private final List<Integer> standbys;
    private final PrintStream out;
    final List<String> failures = new ArrayList<>();
    final Map<String, Object> figures = new LinkedHashMap<>();

    /**
     * @param ids      request_ids in the dedupe window at the kill (at least {@value #ANSWERED})
     * @param standbys the standby replica counts to run with, one run each
     */
    public StateFailover(int ids, List<Integer> standbys, PrintStream out) {
        if (ids < ANSWERED) throw new IllegalArgumentException("the dedupe window holds at least the " + ANSWERED + " requests answered");
        this.ids = ids;
        this.standbys = standbys;
        this.out = out;
    }

    public List<String> run(Path dir) throws Exception {
        for (int standby : standbys) runWith(standby, dir.resolve("standby-" + standby));
        return failures;
    }

    private void runWith(int standby, Path dir) throws Exception {
        String run = "standby " + standby + ": ";
        SimulatorConfig sim = SimulatorConfig.builder().latency("fixed:20").instances(2).hangMillis(15_000).maxRecordedCalls(1_000).build();
        Map<String, String> env = new HashMap<>(Map.of("PROMPTLINE_PROCESSOR_MAX_IN_FLIGHT", Integer.toString(IN_FLIGHT),
                "PROMPTLINE_PROCESSOR_NORMAL_SHARE", "1.0", "PROMPTLINE_PROCESSOR_STANDBY_REPLICAS", Integer.toString(standby),
                "PROMPTLINE_LLM_TIMEOUT_MS", "60000", "PROMPTLINE_RATELIMIT_NORMAL_REQUESTS_PER_MINUTE", "0",
                "PROMPTLINE_RATELIMIT_NORMAL_TOKENS_PER_MINUTE", "0"));
        String base = "state" + standby;
        try (ChaosStack stack = new ChaosStack(dir, 2, new ChaosStack.Options(sim, env, false, base, 1, PARTITIONS))) {
            stack.start();
            stack.awaitProcessorsReady(Duration.ofMinutes(2));
            try (ResultWatch watch = new ResultWatch(stack.broker().bootstrapServers(), stack.topics().results());
                 PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(stack.broker().bootstrapServers())
                         .schemaRegistryUrl(stack.registryUrl()).topics(stack.topics()).build()) {
                long t0 = System.currentTimeMillis();
                ResultWatch.publish(producer, ANSWERED, i -> Prompt.builder("t" + (i % 60)).requestId(base + "-" + i)
                        .model("gpt-4.1-mini").user("row " + i).maxTokens(10).build());
                if (!watch.await(ANSWERED, Duration.ofMinutes(10), out)) {
                    failures.add(run + watch.count() + " of " + ANSWERED + " answered in 10 minutes");
                    return;
                }
                out.printf("%s%,d requests answered in %.0f s%n", run, ANSWERED, (watch.last(base) - t0) / 1000.0);
                // The rest of the window: ids of requests answered earlier in the day, written as the stores' changelogs hold them,
                // while the processors are stopped; they restore them when they start again
                stack.stopProcessor(0);
                stack.stopProcessor(1);
                long seeded = seedWindow(stack, base, ids - ANSWERED);
                long restart = System.currentTimeMillis();
                stack.restartProcessor(0);
                stack.restartProcessor(1);
                stack.awaitProcessorsReady(Duration.ofMinutes(10));
                figures.put(run + "restart of both instances, restoring the window, to ready, s",
                        String.format("%.1f", (System.currentTimeMillis() - restart) / 1000.0));
                long window = dedupeWindow(stack);
                figures.put(run + "request_ids in the dedupe window (" + ANSWERED + " answered + " + seeded + " earlier)", window);
                if (window < ids) failures.add(run + "the dedupe window holds " + window + " ids, not " + ids);
                figures.put(run + "processor RSS MB before the kill (0, 1)",
                        List.of(stack.processorRssBytes(0) >> 20, stack.processorRssBytes(1) >> 20));

                Map<String, long[]> probes = new ConcurrentHashMap<>();
                AtomicBoolean probing = new AtomicBoolean(true);
                Thread prober = new Thread(() -> probe(producer, base, probes, probing), "prober");
                prober.start();
                Thread.sleep(10_000);
                long kill = System.currentTimeMillis();
                stack.killProcessor(0);
                out.printf("%sprocessor 0 killed (SIGKILL)%n", run);
                Map<String, Long> firstAfter = awaitEveryTenant(watch, probes, kill, Duration.ofMinutes(5));
                probing.set(false);
                prober.join();
                long slowest = firstAfter.values().stream().mapToLong(Long::longValue).max().orElse(-1);
                long waited = firstAfter.values().stream().filter(ms -> ms > 2_000).count();
                figures.put(run + "kill to the first new result, slowest probe tenant, s", String.format("%.1f", slowest / 1000.0));
                figures.put(run + "probe tenants that waited > 2 s / answered again", waited + " / " + firstAfter.size() + " of " + PROBE_TENANTS);
                if (firstAfter.size() < PROBE_TENANTS) failures.add(run + (PROBE_TENANTS - firstAfter.size()) + " probe tenants got no new result in 5 minutes");

                // The window survived the fail-over: requests answered before it, published again, are skipped, not called again
                ResultWatch.publish(producer, AGAIN, i -> Prompt.builder("t" + (i % 60)).requestId(base + "-" + i).model("gpt-4.1-mini")
                        .user("row " + i).maxTokens(10).build());

                int inFlight = IN_FLIGHT + 76;
                ResultWatch.publish(producer, inFlight, i -> Prompt.builder("r" + (i % 100)).requestId(base + "-held-" + i)
                        .model("gpt-4.1-mini").user("held " + i + " [[sim:hangx1]]").maxTokens(10).build());
                sampleMemory(stack, run);
                int total = ANSWERED + probes.size() + inFlight;
                if (!watch.await(total, Duration.ofMinutes(5), out)) failures.add(run + watch.count() + " of " + total + " answered");
                if (watch.duplicates() > 0) failures.add(run + watch.duplicates() + " results repeated a request_id");
                double skipped = PrometheusText.scrape("http://127.0.0.1:" + stack.processorMetricsPort(1)
                        + "/metrics?name[]=promptline_duplicates_total").sum("promptline_duplicates_total", Map.of("reason", "answered"));
                figures.put(run + "answered requests published again after the kill / skipped by the survivor as answered",
                        AGAIN + " / " + (long) skipped);
                if (skipped < AGAIN) failures.add(run + "the survivor skipped " + (long) skipped + " of " + AGAIN + " answered requests published again");
                figures.put(run + "requests published / answered / repeated", total + " / " + watch.count() + " / " + watch.duplicates());
                if (!stack.exitedOnTheirOwn().isEmpty()) failures.add(run + "processes exited on their own: " + stack.exitedOnTheirOwn());
            }
        }
    }

    /** Every 250 ms, one request for each probe tenant; {@code probes}: request_id → {published at, tenant index}. */
    private void probe(PromptlineProducer producer, String base, Map<String, long[]> probes, AtomicBoolean probing) {
        try {
            for (int round = 0; probing.get(); round++) {
                for (int t = 0; t < PROBE_TENANTS; t++) {
                    String id = base + "-probe-" + t + "-" + round;
                    probes.put(id, new long[] {System.currentTimeMillis(), t});
                    producer.submit(Prompt.builder("probe-" + t).requestId(id).model("gpt-4.1-mini").user("probe " + round).maxTokens(10)
                            .build());
                }
                Thread.sleep(250);
            }
        } catch (Exception e) {
            failures.add("the prober failed: " + e);
        }
    }

    /** Probe tenant → ms from the kill to the first result of one of its probes published after it. */
    private static Map<String, Long> awaitEveryTenant(ResultWatch watch, Map<String, long[]> probes, long kill, Duration timeout)
            throws InterruptedException {
        Map<String, Long> first = new HashMap<>();
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (first.size() < PROBE_TENANTS && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
            first.clear();
            probes.forEach((id, p) -> {
                Long at = watch.seenAt(id);
                if (p[0] >= kill && at != null) first.merge("probe-" + p[1], at - kill, Math::min);
            });
        }
        return first;
    }

    /** Samples the survivor's RSS, heap and calls in flight every 250 ms while its calls are held, and keeps the peaks. */
    private void sampleMemory(ChaosStack stack, String run) throws InterruptedException {
        String metrics = "http://127.0.0.1:" + stack.processorMetricsPort(1) + "/metrics?name[]=promptline_calls_in_flight&name[]=jvm_memory_used_bytes";
        long maxRss = 0;
        long maxHeap = 0;
        long maxInFlight = 0;
        long end = System.currentTimeMillis() + 12_000;
        while (System.currentTimeMillis() < end) {
            PrometheusText m = PrometheusText.scrape(metrics);
            maxInFlight = Math.max(maxInFlight, (long) m.sum("promptline_calls_in_flight"));
            maxHeap = Math.max(maxHeap, (long) m.sum("jvm_memory_used_bytes", Map.of("area", "heap")));
            maxRss = Math.max(maxRss, stack.processorRssBytes(1));
            Thread.sleep(250);
        }
        figures.put(run + "survivor: peak calls in flight", maxInFlight);
        figures.put(run + "survivor: peak RSS MB / peak heap used MB (-Xmx384m)", (maxRss >> 20) + " / " + (maxHeap >> 20));
        if (maxInFlight < IN_FLIGHT) failures.add(run + "the survivor reached " + maxInFlight + " calls in flight, not " + IN_FLIGHT);
    }

    /**
     * Writes {@code n} ids answered an hour ago into the normal tier's completed-requests changelog,
     * spread over its partitions, as the window store logs them (key: the id, the end time and a
     * sequence number; value: the end time). The layout is checked against a record the processors
     * wrote.
     */
    private static long seedWindow(ChaosStack stack, String base, int n) throws Exception {
        String changelog = base + "-normal-" + TaskStores.COMPLETED_STORE + "-changelog";
        Map<String, Object> kafka = Map.of("bootstrap.servers", stack.broker().bootstrapServers());
        AtomicReference<byte[]> written = new AtomicReference<>();
        CommittedReader.readToEnd(kafka, List.of(changelog), "", r -> written.compareAndSet(null, r.key()));
        byte[] real = written.get();
        if (real == null || real.length <= 12 || !new String(real, 0, real.length - 12, StandardCharsets.UTF_8).startsWith(base + "-")) {
            throw new IllegalStateException("unexpected key layout in " + changelog + ": not request_id + end time + sequence number");
        }
        long at = System.currentTimeMillis() - TimeUnit.HOURS.toMillis(1);
        Map<String, Object> p = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker().bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024, ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
             LongSerializer longs = new LongSerializer()) {
            byte[] value = longs.serialize(changelog, at);
            for (int i = 0; i < n; i++) {
                byte[] key = WindowKeySchema.toStoreKeyBinary(Bytes.wrap(("earlier-" + i).getBytes(StandardCharsets.UTF_8)), at, 0).get();
                producer.send(new ProducerRecord<>(changelog, i % PARTITIONS, key, value));
            }
            producer.flush();
        }
        return n;
    }

    /** Request_ids in the completed-requests stores: the records of their changelogs, read as committed. */
    private static long dedupeWindow(ChaosStack stack) throws Exception {
        Map<String, Object> kafka = Map.of("bootstrap.servers", stack.broker().bootstrapServers());
        List<String> changelogs;
        try (Admin admin = Admin.create(kafka)) {
            changelogs = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                    .filter(t -> t.contains("completed-requests") && t.endsWith("-changelog")).toList();
        }
        AtomicLong n = new AtomicLong();
        CommittedReader.readToEnd(kafka, changelogs, "", r -> {
            if (r.value() != null) n.incrementAndGet();
        });
        return n.get();
    }
}
