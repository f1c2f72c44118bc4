package io.promptline.processor.intake;

import io.promptline.avro.ErrorCategory;

/** Why intake refused a record: a category for the DLQ and a message that names the field. */
public record Rejection(ErrorCategory category, String message) {
}
