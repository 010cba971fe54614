#!/usr/bin/env bash
# PostgreSQL for the store's tests and for trying a team set-up on one machine: Debian's `postgresql` package (15),
# its `main` cluster listening on 127.0.0.1:5432, a login role `qa_test` that may create databases, and a fresh,
# empty database. Prints that database's URL on stdout (and nothing else); the tests make a database of their own
# per test session from it (QA_TEST_PG_URL). Safe to run again: it installs, creates and starts only what is missing.
# Needs root (or sudo) the first time, to install the package and start the cluster.
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
ROLE=qa_test
PASSWORD=${QA_TEST_PG_PASSWORD:-qa-test-only}   # a local test cluster on 127.0.0.1; not for real data

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "postgres.sh: installing Debian's postgresql package" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
fi
VERSION=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VERSION main"; then
  $SUDO pg_createcluster "$VERSION" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $4}' | grep -qx online; then
  $SUDO pg_ctlcluster "$VERSION" main start >&2
fi
PORT=$(pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $3}')

as_postgres() { $SUDO runuser -u postgres -- "$@"; }
for _ in $(seq 1 60); do  # the cluster accepts connections a moment after it starts
  as_postgres psql -p "$PORT" -Atqc "SELECT 1" >/dev/null 2>&1 && break
  sleep 0.5
done
as_postgres psql -p "$PORT" -v ON_ERROR_STOP=1 -Atq >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD';
  ELSE
    ALTER ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD';
  END IF;
END \$\$;
SQL
DB="qa_test_$(date +%s)_$$"
as_postgres psql -p "$PORT" -v ON_ERROR_STOP=1 -Atqc "CREATE DATABASE $DB OWNER $ROLE" >&2
echo "postgresql://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
