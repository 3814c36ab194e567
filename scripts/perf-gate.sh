#!/usr/bin/env bash
# Performance gate: times the kernels of the families changed since BASE (default
# HEAD~1) in BASE and in the working tree, interleaved at one thread, and exits 1
# when one is slower than BASE by more than --threshold (default 1.5x).
#   bash scripts/perf-gate.sh main              # the families your change touched
#   bash scripts/perf-gate.sh main --family conv --threshold 1.3
set -euo pipefail
source "$(dirname "$0")/_venv.sh" test
exec .venv/bin/python -m fastmath.bench.gate "$@"
