#!/usr/bin/env bash
# Run the whole test suite: creates .venv (Python 3.11+), installs fastmath with
# its test extra, then runs pytest. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/_venv.sh" test
exec .venv/bin/python -m pytest "$@"
