package io.promptline.ops.local;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The promptline CLI driven as a user would, from a shell (producer/bin/promptline), against the
 * local stack: quotas, submit, dead letters and a redrive, an import, results and costs.
 */
class CliIntegrationTest {
    @TempDir
    static Path dir;
    private static LocalStack stack;
    private static final Path CLI = Path.of("../../producer/bin/promptline").toAbsolutePath().normalize();

    record Run(int exit, String out) {
    }

    @BeforeAll
    static void startStack() throws Exception {
        int kafka = Ports.freePair();
        stack = new LocalStack(LocalStackSettings.parse(new String[0], Map.of(
                "PROMPTLINE_LOCAL_DIR", dir.resolve("stack").toString(),
                "PROMPTLINE_LOCAL_KAFKA_PORT", String.valueOf(kafka),
                "PROMPTLINE_LOCAL_REGISTRY_PORT", String.valueOf(Ports.free()),
                "PROMPTLINE_LOCAL_SIMULATOR_PORT", String.valueOf(Ports.free()),
                "PROMPTLINE_LOCAL_POSTGRES_PORT", String.valueOf(Ports.free()),
                "PROMPTLINE_LOCAL_METRICS_PORT", String.valueOf(Ports.freePair()),
                "PROMPTLINE_SIMULATOR_LATENCY", "fixed:20")));
        stack.startAll();
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) stack.close();
    }

    /** Runs {@code promptline ARGS} through bash, as typed at a terminal. */
    private static Run promptline(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", CLI.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("PROMPTLINE_BOOTSTRAP_SERVERS", stack.bootstrapServers());
        pb.environment().put("PROMPTLINE_SCHEMA_REGISTRY_URL", stack.registryUrl());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("promptline " + String.join(" ", args) + " finished").isTrue();
        return new Run(p.exitValue(), out);
    }

    @Test
    void shouldServeAUserFromTheShell() throws Exception {
        Run help = promptline("--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("submit", "import", "results", "tail", "dlq", "quota", "costs", "PROMPTLINE_BOOTSTRAP_SERVERS");

        Run acls = promptline("acls", "processor", "--principal", "User:proc", "--application-id", "pl");
        assertThat(acls.exit()).as(acls.out()).isZero();
        assertThat(acls.out()).contains("# 26 ACLs for the processor as User:proc",
                "--add --allow-principal User:proc --operation Write --transactional-id pl- --resource-pattern-type prefixed",
                "--operation Read --topic llm.requests.urgent");
        Run badAcls = promptline("acls", "nobody", "--principal", "User:x");
        assertThat(badAcls.exit()).isEqualTo(2);
        assertThat(badAcls.out()).contains("'nobody' is not one of processor, sink, producer, cli");

        Run set = promptline("quota", "set", "acme", "--tier", "normal", "--requests-per-minute", "600", "--budget", "25.50");
        assertThat(set.exit()).as(set.out()).isZero();
        Run get = promptline("quota", "get", "acme");
        assertThat(get.out()).contains("normal  requests/min 600").contains("budget: 25500000 micro-USD monthly (25.500000 USD)");

        Run answered = promptline("submit", "--tenant", "acme", "--model", "gpt-4.1", "--request-id", "cli-ok", "Say hello");
        assertThat(answered.exit()).as(answered.out()).isZero();
        assertThat(answered.out()).contains("Simulated answer to: Say hello").contains("cli-ok answered by gpt-4.1 (simulator)");

        // The answer printed as it streams (from llm.results.stream), then the result's summary; the text only once
        Run streamed = promptline("submit", "--tenant", "acme", "--priority", "urgent", "--model", "gpt-4.1", "--request-id", "cli-stream",
                "--stream", "Tell me about the sea");
        assertThat(streamed.exit()).as(streamed.out()).isZero();
        System.out.print("promptline submit --stream:\n" + streamed.out());
        assertThat(streamed.out()).containsOnlyOnce("Simulated answer to: Tell me about the sea").contains("cli-stream answered by gpt-4.1");
        List<io.promptline.avro.ResultDelta> pieces = io.promptline.testkit.TopicReader.readCommitted(stack.bootstrapServers(),
                stack.registryUrl(), io.promptline.topics.Topics.defaults().resultsStream(), io.promptline.avro.ResultDelta.class,
                Integer.MAX_VALUE, java.time.Duration.ofSeconds(2), java.time.Duration.ZERO).stream()
                .filter(d -> d.getRequestId().equals("cli-stream")).toList();
        assertThat(pieces.size()).as("pieces streamed").isGreaterThan(3);
        assertThat(pieces.stream().map(io.promptline.avro.ResultDelta::getContent).reduce("", String::concat))
                .isEqualTo("Simulated answer to: Tell me about the sea");
        Run streamNoWait = promptline("submit", "--tenant", "acme", "--stream", "--no-wait", "x");
        assertThat(streamNoWait.exit()).isNotZero();
        assertThat(streamNoWait.out()).contains("--stream prints the answer as it comes: it cannot go with --no-wait");

        // A tool the model must call, and an image from a local file: the call is printed for the application to run
        java.nio.file.Path png = java.nio.file.Files.createTempFile("photo", ".png");
        java.nio.file.Files.write(png, java.util.Base64.getDecoder().decode("iVBORw0KGgo="));
        Run tool = promptline("submit", "--tenant", "acme", "--model", "gpt-4.1", "--request-id", "cli-tool", "--image", png.toString(),
                "--tool", "lookup_order={\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\"}}}", "--tool-choice", "required",
                "Where is order 42?");
        assertThat(tool.exit()).as(tool.out()).isZero();
        assertThat(tool.out()).containsPattern("tool call call_sim_\\d+: lookup_order\\(\\{\"query\":\"Where is order 42\\?");
        Run badTool = promptline("submit", "--tenant", "acme", "--tool-choice", "lookup_order", "x");
        assertThat(badTool.exit()).isEqualTo(1);
        assertThat(badTool.out()).contains("tool_choice 'lookup_order' needs tools");

        Run refused = promptline("submit", "--tenant", "acme", "--model", "gpt-4.1", "--request-id", "cli-bad", "x [[sim:context_length]]");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.out()).contains("dead-lettered: CONTEXT_LENGTH (HTTP 400)");

        // A request refused once by the provider's content filter, then redriven from the DLQ, is answered
        Run filtered = promptline("submit", "--tenant", "acme", "--model", "gpt-4.1", "--request-id", "cli-redrive", "x [[sim:content_policyx1]]");
        assertThat(filtered.out()).contains("dead-lettered: CONTENT_POLICY");
        Run list = promptline("dlq", "list", "--tenant", "acme");
        assertThat(list.out()).contains("cli-bad", "CONTEXT_LENGTH", "cli-redrive", "CONTENT_POLICY");
        Run show = promptline("dlq", "show", "cli-bad");
        assertThat(show.out()).contains("maximum context length");
        Run redrive = promptline("dlq", "redrive", "--request-id", "cli-redrive");
        assertThat(redrive.out()).contains("Redrove 1 request to their tiers");
        Run result = promptline("results", "--request-id", "cli-redrive", "--from-beginning", "--follow", "--limit", "1", "--no-dead-letters");
        assertThat(result.out()).contains("cli-redrive").contains("Simulated answer to: x [[sim:content_policyx1]]");

        Path file = dir.resolve("prompts.jsonl");
        Files.writeString(file, "{\"prompt\":\"one\"}\n{\"prompt\":\"two\"}\nnot json\n{\"prompt\":\"three\"}\n");
        Run imported = promptline("import", file.toString(), "--tenant", "globex", "--model", "gpt-4.1-mini", "--no-progress");
        assertThat(imported.exit()).isEqualTo(1);
        assertThat(imported.out()).contains("published 3 requests to llm.requests.batch").contains("line 3: not JSON");

        Run costs = null;
        for (int i = 0; i < 30; i++) {
            costs = promptline("costs", "--since", "1h");
            if (costs.out().contains("globex")) break;
            Thread.sleep(2_000);
        }
        assertThat(costs.out()).contains("acme", "gpt-4.1", "globex", "gpt-4.1-mini", "Total USD");

        Run bad = promptline("submit", "--tenant", "acme", "--priority", "soon", "x");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.out()).contains("'soon' is not a priority; use urgent, normal or batch");
    }


}
