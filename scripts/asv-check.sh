#!/usr/bin/env bash
# Run every asv benchmark once in the dev environment (as CI does), so that a
# broken benchmark fails loudly.
set -euo pipefail
source "$(dirname "$0")/_venv.sh" test
.venv/bin/python -m pip install -q --disable-pip-version-check "asv>=0.6"
.venv/bin/asv machine --yes >/dev/null
log=$(mktemp)
.venv/bin/asv run --python=same --quick --show-stderr --set-commit-hash "$(git rev-parse HEAD)" >"$log" 2>&1 || { cat "$log"; exit 1; }
if grep -v "asv: skipped" "$log" | grep -qE "failed|Traceback|Error"; then
    cat "$log"
    echo "asv: a benchmark failed" >&2
    exit 1
fi
echo "asv: $(grep -c ' ok$' "$log") benchmarks ran"
