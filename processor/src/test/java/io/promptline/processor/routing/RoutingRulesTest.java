package io.promptline.processor.routing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A mistake in the rules file names the file, the rule and the field. */
class RoutingRulesTest {
    @TempDir
    Path dir;

    private Path file(String json) throws Exception {
        Path f = dir.resolve("rules-" + Math.abs(json.hashCode()) + ".json");
        Files.writeString(f, json);
        return f;
    }

    @Test
    void shouldNameTheRuleAndFieldOfEveryMistake() throws Exception {
        assertThatThrownBy(() -> RoutingRules.load(file("{}"))).hasMessageContaining("needs a \"rules\" array");
        assertThatThrownBy(() -> RoutingRules.load(file("{\"rules\": [{\"model\": \"m\"}]}"))).hasMessageContaining("rules[0]: 'name'");
        assertThatThrownBy(() -> RoutingRules.load(file("{\"rules\": [{\"name\": \"a\"}]}"))).hasMessageContaining("rule 'a': 'model'");
        assertThatThrownBy(() -> RoutingRules.load(file("{\"rules\": [{\"name\": \"a\", \"model\": \"m\", \"when\": {\"regex\": \"(\"}}]}")))
                .hasMessageContaining("rule 'a': regex is not a valid Java regular expression");
        assertThatThrownBy(() -> RoutingRules.load(file("{\"rules\": [{\"name\": \"a\", \"model\": \"m\", \"when\": {\"keyword\": [\"x\"]}}]}")))
                .hasMessageContaining("rule 'a': when: unknown field 'keyword'");
        assertThatThrownBy(() -> RoutingRules.load(file("{\"rules\": [{\"name\": \"a\", \"model\": \"m\", \"when\": {\"keywords\": []}}]}")))
                .hasMessageContaining("keywords must be a non-empty array");
        assertThatThrownBy(() -> RoutingRules.load(file(
                "{\"rules\": [{\"name\": \"a\", \"model\": \"m\", \"when\": {\"min_prompt_tokens\": 10, \"max_prompt_tokens\": 5}}]}")))
                .hasMessageContaining("min_prompt_tokens 10 is above max_prompt_tokens 5");
        assertThatThrownBy(() -> RoutingRules.load(file(
                "{\"rules\": [{\"name\": \"a\", \"model\": \"m\"}, {\"name\": \"a\", \"model\": \"n\"}]}"))).hasMessageContaining("used twice");
    }
}
