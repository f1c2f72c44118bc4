/**
 * Results, cost events, dead letters and roll-ups written to PostgreSQL idempotently (upserts on their
 * ids), so replays and redeliveries never double a row or a cent; records PostgreSQL refuses go to a
 * rejects table.
 */
package io.promptline.sink.postgres;
