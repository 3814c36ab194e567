"""Hostile input across the public API: every case refused cleanly, by name, or answered
as the peer answers; run in child processes so that a crash fails its case.

``FASTMATH_HOSTILE_BOUNDSCHECK=1`` runs the children with ``NUMBA_BOUNDSCHECK=1``
(and a private compile cache, so bounds-checked code never enters the shared one).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import hostile_cases  # noqa: E402

NAMES = list(hostile_cases.build())


def _child_env(tmp):
    env = dict(os.environ, FASTMATH_COMPILE_NOTICE="0")
    if os.environ.get("FASTMATH_HOSTILE_BOUNDSCHECK") == "1":
        env.update(NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(tmp))
    return env


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Every case's outcome; after a crash, the child restarts after the crashed case."""
    tmp = tmp_path_factory.mktemp("hostile-cache")
    results, todo = {}, list(NAMES)
    while todo:
        proc = subprocess.run([sys.executable, str(HERE / "hostile_cases.py"), *todo],
                              capture_output=True, text=True, env=_child_env(tmp), timeout=1800)
        started = None
        for line in proc.stdout.splitlines():
            record = json.loads(line)
            if "start" in record:
                started = record["start"]
            else:
                results[record.pop("case")] = record
                started = None
        if started is not None:  # the child died inside this case
            results[started] = {"outcome": "crash",
                                "detail": f"exit {proc.returncode}: {proc.stderr[-500:]}"}
        elif proc.returncode != 0 and not results:
            pytest.fail(f"the hostile-case child failed to start: {proc.stderr[-2000:]}")
        todo = [n for n in NAMES if n not in results]
    return results


@pytest.mark.parametrize("name", NAMES)
def test_hostile_case(outcomes, name):
    result = outcomes[name]
    assert result["outcome"] == "ok", f"{name}: {result['outcome']}: {result.get('detail')}"
