#!/usr/bin/env bash
# Prepare a fresh checkout: .venv at the repository root with the locked dependencies.
# Idempotent and quick when nothing changed. Used by `make run`, `make test` and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
UV_VERSION="0.13.9"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "bootstrap: Python >= 3.11 is required (found: $("$PYTHON" --version 2>&1))" >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    echo "bootstrap: creating .venv" >&2
    "$PYTHON" -m venv .venv
fi
# uv itself is pinned in the lock file (dev group); install that version first so `uv sync`
# keeps it and the environment stays exact.
if ! .venv/bin/uv --version 2>/dev/null | grep -q "uv $UV_VERSION"; then
    echo "bootstrap: installing uv $UV_VERSION into .venv" >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
export UV_PROJECT_ENVIRONMENT="$PWD/.venv"
# Compile bytecode at install: with PYTHONDONTWRITEBYTECODE set (as on CI) every process
# would otherwise recompile ccxt and friends from source (seconds per start).
.venv/bin/uv sync --frozen --quiet --compile-bytecode "$@"
