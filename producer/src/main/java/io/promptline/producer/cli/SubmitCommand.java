package io.promptline.producer.cli;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.Priority;
import io.promptline.avro.PromptResult;
import io.promptline.avro.ResultDelta;
import io.promptline.producer.Outcome;
import io.promptline.producer.Prompt;
import io.promptline.producer.PromptlineProducer;
import io.promptline.serde.AvroDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "submit", description = "Publish one prompt and print its result, or its dead letter.", sortOptions = false)
final class SubmitCommand implements Callable<Integer> {
    @Mixin
    Connection connection;
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "TEXT", description = "The user message (words are joined with spaces).")
    List<String> text;
    @Option(names = {"-t", "--tenant"}, required = true, description = "Tenant: the rate-limit and billing key.")
    String tenant;
    @Option(names = {"-p", "--priority"}, defaultValue = "NORMAL", description = "urgent, normal or batch (default ${DEFAULT-VALUE}).",
            converter = Converters.PriorityConverter.class)
    Priority priority;
    @Option(names = {"-m", "--model"}, description = "Model to call; without it the task type, else the default model, decides.")
    String model;
    @Option(names = "--task-type", description = "Routing hint such as code, quick, complex, analysis.")
    String taskType;
    @Option(names = {"-s", "--system"}, description = "A system message before the user message.")
    String system;
    @Option(names = "--max-tokens", description = "Largest completion.")
    Integer maxTokens;
    @Option(names = "--temperature", description = "Sampling temperature, 0 to 2.")
    Double temperature;
    @Option(names = "--request-id", description = "Idempotency key (default: a random UUID); publishing the same id again is not called twice.")
    String requestId;
    @Option(names = "--ttl", description = "Deadline after publication, e.g. 30s or 5m; past it the request is dead-lettered.",
            converter = Converters.DurationConverter.class)
    Duration ttl;
    @Option(names = "--meta", paramLabel = "KEY=VALUE", description = "Metadata echoed on the result (repeatable).")
    Map<String, String> metadata = Map.of();
    @Option(names = "--timeout", defaultValue = "120s", converter = Converters.DurationConverter.class,
            description = "How long to wait for the outcome (default ${DEFAULT-VALUE}).")
    Duration timeout;
    @Option(names = "--image", paramLabel = "URL", description = "An image for the model to see: an https:// URL or a local file "
            + "(sent as a base64 data URI).")
    String image;
    @Option(names = "--tool", paramLabel = "NAME=JSON_SCHEMA", description = "A function the model may call, with the JSON Schema of its "
            + "arguments (repeatable), e.g. lookup_order='{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}}}'.")
    Map<String, String> tools = new java.util.LinkedHashMap<>();
    @Option(names = "--tool-choice", description = "auto, none, required, or the name of the tool the model must call.")
    String toolChoice;
    @Option(names = "--json-schema", paramLabel = "FILE", description = "Structured output: the answer must match this JSON Schema "
            + "(every provider API; on Anthropic's without --tool).")
    java.nio.file.Path jsonSchema;
    @Option(names = "--stream", description = "Print the answer as it arrives (from llm.results.stream), then the result's summary.")
    boolean stream;

    @Option(names = "--no-wait", description = "Print the request_id once published, without waiting for the outcome.")
    boolean noWait;
    @Option(names = "--json", description = "Print the outcome as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Prompt.Builder b = Prompt.builder(tenant).priority(priority).model(model).taskType(taskType);
        if (requestId != null) b.requestId(requestId);
        if (system != null) b.system(system);
        if (image == null) b.user(String.join(" ", text));
        else b.userWithImage(String.join(" ", text), imageUrl(image));
        tools.forEach((name, schema) -> b.tool(name, null, schema));
        if (toolChoice != null) b.toolChoice(toolChoice);
        if (jsonSchema != null) b.jsonSchema(baseName(jsonSchema), java.nio.file.Files.readString(jsonSchema));
        if (maxTokens != null) b.maxTokens(maxTokens);
        if (temperature != null) b.temperature(temperature);
        if (ttl != null) b.timeToLive(ttl);
        metadata.forEach(b::metadata);
        if (stream && noWait) throw new IllegalArgumentException("--stream prints the answer as it comes: it cannot go with --no-wait");
        if (stream && json) throw new IllegalArgumentException("--stream prints text as it comes: it cannot go with --json");
        b.stream(stream);
        Prompt prompt = b.build();
        PrintWriter out = spec.commandLine().getOut();
        try (PromptlineProducer producer = connection.producer()) {
            if (noWait) {
                out.println(producer.submit(prompt).get());
                return 0;
            }
            Outcome outcome;
            boolean streamed = false;
            if (stream) {
                try (StreamPrinter printer = new StreamPrinter(connection.kafka(), connection.topics().resultsStream(),
                        new AvroDeserializer<>(connection.registry(), ResultDelta.class), prompt.requestId(), out)) {
                    outcome = producer.submitAndAwait(prompt, timeout).get();
                    if (outcome instanceof Outcome.Answered) printer.awaitEnd(Duration.ofSeconds(5));
                    streamed = printer.printed();
                }
            } else {
                outcome = producer.submitAndAwait(prompt, timeout).get();
            }
            if (outcome instanceof Outcome.Answered a) {
                print(out, a.result(), streamed);
                return 0;
            }
            print(out, ((Outcome.DeadLettered) outcome).deadLetter());
            return 1;
        }
    }

    /** An https:// URL as is; a local file as a base64 data URI of its media type. */
    private static String imageUrl(String image) throws java.io.IOException {
        if (image.startsWith("https://") || image.startsWith("http://") || image.startsWith("data:")) return image;
        java.nio.file.Path file = java.nio.file.Path.of(image);
        if (!java.nio.file.Files.isRegularFile(file)) throw new IllegalArgumentException("--image " + image + " is neither a URL nor a file");
        String type = java.nio.file.Files.probeContentType(file);
        if (type == null || !type.startsWith("image/")) {
            String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
            type = name.endsWith(".png") ? "image/png" : name.endsWith(".gif") ? "image/gif" : name.endsWith(".webp") ? "image/webp" : "image/jpeg";
        }
        return "data:" + type + ";base64," + java.util.Base64.getEncoder().encodeToString(java.nio.file.Files.readAllBytes(file));
    }

    private static String baseName(java.nio.file.Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return (dot > 0 ? name.substring(0, dot) : name).replaceAll("[^A-Za-z0-9_-]", "_");
    }

    /** The result; without its content when the stream printed it already. */
    private void print(PrintWriter out, PromptResult r, boolean contentPrinted) {
        if (json) {
            out.println(r);
            return;
        }
        if (r.getRefusal() != null) out.printf("refused: %s%n", r.getRefusal());
        for (var call : r.getToolCalls()) out.printf("tool call %s: %s(%s)%n", call.getId(), call.getName(), call.getArguments());
        out.printf("%s%n%n-- %s answered by %s (%s) in %d ms after %d ms queued, %d attempt%s; %d prompt (%d cached) + %d completion tokens%s%n",
                r.getContent() == null || contentPrinted ? "" : r.getContent(), r.getRequestId(), r.getModel(), r.getProvider(), r.getCallLatencyMs(), r.getQueueTimeMs(), r.getAttempts(),
                r.getAttempts() == 1 ? "" : "s", r.getUsage().getPromptTokens(), r.getUsage().getCachedTokens(),
                r.getUsage().getCompletionTokens(), r.getFallbackReason() == null ? "" : "; fallback: " + r.getFallbackReason());
    }

    private void print(PrintWriter out, DeadLetter d) {
        if (json) {
            out.println(d);
            return;
        }
        out.printf("dead-lettered: %s%s after %d attempt%s: %s%n", d.getCategory(),
                d.getHttpStatus() == null ? "" : " (HTTP " + d.getHttpStatus() + ")", d.getAttempts(), d.getAttempts() == 1 ? "" : "s",
                d.getMessage());
    }
}
