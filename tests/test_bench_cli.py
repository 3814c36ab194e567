import json
import os
import subprocess
import sys

import pytest

from fastmath import _registry
from fastmath.__main__ import main as fastmath_main
from fastmath.bench import cli, views
from fastmath.bench.timing import Case, quartiles, run_case


def test_run_case_rows_medians_and_spread(monkeypatch):
    from fastmath.bench import timing

    monkeypatch.setattr(timing, "BLOCK_S", 0.0)  # one call per block
    calls = {"ours": 0, "peer": 0}

    def ours():
        calls["ours"] += 1

    def peer():
        calls["peer"] += 1

    case = Case("linalg", "k", "c", "float64", ours, {"peer": peer}, target=2.0,
                target_peer="peer", skipped={"torch": "torch not installed"})
    rows = run_case(case, budget_s=0.0, min_repeat=3, max_repeat=3)
    assert [r["peer"] for r in rows] == ["peer", "torch"]
    assert rows[0]["speedup"] == pytest.approx(rows[0]["peer_s"] / rows[0]["ours_s"])
    assert rows[0]["target"] == 2.0 and rows[1]["skipped"] == "torch not installed"
    assert rows[0]["ours_iqr"] >= 0 and rows[0]["peer_iqr"] >= 0
    # first call, the per-call estimate, then 3 rounds of one-call blocks
    assert calls == {"ours": 1 + 1 + 3, "peer": 1 + 1 + 3}


def test_every_block_starts_after_the_same_idle_gap(monkeypatch):
    from fastmath.bench import timing

    monkeypatch.setattr(timing, "BLOCK_S", 0.0)
    events = []
    monkeypatch.setattr(timing.time, "sleep", lambda s: events.append(("sleep", s)))
    case = Case("linalg", "k", "c", "float64", lambda: events.append("ours"),
                {"peer": lambda: events.append("peer")})
    run_case(case, budget_s=0.0, min_repeat=3, max_repeat=3)
    timed = events[4:]  # after the first calls and the per-call estimates
    assert timed[0::2] == [("sleep", timing.GAP_S)] * 6
    assert sorted(timed[1::2]) == ["ours"] * 3 + ["peer"] * 3


def test_quartiles():
    assert quartiles([4.0, 1.0, 3.0, 2.0, 5.0]) == (3.0, 2.0, 4.0)
    assert quartiles([7.0]) == (7.0, 7.0, 7.0)


def test_blocks_amortise_short_calls(monkeypatch):
    from fastmath.bench import timing

    monkeypatch.setattr(timing, "BLOCK_S", 1.0)
    calls = []
    case = Case("linalg", "k", "c", "float64", lambda: calls.append(1))
    run_case(case, budget_s=0.0, min_repeat=2, max_repeat=2)
    assert len(calls) == 1 + 1 + 2 * 100  # blocks are capped at 100 calls


def test_noisy_rows_are_flagged(monkeypatch):
    from fastmath.bench import timing

    monkeypatch.setattr(timing, "BLOCK_S", 0.0)
    durations = iter([0.0] * 2 + [0.001, 0.002, 0.004, 0.008, 0.016] * 4)

    def jittery():
        import time

        time.sleep(next(durations, 0.0))

    rows = run_case(Case("linalg", "k", "c", "float64", jittery), budget_s=0.0, min_repeat=5,
                    max_repeat=5)
    assert rows[0]["noisy"] is True
    assert "noisy" in cli.format_table(rows)


def test_cli_quick_json_names_the_machine(tmp_path, capsys):
    out = tmp_path / "rows.json"
    assert fastmath_main(["bench", "--quick", "--kernel", "logsumexp", "--json", str(out),
                          "--budget", "0.01", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "| linalg | logsumexp |" in text and "speedup" in text and "CPU:" in text
    report = json.loads(out.read_text())
    assert report["machine"]["cpu"] and "numpy" in report["machine"]["versions"]
    rows = report["rows"]
    assert {r["dtype"] for r in rows} == {"float32", "float64"}
    assert all(r["speedup"] > 0 and r["peer"] == "scipy" for r in rows)


def test_cli_plot(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "speedups.png"
    cli.main(["--quick", "--kernel", "logsumexp", "--plot", str(png), "--budget", "0.01",
              "--no-progress"])
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_cli_plot_without_matplotlib_fails_first(monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib":
            raise ImportError("no matplotlib")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(SystemExit):
        cli.main(["--kernel", "softmax", "--plot", "x.png"])
    assert "fastmath[examples]" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--family", "nope"], "invalid choice: 'nope'"),
    (["--kernel", "nope"], "unknown kernel 'nope'"),
    (["--kernel", "ConstantLR"], "none of the selected kernels has a default benchmark"),
    (["--sweep", "--kernel", "gram"], "none of the selected kernels has a sweep benchmark"),
])
def test_cli_rejects_bad_selections(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_unknown_kernel_lists_valid_ones(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--kernel", "foo"])
    err = capsys.readouterr().err
    assert "unknown kernel 'foo'" in err and "softmax" in err and "conv2d" in err


def test_contended_view(monkeypatch, capsys):
    monkeypatch.setattr(views, "measure",
                        lambda fns, **kw: {name: [1.0, 1.1, 1.2] for name in fns})
    assert cli.main(["--contended", "--quick", "--kernel", "logsumexp", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "contended, 1 thread" in out and "| logsumexp |" in out and "1.00x" in out


def test_competitor_runs_only_inside_the_block():
    with views.competitor() as proc:
        assert proc.poll() is None
    assert proc.poll() is not None


def test_sweep_view(capsys):
    assert cli.main(["--sweep", "--kernel", "softmax", "--sweep-max", "16", "--budget", "0.01",
                     "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "softmax (float32)" in out and "per-call overhead at n=1" in out
    assert "| 16 |" in out


def test_sweep_sizes():
    assert views.sweep_sizes(64) == [1, 4, 16, 64]


def test_every_family_has_a_benchmark():
    for family in _registry.FAMILIES:
        if family == "datasets":
            continue
        assert any(k.cases or k.sweep for k in _registry.select(families=[family])), family


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


def test_surprise_peer_leaves_no_data_folder_in_home(tmp_path):
    pytest.importorskip("surprise")
    code = ("from fastmath.bench.peers import surprise_peer\n"
            "module, why = surprise_peer()\n"
            "assert module is not None, why\n")
    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("SURPRISE_DATA_FOLDER", None)
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert list(tmp_path.iterdir()) == []


def test_distributed_family_runs_on_its_own(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--family", "distributed", "--family", "linalg"])
    assert "runs on its own" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["--family", "distributed", "--sweep"])


def test_distributed_tables_show_every_row():
    from fastmath.bench import distributed as dbench

    rows = [{"measure": "overhead", "cluster": "c", "problem": "p", "blocks": "2x2",
             "iteration_s": 0.3, "iteration_iqr": 0.01, "setup_s": 1.0,
             "in_memory_iteration_s": 0.2, "in_memory_iqr": 0.01, "ratio": 1.5},
            {"measure": "scaling", "problem": "p", "workers": 4, "blocks": "8x8",
             "iteration_s": 1.0, "iteration_iqr": 0.1, "setup_s": 2.0,
             "factor_rows_shuffled": 1000, "factor_bytes_per_iteration": 256_000,
             "bytes_moved_whole_fit": 3_000_000}]
    text = dbench.format_rows(rows)
    assert "| c | p | 2x2 | 0.300 s ± 0.010 | 1.00 s | 0.200 s ± 0.010 | 1.50x" in text
    assert "| p | 4 | 8x8 | 1.000 s ± 0.100 | 2.00 s | 1,000 | 0.3 | 3.0 |" in text


def test_threads_option_holds_the_peers_blas_pools(monkeypatch, capsys):
    from threadpoolctl import threadpool_info

    def blas_counts():
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    before = blas_counts()
    seen = []

    def fake_run_case(case, budget_s):
        seen.append(blas_counts())
        return []

    monkeypatch.setattr(cli, "run_case", fake_run_case)
    import fastmath
    old = fastmath.get_num_threads()
    try:
        assert cli.main(["--quick", "--kernel", "logsumexp", "--threads", "1",
                         "--no-progress"]) == 0
    finally:
        fastmath.set_num_threads(old)
    assert seen and all(counts and set(counts) == {1} for counts in seen)
    assert blas_counts() == before


@pytest.mark.parametrize("preset, numpy_first, expected", [
    (None, False, ["24", "100000"]),     # the bench's settings
    ("20", False, ["20", "20"]),         # the user's own are kept
    (None, True, ["None", "None"]),      # too late once NumPy (and its OpenBLAS) is loaded
])
def test_bench_shortens_idle_spin_before_numpy_loads(preset, numpy_first, expected):
    names = ["OPENBLAS_THREAD_TIMEOUT", "GOMP_SPINCOUNT"]
    env = {k: v for k, v in os.environ.items() if k not in names}
    if preset is not None:
        env.update(dict.fromkeys(names, preset))
    code = ("import os, sys\n"
            + ("import numpy\n" if numpy_first else "")
            + "from fastmath.bench import quiet_idle_workers\n"
              "quiet_idle_workers()\n"
              f"print(*[os.environ.get(name) for name in {names!r}])\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    assert out == expected


def test_bench_header_names_the_idle_spin_limits(capsys, monkeypatch):
    monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", "24")
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    assert cli.main(["--quick", "--kernel", "softmax", "--no-progress", "--budget", "0.05"]) == 0
    assert "idle spin: OpenBLAS 2**24 cycles, libgomp default." in capsys.readouterr().out
