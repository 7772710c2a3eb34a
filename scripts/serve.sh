#!/usr/bin/env bash
# Install, migrate the embedded SQLite database, load demo data and serve GraphiQL on :8000.
# Extra arguments go to `python -m api.cli serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python -m api.cli serve --demo "$@"
