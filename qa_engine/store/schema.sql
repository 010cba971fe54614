-- qa-engine store schema. Idempotent: every statement can run on an existing store.
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status VARCHAR NOT NULL,              -- running / finished / failed
    inputs VARCHAR,                       -- JSON list of input paths
    rule_pack_version VARCHAR,
    model_versions VARCHAR,               -- JSON {task: model}
    n_read BIGINT DEFAULT 0,
    n_scored BIGINT DEFAULT 0,
    n_unchanged BIGINT DEFAULT 0,
    n_quarantined BIGINT DEFAULT 0,
    summary VARCHAR                       -- JSON: quarantine by reason, timings per stage
);

CREATE TABLE IF NOT EXISTS tickets (
    ticket_id VARCHAR PRIMARY KEY,
    agent_id VARCHAR,
    team VARCHAR,
    customer_id VARCHAR,
    channel VARCHAR,
    language VARCHAR,
    language_detected BOOLEAN,
    created_at TIMESTAMPTZ,
    started_at TIMESTAMPTZ,               -- created_at, else the first turn's ts (CONTRACT section 5)
    csat BIGINT,
    metadata VARCHAR,
    source VARCHAR,
    location VARCHAR,
    content_hash VARCHAR,
    tier VARCHAR,
    qa_score DOUBLE,
    tier_reasons VARCHAR[],
    tier_evidence VARCHAR,                -- JSON list
    customer_sentiment_start DOUBLE,
    customer_sentiment_end DOUBLE,
    emotional_balance DOUBLE,
    n_turns BIGINT,
    rule_pack_version VARCHAR,
    model_versions VARCHAR,
    run_id VARCHAR,
    scored_at TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS turns (
    ticket_id VARCHAR NOT NULL,
    turn_index BIGINT NOT NULL,
    speaker VARCHAR,
    text VARCHAR,
    ts TIMESTAMPTZ,
    agent_id VARCHAR,
    sentiment VARCHAR,
    sentiment_score FLOAT,
    emotion VARCHAR,
    emotion_scores STRUCT(anger FLOAT, disgust FLOAT, fear FLOAT, joy FLOAT, sadness FLOAT, surprise FLOAT, neutral FLOAT),
    affect_flag VARCHAR,
    PRIMARY KEY (ticket_id, turn_index)
);

CREATE TABLE IF NOT EXISTS rule_results (
    ticket_id VARCHAR NOT NULL,
    rule_id VARCHAR NOT NULL,
    outcome VARCHAR,
    critical BOOLEAN,
    category VARCHAR,
    weight DOUBLE,
    evidence STRUCT(turn_index BIGINT, "start" BIGINT, "end" BIGINT, text VARCHAR, note VARCHAR),
    detail VARCHAR,
    PRIMARY KEY (ticket_id, rule_id)
);

CREATE TABLE IF NOT EXISTS quarantine (
    run_id VARCHAR,
    source VARCHAR,
    location VARCHAR,
    reason VARCHAR,
    detail VARCHAR,
    record VARCHAR,
    ticket_id VARCHAR,
    quarantined_at TIMESTAMPTZ
);

CREATE INDEX IF NOT EXISTS tickets_tier_created ON tickets (tier, created_at);
CREATE INDEX IF NOT EXISTS tickets_agent ON tickets (agent_id);
