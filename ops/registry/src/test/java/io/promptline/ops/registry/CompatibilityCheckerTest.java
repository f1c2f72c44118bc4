package io.promptline.ops.registry;

import static io.promptline.ops.registry.Schemas.USER_V1;
import static io.promptline.ops.registry.Schemas.USER_WITHOUT_DEFAULT;
import static io.promptline.ops.registry.Schemas.USER_WITH_DEFAULT;
import static org.assertj.core.api.Assertions.assertThat;

import io.promptline.ops.registry.CompatibilityChecker.Previous;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompatibilityCheckerTest {
    private final CompatibilityChecker checker = new CompatibilityChecker();

    @Test
    void compatibleChangeHasNoMessages() {
        assertThat(checker.check(ParsedSchema.parse(USER_WITH_DEFAULT),
                List.of(new Previous(1, ParsedSchema.parse(USER_V1))), CompatibilityLevel.FULL)).isEmpty();
    }

    @Test
    void incompatibilityIsDescribedLikeConfluent() {
        List<String> messages = checker.check(ParsedSchema.parse(USER_WITHOUT_DEFAULT),
                List.of(new Previous(3, ParsedSchema.parse(USER_V1))), CompatibilityLevel.BACKWARD);
        assertThat(messages).containsExactly(
                "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'email' at path"
                        + " '/fields/1' in the new schema has no default value and is missing in the old"
                        + " schema', additionalInfo:'email'}",
                "{oldSchemaVersion: 3}",
                "{oldSchema: '" + ParsedSchema.parse(USER_V1).canonical() + "'}",
                "{compatibility: 'BACKWARD'}");
    }

    @Test
    void noneAndEmptyHistoryAreAlwaysCompatible() {
        ParsedSchema anything = ParsedSchema.parse("\"string\"");
        assertThat(checker.check(anything, List.of(new Previous(1, ParsedSchema.parse(USER_V1))),
                CompatibilityLevel.NONE)).isEmpty();
        assertThat(checker.check(anything, List.of(), CompatibilityLevel.FULL_TRANSITIVE)).isEmpty();
    }

    @Test
    void nonTransitiveChecksOnlyTheLatest() {
        List<Previous> history = List.of(new Previous(1, ParsedSchema.parse("\"int\"")),
                new Previous(2, ParsedSchema.parse("\"string\"")));
        ParsedSchema candidate = ParsedSchema.parse("\"string\"");
        assertThat(checker.check(candidate, history, CompatibilityLevel.FORWARD)).isEmpty();
        assertThat(checker.check(candidate, history, CompatibilityLevel.FORWARD_TRANSITIVE))
                .contains("{oldSchemaVersion: 1}").doesNotContain("{oldSchemaVersion: 2}");
    }

    @Test
    void canonicalFormKeepsDefaultsButIgnoresWhitespace() {
        ParsedSchema a = ParsedSchema.parse(USER_WITH_DEFAULT);
        ParsedSchema b = ParsedSchema.parse(USER_WITH_DEFAULT.replace(",", ",\n "));
        ParsedSchema otherDefault = ParsedSchema.parse(USER_WITH_DEFAULT.replace("\"default\":0",
                "\"default\":1"));
        assertThat(a.canonical()).isEqualTo(b.canonical());
        assertThat(otherDefault.canonical()).isNotEqualTo(a.canonical());
    }
}
