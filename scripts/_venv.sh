# Sourced by the other scripts: make .venv (once) and install fastmath into it
# with the extras named in $1 (e.g. "test" or "bench").
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$1]"
