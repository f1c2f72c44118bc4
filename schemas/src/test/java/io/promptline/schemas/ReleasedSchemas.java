package io.promptline.schemas;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Loads the schemas of each released version (src/released/&lt;version&gt;) and compares them with current ones. */
final class ReleasedSchemas {
    /** Parse order: named types before the records that use them. */
    static final List<String> FILES = List.of("Priority.avsc", "ErrorCategory.avsc", "ContentPart.avsc", "ToolCall.avsc",
            "ToolDefinition.avsc", "ChatMessage.avsc", "BillingMode.avsc",
            "TokenUsage.avsc", "PromptRequest.avsc", "PromptResult.avsc", "CostEvent.avsc", "DeadLetter.avsc", "Quota.avsc",
            "CostRollup.avsc", "SpendTotal.avsc", "BatchJobStatus.avsc", "BatchCommand.avsc");

    private ReleasedSchemas() {
    }

    static Path latestReleaseDir(Path releasedRoot) throws IOException {
        List<Path> all = releaseDirs(releasedRoot);
        return all.get(all.size() - 1);
    }

    /** Every released version, oldest first. */
    static List<Path> releaseDirs(Path releasedRoot) throws IOException {
        try (Stream<Path> dirs = Files.list(releasedRoot)) {
            List<Path> out = dirs.filter(Files::isDirectory)
                    .sorted(Comparator.comparing(p -> versionKey(p.getFileName().toString()))).toList();
            if (out.isEmpty()) throw new IllegalStateException("no released schema version under " + releasedRoot);
            return out;
        }
    }

    private static String versionKey(String v) {
        StringBuilder sb = new StringBuilder();
        for (String part : v.split("\\.")) sb.append(String.format("%08d", Integer.parseInt(part)));
        return sb.toString();
    }

    /** Full name → schema, for every file of the release that exists. */
    static Map<String, Schema> load(Path dir) throws IOException {
        Schema.Parser parser = new Schema.Parser();
        Map<String, Schema> out = new LinkedHashMap<>();
        for (String f : FILES) {
            Path p = dir.resolve(f);
            if (!Files.exists(p)) continue;
            Schema s = parser.parse(Files.readString(p));
            out.put(s.getFullName(), s);
        }
        return out;
    }

    /** BACKWARD: data written with {@code released} can be read with {@code current}. Empty list = compatible. */
    static List<String> backwardIncompatibilities(Schema current, Schema released) {
        SchemaCompatibility.SchemaPairCompatibility pair =
                SchemaCompatibility.checkReaderWriterCompatibility(current, released);
        List<String> problems = new ArrayList<>();
        if (pair.getType() != SchemaCompatibilityType.COMPATIBLE) {
            pair.getResult().getIncompatibilities().forEach(i -> problems.add(
                    current.getFullName() + ": " + i.getType() + " at " + i.getLocation() + ": " + i.getMessage()));
        }
        return problems;
    }
}
