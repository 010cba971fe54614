"""Where the project's data folders live: in a checkout, the top-level `rules/`, `models/`, `reports/` and
`examples/`; in a plain (non-editable) install, the copies the wheel ships as `qa_engine/_data/<folder>`; or where
the environment says.

The design card keeps those folders at the top of the repository, where a QA lead edits them. A wheel cannot install
top-level folders next to the package, so the build (`setup.py`) copies them under the package; everything else finds
them only through this module.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# the wheel's copies of the top-level folders; absent in a checkout (setup.py writes it into the build only)
PACKAGED = "_data"
# the top-level folders a wheel carries (setup.py's DATA_FOLDERS; tests/test_packaging.py checks both agree)
DATA_FOLDERS = ("rules", "models", "reports", "examples")


def data_folder(name: str) -> Path:
    """The data folder `name` (`rules`, `models`, `reports` or `examples`): the installed package's copy when the
    package was installed from a wheel, else the checkout's own folder (so edits there take effect at once).

    A real file-system path, not a zip member: models load from folders, and wheels are always installed unzipped.
    """
    packaged = Path(str(resources.files("qa_engine").joinpath(PACKAGED, name)))
    return packaged if packaged.is_dir() else PROJECT_ROOT / name


def models_dir() -> Path:
    """`models/` (registry and embedded weights); $QA_MODELS_DIR overrides."""
    return Path(os.environ.get("QA_MODELS_DIR") or data_folder("models"))


def rules_dir() -> Path:
    """The default rule pack; $QA_RULES_DIR overrides."""
    return Path(os.environ.get("QA_RULES_DIR") or data_folder("rules") / "default")


def examples_dir() -> Path:
    """The bundled example tickets that `qa demo` scores."""
    return data_folder("examples")


def reports_dir() -> Path:
    """Report templates and static assets."""
    return data_folder("reports")
