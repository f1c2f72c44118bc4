package io.promptline.producer.imports;

import io.promptline.avro.Priority;
import io.promptline.producer.Prompt;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RowMappingTest {
    private static final RowMapping MAPPING = new RowMapping("imp", "acme", Priority.BATCH, "gpt-4.1", null, null, null);

    private static Object map(Object... kv) {
        Map<String, Object> fields = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) fields.put((String) kv[i], kv[i + 1]);
        return MAPPING.map(ImportRow.of(7, fields));
    }

    @Test
    void shouldMapAValidLineToAPromptWithItsImportMetadata() {
        Object mapped = map("prompt", "Classify: late delivery", "max_tokens", 64, "temperature", 0.2);

        assertThat(mapped).isInstanceOf(Prompt.class);
        assertThat(((Prompt) mapped).requestId()).isEqualTo("imp-7");
    }

    @Test
    void shouldRefuseWhatTheProcessorWouldRefuseNamingTheField() {
        assertThat(map("prompt", "x", "temperature", "NaN")).isEqualTo("temperature NaN is outside [0, 2]");
        assertThat(map("prompt", "x", "max_tokens", 1_000_001)).isEqualTo("max_tokens 1000001 is outside [1, 1000000]");
        assertThat(map("prompt", "x", "max_tokens", -5)).isEqualTo("max_tokens -5 is outside [1, 1000000]");
        assertThat(map("prompt", "x", "temperature", 2.5)).isEqualTo("temperature 2.5 is outside [0, 2]");
        assertThat(map("prompt", "x", "id", "i".repeat(300))).isEqualTo("request_id is 300 characters; at most 256 allowed");
    }

    @Test
    void shouldNameAFieldThatIsNotANumber() {
        assertThat(map("prompt", "x", "max_tokens", "many")).isEqualTo("'max_tokens' must be an integer, was 'many'");
        assertThat(map("prompt", "x", "temperature", "warm")).isEqualTo("'temperature' must be a number, was 'warm'");
    }
}
