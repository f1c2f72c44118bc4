-- Issue 12: how each call is billed, and what in the record is an estimate.
ALTER TABLE prompt_results
    ADD COLUMN cache_write_tokens BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN usage_estimated    BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN calls_unconfirmed  INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN billing_mode       TEXT    NOT NULL DEFAULT 'SYNC',
    ADD COLUMN batch_id           TEXT;

ALTER TABLE cost_events
    ADD COLUMN cache_write_tokens   BIGINT  NOT NULL DEFAULT 0,
    ADD COLUMN billing_mode         TEXT    NOT NULL DEFAULT 'SYNC',
    ADD COLUMN usage_estimated      BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN unpriced             BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN unconfirmed          BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN price_effective_from TIMESTAMPTZ,
    ADD COLUMN batch_id             TEXT;

ALTER TABLE cost_rollups_hourly
    ADD COLUMN cache_write_tokens    BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN unpriced_calls        BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN estimated_cost_micros BIGINT NOT NULL DEFAULT 0;
