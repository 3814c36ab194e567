"""scripts/asv-history.py draws asv's recorded results as one PNG per family."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "asv-history.py"
COLUMNS = ["result", "params", "version", "started_at", "duration", "stats_ci_99_a",
           "stats_ci_99_b", "stats_q_25", "stats_q_75", "stats_number", "stats_repeat"]


def _result(commit, seconds):
    row = [[seconds, seconds * 2], [["'float32'", "'float64'"]], "v", 0, 1.0, [None, None],
           [None, None], [seconds * 0.9, seconds * 1.8], [seconds * 1.1, seconds * 2.2],
           [1, 1], [5, 5]]
    return {"commit_hash": commit, "result_columns": COLUMNS, "version": 2,
            "results": {"benchmarks.softmax.time_call": row,
                        "benchmarks.conv2d.time_call": row,
                        "benchmarks.softmax.peakmem_call": row}}


def test_one_png_per_family(tmp_path):
    machine = tmp_path / "results" / "box"
    machine.mkdir(parents=True)
    (machine / "machine.json").write_text("{}")
    for i, commit in enumerate(("a" * 40, "b" * 40, "c" * 40)):
        (machine / f"{commit[:8]}-env.json").write_text(json.dumps(_result(commit, 1e-3 * (i + 1))))
    out = tmp_path / "png"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--results", str(tmp_path / "results"),
                           "--out", str(out)], capture_output=True, text=True, check=True)
    assert sorted(p.name for p in out.iterdir()) == ["conv.png", "linalg.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in out.iterdir())
    assert "linalg.png" in proc.stdout


def test_no_results_is_a_clear_error(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--results", str(tmp_path / "none")],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "no asv results" in proc.stderr
