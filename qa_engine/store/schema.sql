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

-- Key issues (qa_engine.reasons): contact reason and escalation risk per ticket. Added with ALTER so that a store
-- created before them keeps working: its old tickets read null here until they are re-scored.
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS contact_reason VARCHAR;          -- presales, order, ..., other
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS contact_reason_score DOUBLE;     -- 0-1
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS contact_sub_reason VARCHAR;      -- <reason>.<sub>, e.g. logistics.lost
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS contact_reasons_other VARCHAR[]; -- other reasons the customer raised
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS contact_reason_evidence VARCHAR; -- JSON list {turn_index, start, end, text, note}
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS escalation_risk DOUBLE;          -- 0-1
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS escalation_signals VARCHAR[];    -- signal ids, strongest first
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS escalation_evidence VARCHAR;     -- JSON list {signal, weight, turn_index, start, end, text, note}
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS customer_resolved BOOLEAN;       -- resolution wording in the customer's closing turns
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS order_refs VARCHAR[];            -- normalised order numbers (repeat contacts)
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS dissatisfaction_risk DOUBLE;     -- 0-1, null: nothing of the customer's to judge
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS dissatisfaction_evidence VARCHAR; -- JSON list {turn_index, start, end, text, note}
CREATE INDEX IF NOT EXISTS tickets_customer ON tickets (customer_id, started_at);

-- What text search (`q` in the review queue) reads: the turn with its e-mail addresses and phone numbers masked as
-- they are shown, so a search never matches a masked value (nor probes one digit by digit). Written with every
-- turn; rows of an older store get it when the store is opened for writing (Store.init).
ALTER TABLE turns ADD COLUMN IF NOT EXISTS search_text VARCHAR;

-- When qa-engine first stored the ticket, kept across re-scores. Real transcripts often carry no time stamp at all
-- (no created_at, no ts): such a ticket starts when it was received, so it still falls into a period's reports and
-- KPIs (its first-contact resolution is not judged: that needs a real start). Stores from before it take the time
-- their tickets were scored.
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS received_at TIMESTAMPTZ;

-- Whether the helpdesk escalated the ticket (CONTRACT section 1, optional input; feeds escalated_rate in `qa kpi`).
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS escalated BOOLEAN;
-- Whether a rule of the pack that scored it names the ticket's language (language_coverage in `qa kpi`); null for
-- tickets scored before it.
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS language_covered BOOLEAN;
-- A failed rule's suggestion: what the agent could have written instead, after which turn (qa_engine.rules.suggestions);
-- null for passed and na rules, and for results scored before it.
ALTER TABLE rule_results ADD COLUMN IF NOT EXISTS suggestion VARCHAR;

-- Review app (`qa serve`): people and their decisions. Human verdicts live here, keyed by ticket_id, so a re-score
-- (which replaces rows of tickets, turns and rule_results) never removes or changes them.
CREATE TABLE IF NOT EXISTS users (
    username VARCHAR PRIMARY KEY,
    password_hash VARCHAR NOT NULL,       -- argon2id, PHC string
    role VARCHAR NOT NULL,                -- qa_lead / coach / agent
    agent_id VARCHAR,                     -- an agent sees tickets.agent_id = this
    team VARCHAR,                         -- a coach sees tickets.team = this
    created_at TIMESTAMPTZ NOT NULL
);
-- A disabled user cannot sign in and has no live session (qa_engine.review.admin); stores from before it: all enabled.
ALTER TABLE users ADD COLUMN IF NOT EXISTS disabled BOOLEAN DEFAULT false;

CREATE TABLE IF NOT EXISTS sessions (
    token_hash VARCHAR PRIMARY KEY,       -- sha256 of the cookie's token: a copy of the store opens no session
    username VARCHAR NOT NULL,
    csrf_token VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS reviews (
    review_id VARCHAR PRIMARY KEY,
    ticket_id VARCHAR NOT NULL,
    version BIGINT NOT NULL,              -- 1, 2, ... per ticket: optimistic versioning
    reviewer VARCHAR NOT NULL,
    tier VARCHAR NOT NULL,                -- the reviewer's tier
    rule_overrides VARCHAR NOT NULL,      -- JSON {rule_id: outcome}, as the reviewer sent it
    rule_outcomes VARCHAR NOT NULL,       -- JSON {rule_id: outcome}: the machine's outcomes then, with the overrides
    machine_tier VARCHAR,                 -- the machine's verdict when the review was made
    machine_outcomes VARCHAR,             -- JSON {rule_id: outcome}
    comment VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    agent_id VARCHAR,                     -- the ticket's agent when reviewed: a re-imported id's new agent never sees it
    content_hash VARCHAR,                 -- the ticket's content_hash when reviewed ('' when it had none; null: older store)
    UNIQUE (ticket_id, version)
);
ALTER TABLE reviews ADD COLUMN IF NOT EXISTS agent_id VARCHAR;  -- stores from before it (qa_engine.review.binding)
ALTER TABLE reviews ADD COLUMN IF NOT EXISTS content_hash VARCHAR;

CREATE TABLE IF NOT EXISTS disputes (
    dispute_id VARCHAR PRIMARY KEY,
    ticket_id VARCHAR NOT NULL,
    review_id VARCHAR NOT NULL,           -- the review disputed (the latest when the dispute was filed)
    review_version BIGINT NOT NULL,
    username VARCHAR NOT NULL,
    comment VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    status VARCHAR NOT NULL,              -- open / accepted / rejected
    resolved_by VARCHAR,
    resolution_comment VARCHAR,
    resolved_at TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS audit_log (
    logged_at TIMESTAMPTZ NOT NULL,
    username VARCHAR,                     -- null: no session
    method VARCHAR,
    path VARCHAR,
    status BIGINT,
    code VARCHAR,                         -- the error code (Q6xx)
    reason VARCHAR,
    client VARCHAR
);
-- How many refusals the row stands for (qa_engine.review.audit): 1, or a count of like ones in one interval.
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS n BIGINT DEFAULT 1;

CREATE INDEX IF NOT EXISTS reviews_ticket ON reviews (ticket_id);
CREATE INDEX IF NOT EXISTS disputes_ticket ON disputes (ticket_id);

-- Service KPIs and the coaching loop (qa_engine.kpi). Kept apart from the scored tables, so a re-score never touches
-- a coaching session or a snapshot.
CREATE TABLE IF NOT EXISTS coaching_sessions (
    session_id VARCHAR PRIMARY KEY,       -- derived from agent, date and focus: recording the same session twice updates it
                                          -- (its note is the latest; every note stays in coaching_notes)
    agent_id VARCHAR NOT NULL,
    session_date DATE NOT NULL,
    focus_rules VARCHAR[] NOT NULL,       -- rule ids the session worked on
    note VARCHAR,
    coach VARCHAR,                        -- who recorded it (the review app's user), null from the CLI
    created_at TIMESTAMPTZ NOT NULL,
    practice BOOLEAN DEFAULT false        -- the coach assigned practice: reports list the agent's failing excerpts
);
ALTER TABLE coaching_sessions ADD COLUMN IF NOT EXISTS practice BOOLEAN DEFAULT false;  -- stores from before it

-- every note recorded for a session, never updated or deleted: a second note for the same session adds a row
CREATE TABLE IF NOT EXISTS coaching_notes (
    session_id VARCHAR NOT NULL,
    note VARCHAR NOT NULL,
    coach VARCHAR,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS kpi_snapshots (
    day DATE NOT NULL,                    -- the window's last day (UTC)
    window_days BIGINT NOT NULL,          -- the tickets that started in the window_days days ending on `day`
    group_by VARCHAR NOT NULL,            -- all / team / channel / agent
    group_key VARCHAR,                    -- the team, channel or agent; null for `all` (or a ticket without one)
    kpi VARCHAR NOT NULL,
    value DOUBLE,                         -- null: nothing to measure
    tickets BIGINT NOT NULL,              -- tickets in the group and window
    computed_at TIMESTAMPTZ NOT NULL
);

-- Affect results per distinct text (qa_engine.affect.cache): a text seen before with the same models is not scored
-- again, in this run or a later one. Kept apart from the scored tables: a re-score reads it, never deletes it.
CREATE TABLE IF NOT EXISTS affect_cache (
    text_key VARCHAR NOT NULL,            -- sha256 of language + normalised text (32 hex)
    model_key VARCHAR NOT NULL,           -- the models, weights and phatic list that produced the row
    sentiment FLOAT[3],                   -- negative, neutral, positive probabilities
    emotion FLOAT[7],                     -- anger, disgust, fear, joy, sadness, surprise, neutral probabilities
    flag VARCHAR,                         -- the model pass's flag (long_text_sampled, phatic_reply) or null
    pooled BLOB,                          -- the pooled encoder vector, float32 bytes (the reasons stage reads it)
    created_at TIMESTAMPTZ,
    PRIMARY KEY (text_key, model_key)
);

-- Login throttling (review app): failed logins of the last window, per username and per client address. Rows older
-- than the window are deleted on the next failure; a denied (throttled) attempt is not a failure and adds no row.
CREATE TABLE IF NOT EXISTS login_failures (
    failed_at TIMESTAMPTZ NOT NULL,
    username VARCHAR,                     -- as typed, case-folded (a capital letter is no new username to guess)
    client VARCHAR                        -- the client address as the server saw it (null when unknown)
);
-- An attempt is on record before its password is checked, and removed by this id when it matches (review/throttle.py).
ALTER TABLE login_failures ADD COLUMN IF NOT EXISTS attempt_id VARCHAR;

-- Addresses that signed in successfully as a user: a guesser elsewhere cannot lock the user out of them.
CREATE TABLE IF NOT EXISTS login_known_clients (
    username VARCHAR NOT NULL,            -- case-folded, like login_failures.username
    client VARCHAR NOT NULL,
    last_login_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (username, client)
);
