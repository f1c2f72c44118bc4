-- Issue 15: what a model answered besides text.
ALTER TABLE prompt_results
    ADD COLUMN tool_calls JSONB NOT NULL DEFAULT '[]'::jsonb,
    ADD COLUMN refusal    TEXT;
