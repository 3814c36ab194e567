import json

import pytest

from fastmath.__main__ import main as fastmath_main
from fastmath.bench import cli
from fastmath.bench.timing import Case, run_case


def test_run_case_rows_and_medians(monkeypatch):
    from fastmath.bench import timing

    monkeypatch.setattr(timing, "BLOCK_S", 0.0)  # one call per block
    calls = {"ours": 0, "peer": 0}

    def ours():
        calls["ours"] += 1

    def peer():
        calls["peer"] += 1

    case = Case("matrix", "k", "c", "float64", ours, {"peer": peer}, target=2.0, target_peer="peer",
                skipped={"torch": "torch not installed"})
    rows = run_case(case, budget_s=0.0, min_repeat=3, max_repeat=3)
    assert [r["peer"] for r in rows] == ["peer", "torch"]
    assert rows[0]["speedup"] == pytest.approx(rows[0]["peer_s"] / rows[0]["ours_s"])
    assert rows[0]["target"] == 2.0 and rows[1]["skipped"] == "torch not installed"
    # first call, the per-call estimate, then 3 rounds of one-call blocks
    assert calls == {"ours": 1 + 1 + 3, "peer": 1 + 1 + 3}


def test_blocks_amortise_short_calls(monkeypatch):
    from fastmath.bench import timing

    monkeypatch.setattr(timing, "BLOCK_S", 1.0)
    calls = []
    case = Case("matrix", "k", "c", "float64", lambda: calls.append(1))
    run_case(case, budget_s=0.0, min_repeat=2, max_repeat=2)
    assert len(calls) == 1 + 1 + 2 * 100  # blocks are capped at 100 calls


def test_cli_quick_json(tmp_path, capsys):
    out = tmp_path / "rows.json"
    assert fastmath_main(["bench", "--quick", "--kernel", "logsumexp", "--json", str(out),
                          "--budget", "0.01", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "| matrix | logsumexp |" in text and "speedup" in text
    rows = json.loads(out.read_text())
    assert {r["dtype"] for r in rows} == {"float32", "float64"}
    assert all(r["speedup"] > 0 and r["peer"] == "scipy" for r in rows)


def test_cli_plot(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "speedups.png"
    cli.main(["--quick", "--kernel", "logsumexp", "--plot", str(png), "--budget", "0.01", "--no-progress"])
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_cli_rejects_unknown_family():
    with pytest.raises(SystemExit):
        cli.main(["--family", "nope"])


def test_warmup_command_reports_every_kernel(capsys):
    assert fastmath_main(["warmup"]) == 0
    out = capsys.readouterr().out
    assert "softmax[float32]" in out and "spmm[int64][float64]" in out
    assert out.strip().splitlines()[-1].startswith("total:")


def test_unknown_command_exits():
    with pytest.raises(SystemExit):
        fastmath_main(["train"])


def test_quickstart_example_runs(capsys):
    import runpy
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "examples" / "quickstart.py"
    runpy.run_path(str(example), run_name="__main__")
    out = capsys.readouterr().out
    assert out.count("speedup") == 4


def test_every_family_lists_the_kernels_it_benchmarks():
    import importlib

    for family, module in cli.FAMILIES.items():
        mod = importlib.import_module(module)
        assert mod.FAMILY == family and len(mod.KERNELS) >= 1
