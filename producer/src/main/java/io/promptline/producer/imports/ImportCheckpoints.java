package io.promptline.producer.imports;

import io.promptline.topics.CommittedReader;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Where each import got to: the last line committed, per import id, in the compacted
 * {@code <base>.imports} topic (an internal topic of the CLI; values are the line number as
 * text). It is written in the same transaction as the lines it covers, so it is never ahead of
 * them nor behind them.
 */
public final class ImportCheckpoints {
    private ImportCheckpoints() {
    }

    /** The last line committed for {@code importId}, or 0 when it never ran. */
    public static long lastLine(Map<String, Object> kafka, String topic, String importId) {
        long[] last = {0};
        byte[] key = importId.getBytes(StandardCharsets.UTF_8);
        CommittedReader.readToEnd(kafka, List.of(topic), "it keeps import checkpoints (create it compacted, as ops/topics.sh does)", r -> {
            if (Arrays.equals(key, r.key())) {
                last[0] = r.value() == null ? 0 : Long.parseLong(new String(r.value(), StandardCharsets.UTF_8));
            }
        });
        return last[0];
    }
}
