"""Does the whole `qa reasons fit` search still choose the committed classifier? (tests/reasons/test_fit.py refits
with the committed settings only; this runs the search too: about 4 minutes on two cores.)

    .venv/bin/python bench/reasons_fit.py

Prints the time, the settings the search chose and whether the weights and version are the committed ones; exits 1
when the search chose other settings or, on the very vectors the committed fit saw, other weights.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    from qa_engine.reasons.classifier import ReasonModel
    from qa_engine.reasons.fit import Settings

    committed = ReasonModel.load()
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "qa_engine", "reasons", "fit", "--out", folder], check=True)
        seconds = time.perf_counter() - start
        fitted = ReasonModel.load(Path(folder))
    chosen, wanted = Settings.of(fitted), Settings.of(committed)
    same_vectors = fitted.meta["vectors_sha"] == committed.meta["vectors_sha"]
    print(f"search and fit: {seconds:.0f} s")
    print(f"chosen:    {chosen} (cv {fitted.meta['cv']['reason_macro_f1']})")
    print(f"committed: {wanted} (cv {committed.meta['cv']['reason_macro_f1']})")
    print(
        f"same vectors as the committed fit: {same_vectors}; version {fitted.version} vs {committed.version}"
    )
    if chosen != wanted or (same_vectors and fitted.version != committed.version):
        print("the search does not reproduce the committed classifier: run `qa reasons fit` and commit it")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
