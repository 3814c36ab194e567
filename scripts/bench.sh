#!/usr/bin/env bash
# Run the benchmark comparison: creates .venv, installs fastmath with its bench
# extra (peers included), then runs `fastmath bench`. With no arguments it runs
# the quick cases; pass e.g. `--size full --family linalg` for the full-size ones.
set -euo pipefail
source "$(dirname "$0")/_venv.sh" bench
if [ $# -eq 0 ]; then set -- --quick; fi
exec .venv/bin/fastmath bench "$@"
