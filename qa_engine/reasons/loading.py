"""Read the key-issue data files (taxonomy, escalation signals) so that a bad value fails with file, line and field.

Both files are YAML edited by QA leads; like rule packs, they are parsed with their node tree (which knows each
value's line), validated with pydantic models, and a problem becomes one coded line (Q701 taxonomy, Q702 signals).
The YAML helpers are the rule loader's, so both kinds of file report lines the same way.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from qa_engine.errors import QAError
from qa_engine.rules.loader import _clean_loc, _dotted, _line, _parse

Model = TypeVar("Model", bound=BaseModel)


def load_model(file: Path, model: type[Model], code: str, what: str) -> tuple[Model, str]:
    """(the file's top-level mapping validated as `model`, the file's sha256 prefix).

    `code` is the error code for a bad file (its message names file, line and field); a missing file is Q703.
    """
    if not file.is_file():
        raise QAError("Q703", what=what, path=file)
    raw = file.read_bytes()
    try:
        data, node = _parse(file, raw)
    except QAError as exc:  # the rule loader's YAML error (Q105), re-coded for this file kind
        raise QAError(
            code, file=file, line=exc.fields.get("line", 1), field="-", detail=exc.fields["detail"]
        ) from None
    if not isinstance(data, dict):
        raise QAError(
            code, file=file, line=1, field="-", detail="the file needs a YAML mapping at its top level"
        )
    try:
        value = model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = _clean_loc(error["loc"])
        raise QAError(
            code, file=file, line=_line(node, loc), field=_dotted(loc) or "-", detail=error["msg"]
        ) from None
    return value, hashlib.sha256(raw).hexdigest()[:12]
