#!/usr/bin/env bash
# Install everything the suite needs (Python deps, GraphiQL's assets, redis-server, PostgreSQL,
# chromium) and run it.
# The suite itself starts PostgreSQL and redis-server on throwaway loopback ports and data
# directories, and stops them afterwards. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# Headless Chromium proves GraphiQL renders with no network beyond the app (tests/api/test_graphiql_browser.py).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# PgBouncer in transaction mode in front of PostgreSQL (tests/integration/test_pgbouncer.py).
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing ${missing[*]} from Debian packages" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The lock must match pyproject.toml: a dependency added there without `uv lock` fails here.
UV_PYTHON_DOWNLOADS=never .venv/bin/uv lock --check --python .venv/bin/python
.venv/bin/ruff check .
.venv/bin/python -m api.cli export-schema --check
.venv/bin/python -m mypy

set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests; that is a failure here" >&2
  exit 1
fi
exit "$status"
