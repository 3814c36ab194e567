"""Benchmark cases of the statistics family: curve metrics, Mahalanobis, moments."""
from __future__ import annotations

import numpy as np

from .timing import Case

FAMILY = "stats"
KERNELS = ("roc_auc_score", "average_precision_score", "mahalanobis", "RunningMoments")


def _curves(rng, n):
    from sklearn import metrics as skm

    from fastmath import metrics

    y = rng.random(n) < 0.1
    s = rng.random(n) + 0.5 * y
    for name in ("roc_auc_score", "average_precision_score"):
        ours, theirs = getattr(metrics, name), getattr(skm, name)
        yield Case(FAMILY, name, f"{n:,} scores", "float64", lambda f=ours: f(y, s),
                   {"sklearn": lambda f=theirs: f(y, s)}, 3.0, "sklearn")


def _mahalanobis(rng, n, d):
    from scipy.spatial.distance import cdist
    from sklearn.covariance import EmpiricalCovariance

    from fastmath.stats import mahalanobis

    X = rng.standard_normal((n, d)) @ rng.standard_normal((d, d))
    est = EmpiricalCovariance().fit(X)
    mean, cov, precision = est.location_, est.covariance_, est.precision_
    yield Case(FAMILY, "mahalanobis", f"{n:,}x{d} distances", "float64",
               lambda: mahalanobis(X, mean, cov),
               {"scipy cdist": lambda: cdist(X, mean[None], "mahalanobis", VI=precision)},
               3.0, "scipy cdist")
    yield Case(FAMILY, "mahalanobis", f"{n:,}x{d} squared", "float64",
               lambda: mahalanobis(X, mean, cov, squared=True),
               {"sklearn EmpiricalCovariance": lambda: est.mahalanobis(X)},
               2.0, "sklearn EmpiricalCovariance")


def _moments(rng, n, d):
    from fastmath.stats import RunningMoments

    X = rng.standard_normal((n, d)) + 3.0
    yield Case(FAMILY, "RunningMoments", f"update {n:,}x{d}", "float64",
               lambda: RunningMoments().update(X),
               {"np.mean + np.cov": lambda: (np.mean(X, axis=0), np.cov(X, rowvar=False))},
               2.0, "np.mean + np.cov")


def cases(quick: bool = False, seed: int = 0):
    """Yield the family's cases one at a time (each builds its own data)."""
    rng = np.random.default_rng(seed)
    scale = 10 if quick else 1
    yield from _curves(rng, 10_000_000 // scale)
    yield from _mahalanobis(rng, 1_000_000 // scale, 32)
    yield from _moments(rng, 10_000_000 // scale, 32)
