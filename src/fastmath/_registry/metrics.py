"""Registry rows of the metrics (``fastmath.metrics``) and the data helpers (``fastmath.datasets``)."""
from __future__ import annotations

import numpy as np

from ._types import Case, Kernel

METRICS, DATASETS = "metrics", "datasets"
CURVES = ("roc_auc_score", "average_precision_score", "roc_curve", "precision_recall_curve")
RANKING = ("ranking_metrics_at_k", "precision_at_k", "recall_at_k", "ndcg_at_k", "map_at_k",
           "mean_average_precision_at_k", "auc_at_k", "AUC_at_k")


def _metrics():
    from fastmath import metrics

    return metrics


def _labels_scores(dtype, n=20):
    rng = np.random.default_rng(0)
    return np.arange(n) % 2, rng.standard_normal(n).astype(dtype)


def _curve_example(name):
    def example(dtype):
        y, s = _labels_scores(dtype)
        return getattr(_metrics(), name)(y, s)
    return example


def _classification_example(name):
    def example(dtype):
        y, s = _labels_scores(dtype)
        if name == "log_loss":
            return _metrics().log_loss(y, 1.0 / (1.0 + np.exp(-s)))
        return getattr(_metrics(), name)(y, (s > 0).astype(int))
    return example


def _recommender(dtype):
    import scipy.sparse as sp

    from fastmath.recommend import ALS

    data = sp.csr_matrix(np.array([[1, 0, 2], [0, 1, 1], [1, 1, 0]], dtype))
    return ALS(factors=2, iterations=1, dtype=dtype, implicit=False,
               show_progress=False).fit(data), data


def _ranking_example(name):
    def example(dtype):
        model, data = _recommender(dtype)
        return getattr(_metrics(), name)(model, data, data, K=2)
    return example


def _rating_example(name):
    def example(dtype):
        model, data = _recommender(dtype)
        return getattr(_metrics(), name)(model, data)
    return example


def _curve_cases(name):
    def cases(size, rng):
        from sklearn import metrics as skm

        n = {"quick": 1_000_000, "asv": 2_000_000, "full": 10_000_000}[size]
        y = rng.random(n) < 0.1
        s = rng.random(n) + 0.5 * y
        ours, theirs = getattr(_metrics(), name), getattr(skm, name)
        yield Case(METRICS, name, f"{n:,} scores", "float64", lambda: ours(y, s),
                   {"sklearn": lambda: theirs(y, s)}, 3.0, "sklearn")
    return cases


def _curve_sweep(name):
    def sweep(n, dtype, rng):
        from sklearn import metrics as skm

        n = max(2, n)
        y = np.arange(n) % 2
        s = rng.random(n).astype(dtype)
        ours, theirs = getattr(_metrics(), name), getattr(skm, name)
        return (lambda: ours(y, s)), {"sklearn": lambda: theirs(y, s)}
    return sweep


def _dataset_example(name):
    def example(dtype):
        from fastmath import datasets

        if name == "make_implicit_interactions":
            return datasets.make_implicit_interactions(20, 10, 50, random_state=0)
        if name == "make_explicit_ratings":
            return datasets.make_explicit_ratings(20, 10, 50, random_state=0)
        if name == "train_test_split_interactions":
            X = datasets.make_implicit_interactions(20, 10, 50, random_state=0)
            return datasets.train_test_split_interactions(X, 0.2, random_state=0)
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "u.data"
            path.write_text("1\t10\t4\t0\n2\t10\t3\t0\n2\t20\t5\t0\n")
            return datasets.load_movielens(path)
    return example


KERNELS = [
    *[Kernel(name, METRICS, _curve_example(name),
             _curve_cases(name) if name in ("roc_auc_score", "average_precision_score") else None,
             _curve_sweep(name) if name == "roc_auc_score" else None, ("sklearn",))
      for name in CURVES],
    *[Kernel(name, METRICS, _classification_example(name), peers=("sklearn",), compiled=False)
      for name in ("accuracy_score", "confusion_matrix", "log_loss")],
    *[Kernel(name, METRICS, _ranking_example(name), peers=("implicit",)) for name in RANKING],
    *[Kernel(name, METRICS, _rating_example(name), peers=("surprise",)) for name in ("rmse", "mae")],
    *[Kernel(name, DATASETS, _dataset_example(name), compiled=False, dtypes=("float32",))
      for name in ("make_implicit_interactions", "make_explicit_ratings",
                   "train_test_split_interactions", "load_movielens")],
]
