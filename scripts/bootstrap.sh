#!/usr/bin/env bash
# Shared setup: a virtualenv in .venv with exactly the versions in uv.lock (project editable, dev
# and bench extras included), and GraphiQL's assets. uv itself comes from PyPI, pinned here.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
UV_VERSION=0.13.9
# Never fetch a Python build: the machine's python3 (3.11+) is the interpreter.
export UV_PYTHON_DOWNLOADS=never
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if [ "$(.venv/bin/uv --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  .venv/bin/python -m pip install -q "uv==$UV_VERSION"
fi
stamp=.venv/.installed-$(cat uv.lock pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  # --frozen: install what the lock says, never re-resolve; --inexact: keep uv (and pip) in the venv;
  # --compile-bytecode as pip does, so the first start of each process does not compile every import.
  .venv/bin/uv sync --frozen --inexact --compile-bytecode --extra dev --extra bench --python .venv/bin/python
  rm -f .venv/.installed-*
  touch "$stamp"
fi
bash scripts/graphiql_assets.sh
bash scripts/dashboard_assets.sh
