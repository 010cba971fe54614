#!/usr/bin/env bash
# Run the whole check suite offline: lint, format check, then every test (slow ones included).
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
status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
fi
if [ "$#" = 0 ] && [ "$status" = 0 ]; then
  # the review-app suite again, every store a PostgreSQL database (tests/pgsupport.py, docs/postgres.md); the
  # browser suite and the tests marked http_only (HTTP, browser and command-line behaviour, no store query of
  # their own) run in the DuckDB pass only: about 5 min instead of 6 on two shared cores
  QA_TEST_BACKEND=postgres .venv/bin/python -m pytest tests/web --deselect tests/web/test_browser.py -m "not http_only" \
    || status=$?
fi
exit "$status"
