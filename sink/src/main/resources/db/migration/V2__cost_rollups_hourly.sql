-- Spend and tokens per tenant x model x currency x hour, from the roll-up topic llm.costs.hourly.
-- Each record carries the running total of its hour; a replayed (older) total never overwrites a
-- newer one, so consuming the topic twice leaves the same rows.

CREATE TABLE cost_rollups_hourly (
    tenant            TEXT        NOT NULL,
    model             TEXT        NOT NULL,
    currency          CHAR(3)     NOT NULL,
    window_start      TIMESTAMPTZ NOT NULL,
    window_end        TIMESTAMPTZ NOT NULL,
    calls             BIGINT      NOT NULL,
    prompt_tokens     BIGINT      NOT NULL,
    cached_tokens     BIGINT      NOT NULL,
    completion_tokens BIGINT      NOT NULL,
    reasoning_tokens  BIGINT      NOT NULL,
    cost_micros       BIGINT      NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, model, currency, window_start)
);
CREATE INDEX cost_rollups_hourly_window ON cost_rollups_hourly (window_start);
