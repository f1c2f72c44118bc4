package io.promptline.producer.imports;

import java.util.Map;

/**
 * One record of an import source: its line (or row) number, 1-based, and its fields by name, or
 * why it could not be read.
 */
public record ImportRow(long line, Map<String, Object> fields, String error) {
    public static ImportRow of(long line, Map<String, Object> fields) {
        return new ImportRow(line, fields, null);
    }

    public static ImportRow bad(long line, String error) {
        return new ImportRow(line, Map.of(), error);
    }
}
