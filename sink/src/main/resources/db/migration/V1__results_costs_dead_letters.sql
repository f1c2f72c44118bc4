-- Promptline sink schema, version 1. Every table is written idempotently: replaying the same
-- Kafka records leaves the same rows and the same totals.

CREATE TABLE prompt_results (
    request_id        TEXT PRIMARY KEY,
    tenant            TEXT        NOT NULL,
    priority          TEXT        NOT NULL,
    requested_model   TEXT,
    model             TEXT        NOT NULL,
    provider          TEXT        NOT NULL,
    content           TEXT,
    finish_reason     TEXT,
    prompt_tokens     BIGINT      NOT NULL,
    completion_tokens BIGINT      NOT NULL,
    cached_tokens     BIGINT      NOT NULL,
    reasoning_tokens  BIGINT      NOT NULL,
    attempts          INT         NOT NULL,
    queue_time_ms     BIGINT      NOT NULL,
    call_latency_ms   BIGINT      NOT NULL,
    completed_at      TIMESTAMPTZ NOT NULL,
    fallback_reason   TEXT,
    metadata          JSONB       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX prompt_results_tenant_completed ON prompt_results (tenant, completed_at);

CREATE TABLE cost_events (
    event_id          TEXT PRIMARY KEY,
    request_id        TEXT        NOT NULL,
    tenant            TEXT        NOT NULL,
    priority          TEXT        NOT NULL,
    provider          TEXT        NOT NULL,
    model             TEXT        NOT NULL,
    prompt_tokens     BIGINT      NOT NULL,
    cached_tokens     BIGINT      NOT NULL,
    completion_tokens BIGINT      NOT NULL,
    reasoning_tokens  BIGINT      NOT NULL,
    cost_micros       BIGINT      NOT NULL,
    currency          CHAR(3)     NOT NULL,
    price_version     TEXT        NOT NULL,
    occurred_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX cost_events_tenant_time ON cost_events (tenant, occurred_at);
CREATE INDEX cost_events_request ON cost_events (request_id);

-- A dead letter is identified by where it sits in the DLQ topic, so the same record consumed
-- twice is one row, while a request that fails again after a redrive is a second row.
CREATE TABLE dead_letters (
    dlq_topic         TEXT        NOT NULL,
    dlq_partition     INT         NOT NULL,
    dlq_offset        BIGINT      NOT NULL,
    request_id        TEXT,
    tenant            TEXT,
    category          TEXT        NOT NULL,
    http_status       INT,
    message           TEXT        NOT NULL,
    attempts          INT         NOT NULL,
    first_attempt_at  TIMESTAMPTZ,
    last_attempt_at   TIMESTAMPTZ,
    origin_topic      TEXT        NOT NULL,
    origin_partition  INT         NOT NULL,
    origin_offset     BIGINT      NOT NULL,
    failed_at         TIMESTAMPTZ NOT NULL,
    request_avro      BYTEA,
    raw_value         BYTEA,
    PRIMARY KEY (dlq_topic, dlq_partition, dlq_offset)
);
CREATE INDEX dead_letters_request ON dead_letters (request_id);
CREATE INDEX dead_letters_category ON dead_letters (category, failed_at);

-- Records on the sink's input topics that could not be decoded: kept, not dropped.
CREATE TABLE sink_rejects (
    topic      TEXT        NOT NULL,
    partition  INT         NOT NULL,
    "offset"   BIGINT      NOT NULL,
    reason     TEXT        NOT NULL,
    raw_value  BYTEA,
    seen_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition, "offset")
);
