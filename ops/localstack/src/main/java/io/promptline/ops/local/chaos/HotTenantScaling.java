package io.promptline.ops.local.chaos;

import io.promptline.metrics.PrometheusText;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One tenant's backlog on 1, 2 and 3 processor JVMs. The tenant is spread over six lines
 * ({@code promptline.processor.tenant.shards hot=6}) on the six partitions of its tier, so each
 * instance takes a share of its tasks. Each instance may keep {@value #MAX_IN_FLIGHT} calls in
 * flight at a provider answering in {@value #LATENCY_MS} ms (an LLM's latency is seconds; a
 * provider's answer is not the bottleneck of the machine running the scenario), so an instance's
 * bound is C/L = 160 results per second: throughput grows with the instances only if the tenant's
 * work really spreads over them. After a warm-up of {@value #WARM_UP} requests per JVM (the JVMs'
 * code compiled, their tasks settled), throughput is counted from the first result of the
 * backlog to the last, as a read_committed consumer sees them.
 */
public final class HotTenantScaling {
    static final int MAX_IN_FLIGHT = 128;
    static final long LATENCY_MS = 800;
    /** Requests per JVM answered before the measured backlog, so every JVM's code is compiled and its tasks settled. */
    static final int WARM_UP = 2_000;
    static final int LINES = 6;
    private final int requests;
    private final PrintStream out;
    final List<String> failures = new ArrayList<>();
    final Map<String, Object> figures = new LinkedHashMap<>();
    /** Results per second by the number of JVMs. */
    final Map<Integer, Double> perSecond = new LinkedHashMap<>();

    public HotTenantScaling(int requests, PrintStream out) {
        this.requests = requests;
        this.out = out;
    }

    public List<String> run(Path dir) throws Exception {
        for (int jvms = 1; jvms <= 3; jvms++) perSecond.put(jvms, runWith(jvms, dir.resolve(jvms + "-jvms")));
        double one = perSecond.get(1);
        double bound = 1000.0 * MAX_IN_FLIGHT / LATENCY_MS;
        perSecond.forEach((jvms, rate) -> figures.put(jvms + " JVM(s): results/s, x of 1 JVM, share of the bound " + jvms + " x C/L",
                String.format("%.0f, %.2fx, %.0f%%", rate, rate / one, 100 * rate / (jvms * bound))));
        return failures;
    }

    private double runWith(int jvms, Path dir) throws Exception {
        SimulatorConfig sim = SimulatorConfig.builder().latency("fixed:" + LATENCY_MS).instances(2).maxRecordedCalls(1_000).build();
        Map<String, String> env = Map.of("PROMPTLINE_PROCESSOR_MAX_IN_FLIGHT", Integer.toString(MAX_IN_FLIGHT),
                "PROMPTLINE_PROCESSOR_NORMAL_SHARE", "1.0",
                "PROMPTLINE_PROCESSOR_TENANT_SHARDS", "hot=" + LINES, "PROMPTLINE_PROVIDER_MIN_CONCURRENCY", Integer.toString(MAX_IN_FLIGHT),
                "PROMPTLINE_RATELIMIT_NORMAL_REQUESTS_PER_MINUTE", "0", "PROMPTLINE_RATELIMIT_NORMAL_TOKENS_PER_MINUTE", "0");
        String base = "hot" + jvms;
        try (ChaosStack stack = new ChaosStack(dir, jvms, new ChaosStack.Options(sim, env, false, base, 1, LINES))) {
            stack.start();
            stack.awaitProcessorsReady(Duration.ofMinutes(2));
            try (ResultWatch watch = new ResultWatch(stack.broker().bootstrapServers(), stack.topics().results());
                 PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(stack.broker().bootstrapServers())
                         .schemaRegistryUrl(stack.registryUrl()).topics(stack.topics()).build()) {
                int warmUp = WARM_UP * jvms;
                ResultWatch.publish(producer, warmUp, i -> Prompt.builder("hot").requestId("warm-" + i).model("gpt-4.1-mini")
                        .user("warm-up row " + i).maxTokens(20).build());
                if (!watch.await(warmUp, Duration.ofMinutes(5), out)) throw new IllegalStateException("the warm-up was not answered in 5 minutes");
                long t0 = System.currentTimeMillis();
                ResultWatch.publish(producer, requests, i -> Prompt.builder("hot").requestId(base + "-" + i).model("gpt-4.1-mini")
                        .user("row " + i + " of one tenant's backlog").maxTokens(20).build());
                out.printf("%d JVM(s): %,d requests of tenant hot published in %.1f s%n", jvms, requests,
                        (System.currentTimeMillis() - t0) / 1000.0);
                if (!watch.await(warmUp + requests, Duration.ofMinutes(30), out)) {
                    failures.add(jvms + " JVM(s): " + watch.count(base + "-") + " of " + requests + " answered in 30 minutes");
                }
                if (watch.duplicates() > 0) failures.add(jvms + " JVM(s): " + watch.duplicates() + " results repeated a request_id");
                long span = watch.last(base + "-") - watch.first(base + "-");
                double rate = 1000.0 * (watch.count(base + "-") - 1) / Math.max(1, span);
                List<Long> calls = new ArrayList<>();
                for (int i = 0; i < jvms; i++) {
                    calls.add((long) PrometheusText.scrape("http://127.0.0.1:" + stack.processorMetricsPort(i) + "/metrics?name[]=promptline_calls_total")
                            .sum("promptline_calls_total"));
                }
                figures.put(jvms + " JVM(s): calls made by each instance", calls);
                out.printf("%d JVM(s): %,d results in %.1f s: %.0f/s; calls by instance %s%n", jvms, watch.count(base + "-"), span / 1000.0,
                        rate, calls);
                if (!stack.exitedOnTheirOwn().isEmpty()) failures.add("processes exited on their own: " + stack.exitedOnTheirOwn());
                return rate;
            }
        }
    }
}
