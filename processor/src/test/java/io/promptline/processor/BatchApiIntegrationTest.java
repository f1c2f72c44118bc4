package io.promptline.processor;

import io.promptline.requests.Messages;
import io.promptline.avro.BatchJobStatus;
import io.promptline.avro.BillingMode;
import io.promptline.avro.CostEvent;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.avro.PromptResult;
import io.promptline.ops.simulator.BatchLine;
import io.promptline.ops.simulator.RecordedCall;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.processor.config.ProcessorConfig;
import io.promptline.producer.cli.PromptlineCli;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.serde.AvroSerializer;
import io.promptline.testkit.Await;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.LiteralPrice;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.SimulatorFixture;
import io.promptline.testkit.TopicReader;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The batch tier through the provider's Batch API, on the embedded broker and the simulator's
 * Files and Batches endpoints: answers billed at the batch price (literal prices × the usage the
 * simulator reported for each line), lines that expired or failed sent to synchronous calls at
 * the full price, lines refused for the request dead-lettered, and a job cancelled by command.
 */
class BatchApiIntegrationTest {
    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final SimulatorFixture SIM = new SimulatorFixture(SimulatorConfig.builder().latency("fixed:20").batchCompletionMillis(400)
            .build());

    /** The delay ladder of {@link InProcess#config}. */
    private static final List<Duration> LADDER = List.of(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30));

    @TempDir
    Path dir;

    private Map<String, Object> config(Topics topics, String name) {
        Map<String, Object> c = InProcess.config(KAFKA.bootstrapServers(), REGISTRY.url(), SIM.baseUrl(), topics, name + "-" + topics.base(),
                dir.resolve(name));
        c.put(ProcessorConfig.TIERS_CONFIG, "BATCH");
        c.put(ProcessorConfig.BATCH_API_MODE_CONFIG, "default");
        c.put(ProcessorConfig.BATCH_API_GATHER_MS_CONFIG, 500L);
        c.put(ProcessorConfig.BATCH_API_POLL_MS_CONFIG, 100L);
        c.put(ProcessorConfig.BATCH_API_MAX_REQUESTS_CONFIG, 150);
        return c;
    }

    private static PromptRequest request(String id, String tenant, String content, Boolean batchApi) {
        return PromptRequest.newBuilder().setRequestId(id).setTenant(tenant).setPriority(Priority.BATCH).setModel("gpt-4.1")
                .setMessages(List.of(Messages.text("user", content))).setCreatedAt(Instant.now()).setBatchApi(batchApi).build();
    }

    private void publish(Topics topics, List<PromptRequest> requests) throws Exception {
        try (KafkaProducer<String, PromptRequest> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                KAFKA.bootstrapServers()), new StringSerializer(), new AvroSerializer<>(new RestSchemaRegistryClient(REGISTRY.url()), true))) {
            for (PromptRequest r : requests) p.send(new ProducerRecord<>(topics.requests(Priority.BATCH), r.getTenant(), r));
            p.flush();
        }
    }

    private <T extends org.apache.avro.specific.SpecificRecord> List<T> read(String topic, Class<T> type, int expected) {
        return TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topic, type, expected, Duration.ofSeconds(90),
                Duration.ofSeconds(2));
    }

    @Test
    void shouldAnswerBatchTierRequestsThroughTheBatchApiAtTheBatchPrice() throws Exception {
        Topics topics = KAFKA.newTopics(2, LADDER);
        String run = topics.base();
        List<PromptRequest> requests = new ArrayList<>();
        for (int i = 0; i < 300; i++) requests.add(request(run + "-" + i, "tenant-" + (i % 5), "summarize document " + i, null));
        // A request that opts out is called synchronously, at the full price
        requests.add(request(run + "-sync", "tenant-0", "answer me now", false));
        ProcessorApp app = InProcess.start(config(topics, "batch"));
        try {
            publish(topics, requests);

            List<PromptResult> results = read(topics.results(), PromptResult.class, requests.size());
            assertThat(results).extracting(PromptResult::getRequestId).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(requests.stream().map(PromptRequest::getRequestId).toList());
            Map<String, PromptResult> byId = results.stream().collect(Collectors.toMap(PromptResult::getRequestId, Function.identity()));
            assertThat(byId.get(run + "-sync").getBillingMode()).isEqualTo(BillingMode.SYNC);
            assertThat(results).filteredOn(r -> !r.getRequestId().equals(run + "-sync"))
                    .allSatisfy(r -> {
                        assertThat(r.getBillingMode()).isEqualTo(BillingMode.BATCH_API);
                        assertThat(r.getBatchId()).startsWith("batch_sim_");
                    });

            // The bill: gpt-4.1 at $2 / $0.50 cached / $8 per MTok, half of it through the Batch API, half-up once per call
            List<CostEvent> costs = read(topics.costs(), CostEvent.class, requests.size());
            assertThat(costs).extracting(CostEvent::getRequestId).doesNotHaveDuplicates().hasSize(requests.size());
            Map<String, BatchLine> lines = SIM.simulator().batchLines().stream().filter(l -> l.customId().startsWith(run))
                    .collect(Collectors.toMap(BatchLine::customId, Function.identity()));
            assertThat(lines).hasSize(300);
            long batchExpected = lines.values().stream().map(BatchLine::call)
                    .mapToLong(c -> LiteralPrice.GPT_4_1.micros(c.promptTokens(), c.cachedTokens(), c.completionTokens(), 50)).sum();
            long batchBilled = costs.stream().filter(c -> c.getBillingMode() == BillingMode.BATCH_API).mapToLong(CostEvent::getCostMicros).sum();
            assertThat(batchBilled).isEqualTo(batchExpected).isPositive();
            RecordedCall sync = SIM.simulator().recordedCalls().stream().filter(c -> c.idempotencyKey().equals(run + "-sync"))
                    .findFirst().orElseThrow();
            CostEvent syncCost = costs.stream().filter(c -> c.getRequestId().equals(run + "-sync")).findFirst().orElseThrow();
            assertThat(syncCost.getBillingMode()).isEqualTo(BillingMode.SYNC);
            assertThat(syncCost.getCostMicros()).isEqualTo(LiteralPrice.GPT_4_1.micros(sync.promptTokens(), sync.cachedTokens(),
                    sync.completionTokens()));
            // No request of a job was also called synchronously
            Set<String> calledSync = SIM.simulator().arrivals().stream().map(a -> a.idempotencyKey())
                    .filter(k -> k != null && k.startsWith(run)).collect(Collectors.toSet());
            assertThat(calledSync).containsExactly(run + "-sync");

            // The jobs were published for operators, each ending DONE
            Await.until(Duration.ofSeconds(30), "every job DONE in " + topics.batchJobs(), () -> {
                Map<String, BatchJobStatus> jobs = latestJobs(topics);
                return !jobs.isEmpty() && jobs.values().stream().allMatch(j -> "DONE".equals(j.getState()));
            });
            Map<String, BatchJobStatus> jobs = latestJobs(topics);
            assertThat(jobs.values().stream().mapToInt(BatchJobStatus::getAnswered).sum()).isEqualTo(300);
            assertThat(jobs.values()).allSatisfy(j -> assertThat(j.getRequests()).isLessThanOrEqualTo(150));
            System.out.printf("batch API: %d requests in %d jobs; batch cost %d micro-USD = literal; the synchronous one %d micro-USD%n",
                    300, jobs.size(), batchBilled, syncCost.getCostMicros());

            // And `promptline costs reprice` with a table at half these prices reports what the same calls would cost, each at
            // its billing mode: $1 / $0.25 cached / $4 per MTok, half again through the Batch API
            LiteralPrice half = new LiteralPrice("1.00", "0.25", "4.00");
            Path table = dir.resolve("half-prices.json");
            java.nio.file.Files.writeString(table, """
                    {"version": "test-half", "prices": [{"provider": "*", "model": "gpt-4.1", "currency": "USD",
                      "input_per_mtok_micros": 1000000, "cached_input_per_mtok_micros": 250000, "output_per_mtok_micros": 4000000,
                      "batch_discount_percent": 50}]}""");
            long repricedExpected = lines.values().stream().map(BatchLine::call)
                    .mapToLong(c -> half.micros(c.promptTokens(), c.cachedTokens(), c.completionTokens(), 50)).sum()
                    + half.micros(sync.promptTokens(), sync.cachedTokens(), sync.completionTokens());
            String report = cli(topics, "costs", "reprice", "--prices", table.toString(), "--since", "1h");
            assertThat(microUnits(report, "Total recorded USD")).isEqualTo(batchBilled + syncCost.getCostMicros());
            assertThat(microUnits(report, "Total repriced USD")).isEqualTo(repricedExpected);
            assertThat(report).contains("test-half").containsPattern("tenant-0 +gpt-4\\.1 +61 ");
        } finally {
            app.close();
        }
    }

    @Test
    void shouldCallLinesThatDidNotAnswerSynchronouslyAndDeadLetterLinesRefusedForTheRequest() throws Exception {
        Topics topics = KAFKA.newTopics(1, LADDER);
        String run = topics.base();
        List<PromptRequest> requests = List.of(
                request(run + "-ok", "t", "fine", true),
                request(run + "-expired", "t", "too slow [[sim:batch_expire]]", true),
                request(run + "-flaky", "t", "a server error once [[sim:500x1]]", true),
                request(run + "-refused", "t", "refused [[sim:content_policy]]", true));
        ProcessorApp app = InProcess.start(config(topics, "lines"));
        try {
            publish(topics, requests);
            List<PromptResult> results = read(topics.results(), PromptResult.class, 3);
            List<DeadLetter> dead = read(topics.dlq(), DeadLetter.class, 1);

            Map<String, PromptResult> byId = results.stream().collect(Collectors.toMap(PromptResult::getRequestId, Function.identity()));
            assertThat(byId).containsOnlyKeys(run + "-ok", run + "-expired", run + "-flaky");
            assertThat(byId.get(run + "-ok").getBillingMode()).isEqualTo(BillingMode.BATCH_API);
            // The expired and the failed line are called again synchronously (full price), as their next attempt
            for (String id : List.of(run + "-expired", run + "-flaky")) {
                PromptResult r = byId.get(id);
                assertThat(r.getBillingMode()).as(id).isEqualTo(BillingMode.SYNC);
                assertThat(r.getAttempts()).as(id).isEqualTo(2);
                assertThat(r.getFallbackReason()).as(id).contains("did not answer").contains("called synchronously");
            }
            assertThat(dead).singleElement().satisfies(d -> {
                assertThat(d.getRequestId()).isEqualTo(run + "-refused");
                assertThat(d.getCategory()).isEqualTo(ErrorCategory.CONTENT_POLICY);
                assertThat(d.getMessage()).contains("batch job");
            });
            List<CostEvent> costs = read(topics.costs(), CostEvent.class, 3);
            assertThat(costs).extracting(CostEvent::getRequestId).containsExactlyInAnyOrder(run + "-ok", run + "-expired", run + "-flaky");
            assertThat(costs).filteredOn(c -> !c.getRequestId().equals(run + "-ok")).extracting(CostEvent::getBillingMode)
                    .containsOnly(BillingMode.SYNC);
        } finally {
            app.close();
        }
    }

    @Test
    void shouldCancelASubmittedJobOnCommandAndCallItsRequestsSynchronously() throws Exception {
        Topics topics = KAFKA.newTopics(1, LADDER);
        String run = topics.base();
        List<PromptRequest> requests = new ArrayList<>();
        for (int i = 0; i < 5; i++) requests.add(request(run + "-" + i, "t", "held " + i + " [[sim:batch_hold]]", true));
        ProcessorApp app = InProcess.start(config(topics, "cancel"));
        try {
            publish(topics, requests);
            Await.until(Duration.ofSeconds(60), "a job SUBMITTED", () -> latestJobs(topics).values().stream()
                    .anyMatch(j -> "SUBMITTED".equals(j.getState())));
            BatchJobStatus job = latestJobs(topics).values().stream().filter(j -> "SUBMITTED".equals(j.getState())).findFirst().orElseThrow();
            assertThat(cli(topics, "batches", "list")).contains(job.getJobId()).contains("SUBMITTED").contains(job.getProviderBatchId());
            // An operator cancels it with the CLI
            assertThat(cli(topics, "batches", "cancel", job.getJobId())).contains("Cancel of " + job.getJobId() + " (SUBMITTED) sent");
            // The held lines never answer at the provider; once cancelled, each is called synchronously (and answers there)
            List<PromptResult> results = read(topics.results(), PromptResult.class, requests.size());
            assertThat(results).extracting(PromptResult::getRequestId).doesNotHaveDuplicates().hasSize(requests.size());
            assertThat(results).allSatisfy(r -> assertThat(r.getBillingMode()).isEqualTo(BillingMode.SYNC));
            Await.until(Duration.ofSeconds(30), "the job DONE", () -> "DONE".equals(latestJobs(topics).get(job.getJobId()).getState()));
            BatchJobStatus done = latestJobs(topics).get(job.getJobId());
            assertThat(done.getProviderStatus()).isEqualTo("cancelled");
            assertThat(done.getCancelRequested()).isTrue();
            assertThat(done.getReturned()).isEqualTo(requests.size());
            assertThat(cli(topics, "batches", "show", job.getJobId())).contains("state          DONE (cancel requested)")
                    .contains("0 answered, 5 back to synchronous calls, 0 dead-lettered");
            assertThat(cli(topics, "batches", "list")).doesNotContain(job.getJobId()).contains("(no batch job open");
        } finally {
            app.close();
        }
    }

    /** Runs a {@code promptline} command against this test's topics; returns what it printed, having exited 0. */
    private String cli(Topics topics, String... command) {
        List<String> args = new ArrayList<>(List.of(command));
        args.addAll(List.of("--bootstrap-servers", KAFKA.bootstrapServers(), "--schema-registry", REGISTRY.url(), "--topics-base",
                topics.base()));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.PrintStream was = System.out;
        int code;
        System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            code = PromptlineCli.run(args.toArray(String[]::new));
        } finally {
            System.setOut(was);
        }
        String printed = out.toString(java.nio.charset.StandardCharsets.UTF_8);
        System.out.print(printed);
        assertThat(code).as("exit code of promptline %s: %s", String.join(" ", command), printed).isZero();
        return printed;
    }

    private static long microUnits(String report, String total) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(total) + " .*\\((\\d+) micro-units\\)")
                .matcher(report);
        assertThat(m.find()).as("'%s' in %s", total, report).isTrue();
        return Long.parseLong(m.group(1));
    }

    private Map<String, BatchJobStatus> latestJobs(Topics topics) {
        Map<String, BatchJobStatus> latest = new java.util.LinkedHashMap<>();
        for (BatchJobStatus s : TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.batchJobs(), BatchJobStatus.class,
                0, Duration.ZERO, Duration.ofMillis(500))) {
            latest.put(s.getJobId(), s);
        }
        return latest;
    }
}
