"""The worked examples run end to end (small sizes) and write their figures."""
import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
pytest.importorskip("matplotlib")


def _run(name, argv, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.setattr(sys, "argv", [name, *argv])
    return runpy.run_path(str(EXAMPLES / name), run_name="example")["main"](argv)


def test_fraud_detection(tmp_path, monkeypatch, capsys):
    png = tmp_path / "fraud.png"
    rows = _run("fraud_detection.py", ["--small", "--out", str(png)], monkeypatch)
    assert png.read_bytes()[:4] == b"\x89PNG"
    out = capsys.readouterr().out
    assert "ROC-AUC" in out and "Mahalanobis" in out
    by_name = {r[0]: r for r in rows}
    assert by_name["SGD logistic regression"][2] > 0.95  # ROC-AUC of the supervised model
    assert by_name["Mahalanobis"][2] > 0.9


def test_recommender(tmp_path, monkeypatch, capsys):
    png = tmp_path / "loss.png"
    rows = _run("recommender.py", ["--small", "--out", str(png)], monkeypatch)
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "top 10 items" in capsys.readouterr().out
    by_name = {r[0]: r for r in rows}
    assert by_name["ALS (implicit, CG)"][1] > by_name["most popular"][1]  # precision@10


def test_recommender_reads_movielens(tmp_path, monkeypatch, capsys):
    import numpy as np

    rng = np.random.default_rng(0)
    lines = {(int(u), int(i)): int(r) for u, i, r in zip(rng.integers(1, 60, 1500),
                                                         rng.integers(1, 80, 1500),
                                                         rng.integers(1, 6, 1500))}
    data = tmp_path / "u.data"
    data.write_text("".join(f"{u}\t{i}\t{r}\t0\n" for (u, i), r in lines.items()))
    _run("recommender.py", ["--small", "--movielens", str(data), "--out",
                            str(tmp_path / "l.png")], monkeypatch)
    assert "MovieLens file" in capsys.readouterr().out


def test_digits_cnn_reaches_97_percent(tmp_path, monkeypatch):
    png = tmp_path / "digits.png"
    history = _run("digits_cnn.py", ["--out", str(png)], monkeypatch)
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert history[-1][2] >= 0.97  # test accuracy after the full run
    assert history[-1][1] < history[0][1]  # training loss went down


def test_missing_matplotlib_is_reported_before_any_work(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    with pytest.raises(SystemExit, match=r"fastmath\[examples\]"):
        _run("digits_cnn.py", ["--small"], monkeypatch)
    assert capsys.readouterr().out == ""  # nothing trained, nothing printed


def test_figure_can_be_skipped(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    _run("digits_cnn.py", ["--small", "--epochs", "1", "--out", ""], monkeypatch)
    assert "test accuracy" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.timeout(600)
def test_examples_run_on_dask(tmp_path, monkeypatch, capsys):
    pytest.importorskip("distributed")
    rows = _run("fraud_detection.py", ["--small", "--dask", "--out", ""], monkeypatch)
    by_name = {r[0]: r for r in rows}
    assert by_name["SGD logistic regression (Dask, 5 passes)"][2] > 0.95
    assert by_name["Mahalanobis"][2] > 0.9
    rows = _run("recommender.py", ["--small", "--dask", "--out", ""], monkeypatch)
    by_name = {r[0]: r for r in rows}
    assert by_name["ALS (implicit, CG)"][1] > by_name["most popular"][1]
