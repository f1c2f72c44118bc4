/**
 * Dead-letter triage, run through Promptline itself: each new pattern of dead letter (its category,
 * HTTP status and message with numbers and ids taken out) is sent once, as an urgent request of its
 * own tenant, to a small model that answers severity, likely root cause and a suggested action as
 * structured output; the answer, read back from the PostgreSQL sink's tables, goes to the
 * {@code dead_letter_triage} table and the alert webhook. Off by default.
 */
package io.promptline.sink.triage;
