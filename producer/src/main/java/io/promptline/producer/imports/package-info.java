/**
 * Bulk imports (JSONL, CSV, JDBC): reading sources row by row, mapping a row to a prompt with the
 * contract's rules, and publishing exactly once across interruptions with a checkpoint per import.
 */
package io.promptline.producer.imports;
