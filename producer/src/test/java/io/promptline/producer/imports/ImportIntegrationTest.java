package io.promptline.producer.imports;

import io.promptline.avro.Priority;
import io.promptline.avro.PromptRequest;
import io.promptline.producer.cli.PromptlineCli;
import io.promptline.runtime.ChildJvm;
import io.promptline.testkit.EmbeddedKafka;
import io.promptline.testkit.EmbeddedPostgres;
import io.promptline.testkit.RegistryFixture;
import io.promptline.testkit.TopicReader;
import io.promptline.topics.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The import on the embedded broker: what lands in the tier topic (read_committed), line by line. */
class ImportIntegrationTest {
    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();
    @RegisterExtension
    static final RegistryFixture REGISTRY = new RegistryFixture();
    @RegisterExtension
    static final EmbeddedPostgres PG = new EmbeddedPostgres();

    @TempDir
    Path dir;

    private Map<String, Object> kafka() {
        return Map.of("bootstrap.servers", KAFKA.bootstrapServers());
    }

    private List<PromptRequest> published(Topics topics, Priority tier, int expected) {
        return TopicReader.readCommitted(KAFKA.bootstrapServers(), REGISTRY.url(), topics.requests(tier), PromptRequest.class, expected,
                Duration.ofSeconds(60), Duration.ofSeconds(2));
    }

    private static Path jsonl(Path file, int lines, int... badAt) throws Exception {
        StringBuilder sb = new StringBuilder();
        java.util.Set<Integer> bad = new java.util.HashSet<>();
        for (int b : badAt) bad.add(b);
        for (int i = 1; i <= lines; i++) {
            if (bad.contains(i)) {
                sb.append(i % 2 == 0 ? "{\"prompt\": \"broken" : "{\"text\": \"\"}").append('\n');
            } else {
                sb.append("{\"prompt\":\"Classify ticket ").append(i).append("\",\"tenant\":\"acme\",\"max_tokens\":64,\"metadata\":{\"row\":\"")
                        .append(i).append("\"}}\n");
            }
        }
        Files.writeString(file, sb);
        return file;
    }

    private String[] connection(Topics topics) {
        return new String[]{"--bootstrap-servers", KAFKA.bootstrapServers(), "--schema-registry", REGISTRY.url(), "--topics-base", topics.base()};
    }

    private static String run(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = System.out;
        PrintStream e = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = PromptlineCli.run(args.toArray(String[]::new));
            return "exit " + code + "\n" + out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    @Test
    void shouldImportAHundredThousandLinesAndNameTheThreeBadOnes() throws Exception {
        Topics topics = KAFKA.newTopics(3);
        Path file = jsonl(dir.resolve("prompts.jsonl"), 100_000, 17, 50_000, 99_999);

        List<String> args = new ArrayList<>(List.of("import", file.toString(), "--priority", "batch", "--model", "gpt-4.1", "--no-progress",
                "--import-id", "hundred-k"));
        args.addAll(List.of(connection(topics)));
        String output = run(args);

        assertThat(output).startsWith("exit 1").contains("published 99,997 requests").contains("3 bad")
                .contains("line 17: no 'prompt' (or 'text') field with the message")
                .contains("line 50000: not JSON").contains("line 99999: no 'prompt'")
                .doesNotContain("[Source:");
        Matcher rate = Pattern.compile("in ([0-9.]+) s \\(([0-9,]+)/s\\)").matcher(output);
        assertThat(rate.find()).isTrue();
        System.out.printf("import: 100,000 JSONL lines (3 bad) in %s s = %s lines/s%n", rate.group(1), rate.group(2));

        List<PromptRequest> requests = published(topics, Priority.BATCH, 99_997);
        assertThat(requests).hasSize(99_997);
        assertThat(requests).extracting(PromptRequest::getRequestId).doesNotHaveDuplicates().contains("hundred-k-1", "hundred-k-100000")
                .doesNotContain("hundred-k-17", "hundred-k-50000", "hundred-k-99999");
        PromptRequest first = requests.stream().filter(r -> r.getRequestId().equals("hundred-k-1")).findFirst().orElseThrow();
        assertThat(first.getModel()).isEqualTo("gpt-4.1");
        assertThat(first.getMaxTokens()).isEqualTo(64);
        assertThat(first.getMetadata()).containsEntry("row", "1").containsEntry("import", "hundred-k").containsEntry("import.line", "1");
        assertThat(first.getMessages().get(0).getContent()).isEqualTo("Classify ticket 1");
    }

    @Test
    void shouldPublishEachLineOnceWhenKilledHalfWayAndResumed() throws Exception {
        Topics topics = KAFKA.newTopics(3);
        Path file = jsonl(dir.resolve("resume.jsonl"), 20_000);
        List<String> args = new ArrayList<>(List.of("import", file.toString(), "--no-progress", "--import-id", "resume-test",
                "--rate", "4000"));
        args.addAll(List.of(connection(topics)));

        // Given an import killed with SIGKILL part of the way through (4,000 lines a second: about 5 s in all)
        ChildJvm killed = ChildJvm.start("import", PromptlineCli.class, Map.of(), dir.resolve("killed.log"), List.of("-Xmx256m"), args.toArray(String[]::new));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (ImportCheckpoints.lastLine(kafka(), topics.imports(), "resume-test") < 6_000) {
            assertThat(System.nanoTime()).as("the first run to commit some lines").isLessThan(deadline);
            Thread.sleep(100);
        }
        killed.kill();
        long committed = ImportCheckpoints.lastLine(kafka(), topics.imports(), "resume-test");
        assertThat(committed).isBetween(6_000L, 19_999L);

        // When the same command runs again, it resumes after the last committed line
        String output = run(args);
        assertThat(output).startsWith("exit 0").contains(committed + " already imported before, skipped");

        // Then each of the 20,000 lines is in the topic exactly once (what the killed run had not committed was aborted)
        List<PromptRequest> requests = published(topics, Priority.BATCH, 20_000);
        assertThat(requests).extracting(PromptRequest::getRequestId).doesNotHaveDuplicates().hasSize(20_000);
        System.out.printf("import resume: killed after line %d of 20,000; resumed; 20,000 requests, none twice%n", committed);
    }

    @Test
    void shouldImportCsvWithQuotedFields() throws Exception {
        Topics topics = KAFKA.newTopics(3);
        Path csv = dir.resolve("prompts.csv");
        Files.writeString(csv, "id,tenant,prompt,max_tokens\n"
                + "c1,acme,\"Hello, world\",10\n"
                + "c2,globex,\"He said \"\"hi\"\"\nacross lines\",\n"
                + "c3,acme,Third,not-a-number\n");
        List<String> args = new ArrayList<>(List.of("import", csv.toString(), "--priority", "normal", "--no-progress"));
        args.addAll(List.of(connection(topics)));
        String output = run(args);

        assertThat(output).contains("published 2 requests").contains("'max_tokens' must be an integer, was 'not-a-number'");
        List<PromptRequest> requests = published(topics, Priority.NORMAL, 2);
        assertThat(requests).extracting(PromptRequest::getRequestId).containsExactlyInAnyOrder("c1", "c2");
        assertThat(requests).anySatisfy(r -> assertThat(r.getMessages().get(0).getContent()).isEqualTo("He said \"hi\"\nacross lines"));
    }

    @Test
    void shouldImportTheRowsOfAPostgresTable() throws Exception {
        Topics topics = KAFKA.newTopics(3);
        String url = PG.newDatabase();
        try (Connection c = DriverManager.getConnection(url, "postgres", "postgres"); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE tickets (ticket_id BIGINT PRIMARY KEY, customer TEXT, body TEXT)");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO tickets VALUES (?, ?, ?)")) {
                for (int i = 1; i <= 2_500; i++) {
                    ps.setLong(1, i);
                    ps.setString(2, "customer-" + (i % 5));
                    ps.setString(3, "Ticket body " + i);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        Importer importer = new Importer(kafka(), REGISTRY.serdes().registry(), topics, Clock.systemUTC());
        Importer.Report report;
        try (ImportSource rows = ImportSource.jdbc(url, "postgres", "postgres",
                "SELECT 'ticket-' || ticket_id AS id, customer AS tenant, 'Summarise: ' || body AS prompt FROM tickets ORDER BY ticket_id")) {
            report = importer.run(rows, new RowMapping("tickets", null, Priority.BATCH, "gpt-4.1-mini", null, null, 200), 0, () -> false,
                    (line, published, bad) -> { });
        }
        assertThat(report.published()).isEqualTo(2_500);
        assertThat(report.badLines()).isEmpty();
        List<PromptRequest> requests = published(topics, Priority.BATCH, 2_500);
        assertThat(requests).extracting(PromptRequest::getRequestId).doesNotHaveDuplicates().hasSize(2_500).contains("ticket-1", "ticket-2500");
        assertThat(requests).allSatisfy(r -> assertThat(r.getTenant()).startsWith("customer-"));
    }
}
