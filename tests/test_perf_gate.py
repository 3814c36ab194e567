"""The performance gate's logic: which families a change touches, what counts as slower,
and the worker protocol. (Its timings are checked by running it, not by tests.)"""
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from fastmath import _registry
from fastmath.bench import gate

ROOT = Path(__file__).resolve().parents[1]


def test_touched_families():
    fams = _registry.FAMILIES
    assert gate.touched_families(["README.md", "tests/test_conv2d.py"], fams) == []
    assert gate.touched_families(["src/fastmath/conv/_kernels.py",
                                  "src/fastmath/stats/moments.py",
                                  "src/fastmath/conv/pooling.py"], fams) == ["conv", "stats"]
    assert gate.touched_families(["src/fastmath/_config/threads.py"], fams) == list(fams)
    assert gate.touched_families(["src/fastmath/_validation.py"], fams) == list(fams)
    assert gate.touched_families(["src/fastmath/bench/cli.py"], fams) == []


def test_verdict_flags_a_2x_slowdown_and_not_noise():
    rng = np.random.default_rng(0)
    base = 1e-3 * (1 + 0.1 * rng.random(7))
    slow = gate.Verdict("k", "float64", base, 2.0 * base[::-1])
    assert slow.ratio == pytest.approx(2.0, rel=0.1) and slow.slower(1.5)
    same = gate.Verdict("k", "float64", base, base[::-1])
    assert not same.slower(1.5)
    # one very slow round (a neighbour woke up) is noise, not a regression
    spike = base.copy()
    spike[3] *= 10
    assert not gate.Verdict("k", "float64", base, spike).slower(1.5)


def test_worker_protocol_times_this_tree():
    worker = gate.Worker(ROOT / "src", threads=1)
    try:
        assert worker.ask(op="setup", kernel="softmax", dtype="float64")["ok"]
        assert worker.ask(op="time", number=2)["seconds"] > 0
        assert not worker.ask(op="setup", kernel="no_such_kernel", dtype="float64")["ok"]
    finally:
        worker.close()


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="needs the git checkout")
def test_export_tree(tmp_path):
    src = gate.export_tree("HEAD", tmp_path)
    assert (src / "fastmath" / "__init__.py").is_file()
    assert not (tmp_path / "tests").exists()


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="needs the git checkout")
def test_export_tree_times_this_trees_cases(tmp_path):
    """The base gets this tree's registry: a resized case must not read as a slowdown."""
    mine = tmp_path / "mine" / "_registry"
    mine.mkdir(parents=True)
    (mine / "__init__.py").write_text("MARK = 'this tree'\n")
    (tmp_path / "mine" / "bench").mkdir()
    (tmp_path / "mine" / "bench" / "peers.py").write_text("")
    src = gate.export_tree("HEAD", tmp_path / "base", mine)
    registry = src / "fastmath" / "_registry"
    assert (registry / "__init__.py").read_text() == "MARK = 'this tree'\n"
    assert sorted(p.name for p in registry.iterdir()) == ["__init__.py"]


def test_bad_options_are_refused(capsys):
    with pytest.raises(SystemExit):
        gate.main(["HEAD", "--threshold", "0.9"])
    assert "threshold" in capsys.readouterr().err


def test_nothing_to_gate_when_no_family_changed(capsys, monkeypatch):
    monkeypatch.setattr(gate.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(
        a, 0, stdout="README.md\n"))
    assert gate.main(["HEAD"]) == 0
    assert "nothing to time" in capsys.readouterr().out
