package io.promptline.schemas;

import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The build check for schema evolution: every schema of every released version must still be
 * readable by the current generated classes (BACKWARD against each release, i.e. transitively: a
 * record written by any released producer stays readable). To release a new schema version, copy
 * src/main/avro to src/released/&lt;version&gt;.
 */
class SchemaCompatibilityTest {
    private static final Path RELEASED_ROOT = Path.of("src", "released");

    @Test
    void currentSchemasAreBackwardCompatibleWithEveryRelease() throws Exception {
        List<Path> releases = ReleasedSchemas.releaseDirs(RELEASED_ROOT);
        assertThat(releases).extracting(p -> p.getFileName().toString()).contains("0.1.0", "0.2.0");
        for (Path release : releases) {
            Map<String, Schema> released = ReleasedSchemas.load(release);
            assertThat(released).as("released schemas in %s", release).containsKeys(
                    "io.promptline.avro.PromptRequest", "io.promptline.avro.PromptResult", "io.promptline.avro.CostEvent",
                    "io.promptline.avro.DeadLetter", "io.promptline.avro.Quota");

            List<String> problems = new ArrayList<>();
            for (Schema old : released.values()) {
                Class<?> type = SpecificData.get().getClass(old);
                assertThat(type).as("generated class for released type %s (types may not be removed)", old.getFullName()).isNotNull();
                problems.addAll(ReleasedSchemas.backwardIncompatibilities(SpecificData.get().getSchema(type), old));
            }
            assertThat(problems).as("BACKWARD incompatibilities against release %s", release.getFileName()).isEmpty();
        }
    }

    @Test
    void theLatestReleaseIsTheCurrentContract() throws Exception {
        // Released files are frozen copies; a schema changed after release needs a new version directory.
        Path latest = ReleasedSchemas.latestReleaseDir(RELEASED_ROOT);
        Map<String, Schema> released = ReleasedSchemas.load(latest);
        Map<String, Schema> current = ReleasedSchemas.load(Path.of("src", "main", "avro"));
        assertThat(released.keySet()).as("types of release %s", latest.getFileName()).isEqualTo(current.keySet());
    }

    @Test
    void shouldDetectARequiredFieldAddedWithoutDefault() throws Exception {
        Map<String, Schema> released = ReleasedSchemas.load(ReleasedSchemas.latestReleaseDir(RELEASED_ROOT));
        Schema old = released.get("io.promptline.avro.PromptRequest");
        String changed = old.toString().replace("{\"name\":\"tenant\"",
                "{\"name\":\"region\",\"type\":\"string\"},{\"name\":\"tenant\"");
        Schema broken = new Schema.Parser().parse(changed);

        assertThat(ReleasedSchemas.backwardIncompatibilities(broken, old))
                .singleElement().asString().contains("READER_FIELD_MISSING_DEFAULT").contains("region");
    }

    @Test
    void shouldAcceptAnOptionalFieldWithDefault() throws Exception {
        Map<String, Schema> released = ReleasedSchemas.load(ReleasedSchemas.latestReleaseDir(RELEASED_ROOT));
        Schema old = released.get("io.promptline.avro.PromptResult");
        String changed = old.toString().replace("{\"name\":\"tenant\"",
                "{\"name\":\"region\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"tenant\"");

        assertThat(ReleasedSchemas.backwardIncompatibilities(new Schema.Parser().parse(changed), old)).isEmpty();
    }

    @Test
    void releasedFilesAreTheOnlyOnesPerVersion() throws Exception {
        for (Path release : ReleasedSchemas.releaseDirs(RELEASED_ROOT)) {
            try (var files = Files.list(release)) {
                assertThat(files.map(p -> p.getFileName().toString()))
                        .as("every file of release %s is parsed by the check", release.getFileName()).allMatch(ReleasedSchemas.FILES::contains);
            }
        }
    }
}
