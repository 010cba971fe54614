#!/usr/bin/env bash
# Run the check suite offline: lint, format check, then the tests, spread over the machine's cores (pytest-xdist).
#   ./scripts/test.sh            everything: every test on DuckDB stores, then the review-app suite on PostgreSQL (CI)
#   ./scripts/test.sh fast       the development lane: every test not marked slow (no model-heavy runs, no browser)
#   ./scripts/test.sh ARGS...    pytest ARGS in one process (e.g. tests/store -x); add -n auto to spread them too
# QA_TEST_WORKERS sets the number of worker processes for the first two (default: auto, one per core).
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=${CI:-true} DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false GX_ANALYTICS_ENABLED=false
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MPLBACKEND=Agg
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=120
PREFECT_HOME=$(mktemp -d)
export PREFECT_HOME

# PostgreSQL for the store tests (tests/store/conftest.py): Debian's server, started, with a fresh database.
if [ -z "${QA_TEST_PG_URL:-}" ]; then
  QA_TEST_PG_URL=$(./scripts/postgres.sh)
fi
export QA_TEST_PG_URL

.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Test files go whole to one worker (--dist loadfile): a module's shared fixtures are built once, as in one process.
# Every test already works in its own temporary folder, PostgreSQL database and free port (docs/testing.md).
parallel=(-n "${QA_TEST_WORKERS:-auto}" --dist loadfile --no-loadscope-reorder)
lane=all
case "${1:-}" in
  "") set -- "${parallel[@]}" ;;
  fast) lane=fast; shift; set -- "${parallel[@]}" -m "not slow" "$@" ;;
  *) lane=args ;;
esac
if [ "$lane" != args ]; then
  # One BLAS, OpenMP and torch thread per worker: two workers with two threads each oversubscribe two cores
  # (measured, main pass: 16:08 -> 14:22, user CPU 1,618 -> 1,338 s; docs/testing.md)
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
  export MKL_NUM_THREADS=${MKL_NUM_THREADS:-1} QA_TORCH_THREADS=${QA_TORCH_THREADS:-1}
fi
status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
fi
if [ "$lane" = all ] && [ "$status" = 0 ]; then
  # the review-app suite again, every store a PostgreSQL database (tests/pgsupport.py, docs/postgres.md); the
  # browser suite and the tests marked http_only (HTTP, browser and command-line behaviour, no store query of
  # their own) run in the DuckDB pass only: about 5 min instead of 6 on two shared cores
  QA_TEST_BACKEND=postgres .venv/bin/python -m pytest "${parallel[@]}" tests/review --deselect tests/review/test_browser.py \
    -m "not http_only" || status=$?
fi
exit "$status"
