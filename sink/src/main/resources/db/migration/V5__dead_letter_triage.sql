-- Issue 15: dead-letter triage. One row per pattern of dead letter (category, HTTP status and the
-- message with numbers and ids replaced), asked of a model once, through Promptline itself (the
-- request triage_request_id on the urgent tier of the triage tenant: its result, cost event and any
-- dead letter are in the tables above, like any tenant's).
CREATE TABLE dead_letter_triage (
    pattern            TEXT PRIMARY KEY,
    category           TEXT        NOT NULL,
    http_status        INT,
    message_pattern    TEXT        NOT NULL,
    example            TEXT        NOT NULL,   -- the first dead letter's message
    example_request_id TEXT,
    occurrences        BIGINT      NOT NULL,   -- dead letters of the pattern seen (at least once each)
    first_seen         TIMESTAMPTZ NOT NULL,
    last_seen          TIMESTAMPTZ NOT NULL,
    triage_request_id  TEXT        NOT NULL,
    status             TEXT        NOT NULL,   -- pending, triaged, unreadable (answer not the schema), failed (dead-lettered)
    severity           TEXT,                   -- critical, high, medium, low
    root_cause         TEXT,
    suggested_action   TEXT,
    triage_model       TEXT,
    detail             TEXT,                   -- why unreadable or failed, with the answer or the dead letter's message
    triaged_at         TIMESTAMPTZ
);
CREATE INDEX dead_letter_triage_pending ON dead_letter_triage (status) WHERE status = 'pending';
