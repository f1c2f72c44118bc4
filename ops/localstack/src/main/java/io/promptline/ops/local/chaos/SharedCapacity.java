package io.promptline.ops.local.chaos;

import io.promptline.avro.Priority;
import io.promptline.avro.PromptResult;
import io.promptline.ops.local.Ports;
import io.promptline.ops.simulator.Arrival;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.serde.AvroDeserializer;
import io.promptline.topics.CommittedReader;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Three processor JVMs share provider deployments whose limits hold for all of them together:
 * <ul>
 *   <li>{@code mini-600}: gpt-4.1-mini, 600 requests per minute, no urgent reserve, under a batch
 *       backlog far beyond it — the simulator counts the calls of each minute;</li>
 *   <li>{@code main}: gpt-4.1, 20% reserved for urgent, under a batch backlog whose every request is
 *       answered 429 (Retry-After 2 s) on its first call — a 429 storm caused by batch traffic —
 *       while urgent requests arrive one every 500 ms and their time from publish to answer is
 *       measured against the provider's latency.</li>
 * </ul>
 */
public final class SharedCapacity {
    static final int RPM = 600;
    static final long LATENCY_MS = 200;
    private final int minutes;
    private final PrintStream out;
    final List<String> failures = new ArrayList<>();
    final Map<String, Object> figures = new java.util.LinkedHashMap<>();
    /** Calls of gpt-4.1-mini the simulator received in each full minute measured. */
    final List<Long> perMinute = new ArrayList<>();

    public SharedCapacity(int minutes, PrintStream out) {
        this.minutes = minutes;
        this.out = out;
    }

    public List<String> run(Path dir) throws Exception {
        int simPort = Ports.free();
        String baseUrl = "http://127.0.0.1:" + simPort + "/v1";
        Files.createDirectories(dir);
        Path file = dir.resolve("deployments.json");
        Files.writeString(file, """
                {"deployments": [
                  {"name": "mini-600", "provider": "simulator", "base_url": "%s", "models": ["gpt-4.1-mini"], "rpm": %d,
                   "max_concurrency": 64, "urgent_reserve": 0},
                  {"name": "main", "provider": "simulator", "base_url": "%s", "models": ["gpt-4.1"], "rpm": 6000,
                   "max_concurrency": 64, "urgent_reserve": 0.2}
                ]}""".formatted(baseUrl, RPM, baseUrl));
        SimulatorConfig sim = SimulatorConfig.builder().port(simPort).latency("fixed:" + LATENCY_MS).instances(2)
                .maxRecordedCalls(1_000_000).build();
        Map<String, String> env = Map.of("PROMPTLINE_LLM_DEPLOYMENTS_FILE", file.toAbsolutePath().toString(),
                "PROMPTLINE_PROCESSOR_MAX_IN_FLIGHT", "128", "PROMPTLINE_RATELIMIT_BATCH_REQUESTS_PER_MINUTE", "0",
                "PROMPTLINE_RATELIMIT_BATCH_TOKENS_PER_MINUTE", "0", "PROMPTLINE_RETRY_MAX_ATTEMPTS", "6");
        try (ChaosStack stack = new ChaosStack(dir, 3, new ChaosStack.Options(sim, env, false, "capacity", 1))) {
            stack.start();
            // Enough for every instance to stay busy through the minutes measured, over enough tenants that each instance has some
            int backlog = RPM * (minutes + 3);
            long t0 = System.currentTimeMillis();
            Map<String, Long> urgentSent = new ConcurrentHashMap<>();
            try (PromptlineProducer producer = PromptlineProducer.builder().bootstrapServers(stack.broker().bootstrapServers())
                    .schemaRegistryUrl(stack.registryUrl()).topics(stack.topics()).build()) {
                List<CompletableFuture<String>> sent = new ArrayList<>();
                for (int i = 0; i < backlog; i++) {
                    // The two loads come from different tenants: a tenant's requests are called in order, so one whose
                    // next request waits for a paused deployment holds its others behind it
                    sent.add(producer.submit(Prompt.builder("mini-t" + (i % 24)).requestId("mini-" + i).priority(Priority.BATCH)
                            .model("gpt-4.1-mini").user("summarize row " + i).maxTokens(50).build()));
                    sent.add(producer.submit(Prompt.builder("storm-t" + (i % 6)).requestId("storm-" + i).priority(Priority.BATCH)
                            .model("gpt-4.1").user("classify row " + i + " [[sim:429x1:retry-after=2]]").maxTokens(50).build()));
                }
                for (CompletableFuture<String> f : sent) f.get(2, TimeUnit.MINUTES);
                out.printf("%,d batch requests for each deployment published; three processors share them%n", backlog);
                // Urgent requests through the storm, one every 500 ms, from the second minute on
                Thread.sleep(Math.max(0, 60_000 - (System.currentTimeMillis() - t0)));
                long end = System.currentTimeMillis() + minutes * 60_000L;
                int u = 0;
                while (System.currentTimeMillis() < end) {
                    String id = "urgent-" + u++;
                    urgentSent.put(id, System.currentTimeMillis());
                    producer.submit(Prompt.builder("vip").requestId(id).priority(Priority.URGENT).model("gpt-4.1").user("now " + id)
                            .maxTokens(50).build());
                    Thread.sleep(500);
                }
                producer.flush();
            }
            // The full minutes measured: from the second minute on (all three instances busy, their shares settled)
            List<Arrival> arrivals = stack.simulator().arrivals();
            long from = t0 + 60_000;
            for (int m = 0; m < minutes; m++) {
                long start = from + m * 60_000L;
                long end = start + 60_000;
                perMinute.add(arrivals.stream().filter(a -> "gpt-4.1-mini".equals(a.model()) && a.receivedAtMillis() >= start
                        && a.receivedAtMillis() < end).count());
            }
            long firstMinute = arrivals.stream().filter(a -> "gpt-4.1-mini".equals(a.model()) && a.receivedAtMillis() < from).count();
            figures.put("gpt-4.1-mini calls in the first minute (instances joining, not measured)", firstMinute);
            figures.put("gpt-4.1-mini calls per minute at the simulator (limit " + RPM + ")", perMinute);
            figures.put("as a share of the limit", perMinute.stream().map(n -> String.format("%.1f%%", 100.0 * n / RPM)).toList());
            long storm = arrivals.stream().filter(a -> "gpt-4.1".equals(a.model()) && "429".equals(a.outcome())).count();
            figures.put("429s answered to batch calls of gpt-4.1 (the storm)", storm);
            urgentLatencies(stack, urgentSent);
            if (!stack.exitedOnTheirOwn().isEmpty()) failures.add("processes exited on their own: " + stack.exitedOnTheirOwn());
        }
        return failures;
    }

    private void urgentLatencies(ChaosStack stack, Map<String, Long> sent) throws InterruptedException {
        var decoder = new AvroDeserializer<>(new RestSchemaRegistryClient(stack.registryUrl()), PromptResult.class);
        List<Long> latencies = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            latencies.clear();
            CommittedReader.readToEnd(Map.of("bootstrap.servers", stack.broker().bootstrapServers()), List.of(stack.topics().results()), "",
                    r -> {
                        if (r.value() == null) return;
                        PromptResult res = decoder.deserialize(r.topic(), r.value());
                        Long at = sent.get(res.getRequestId());
                        if (at != null) latencies.add(res.getCompletedAt().toEpochMilli() - at);
                    });
            if (latencies.size() >= sent.size()) break;
            Thread.sleep(2_000);
        }
        latencies.sort(Long::compare);
        figures.put("urgent requests answered", latencies.size() + " of " + sent.size());
        if (latencies.size() < sent.size()) failures.add((sent.size() - latencies.size()) + " urgent requests not answered");
        if (!latencies.isEmpty()) {
            long p50 = latencies.get(latencies.size() / 2);
            long p99 = latencies.get(Math.min(latencies.size() - 1, (int) Math.ceil(latencies.size() * 0.99) - 1));
            figures.put("urgent publish-to-answer p50 / p99 / max ms (provider latency " + LATENCY_MS + " ms)",
                    p50 + " / " + p99 + " / " + latencies.get(latencies.size() - 1));
            figures.put("urgent p99 - provider latency, ms (target <= 250)", p99 - LATENCY_MS);
        }
    }
}
