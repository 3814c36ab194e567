"""Registry rows of statistics and anomaly detection (``fastmath.stats``, ``fastmath.anomaly``)."""
from __future__ import annotations

import numpy as np

from ._types import Case, Kernel

STATS, ANOMALY = "stats", "anomaly"


def _data(dtype, n=20, d=3):
    return np.random.default_rng(0).standard_normal((n, d)).astype(dtype)


def _stats():
    from fastmath import stats

    return stats


# --- examples ----------------------------------------------------------------------

def _moments_example(dtype):
    rm = _stats().RunningMoments().update(_data(dtype)[:10])
    return rm.merge(_stats().RunningMoments().update(_data(dtype)[10:])).cov


def _mahalanobis_example(dtype):
    X = _data(dtype)
    return (_stats().mahalanobis(X, np.zeros(3), np.eye(3)),
            _stats().mahalanobis(X, np.zeros(3), np.eye(3), squared=True))


def _function_example(name):
    def example(dtype):
        X = _data(dtype)
        if name == "ttest_ind":
            return _stats().ttest_ind(X[:10], X[10:])
        return getattr(_stats(), name)(X)
    return example


def _detector_example(name):
    def example(dtype):
        from fastmath import anomaly

        X = _data(dtype)
        det = getattr(anomaly, name)().fit(X[:15])
        det.partial_fit(X[15:])
        return det.predict(X), det.decision_function(X)
    return example


# --- benchmark cases -------------------------------------------------------------

def _mahalanobis_cases(size, rng):
    from scipy.spatial.distance import cdist
    from sklearn.covariance import EmpiricalCovariance

    n, d = {"quick": 100_000, "asv": 200_000, "full": 1_000_000}[size], 32
    X = rng.standard_normal((n, d)) @ rng.standard_normal((d, d))
    est = EmpiricalCovariance().fit(X)
    mean, cov, precision = est.location_, est.covariance_, est.precision_
    yield Case(STATS, "mahalanobis", f"{n:,}x{d} distances", "float64",
               lambda: _stats().mahalanobis(X, mean, cov),
               {"scipy cdist": lambda: cdist(X, mean[None], "mahalanobis", VI=precision)},
               3.0, "scipy cdist")
    yield Case(STATS, "mahalanobis", f"{n:,}x{d} squared", "float64",
               lambda: _stats().mahalanobis(X, mean, cov, squared=True),
               {"sklearn EmpiricalCovariance": lambda: est.mahalanobis(X)},
               2.0, "sklearn EmpiricalCovariance")


def _moments_cases(size, rng):
    n, d = {"quick": 1_000_000, "asv": 1_000_000, "full": 10_000_000}[size], 32
    X = rng.standard_normal((n, d)) + 3.0
    yield Case(STATS, "RunningMoments", f"update {n:,}x{d}", "float64",
               lambda: _stats().RunningMoments().update(X),
               {"np.mean + np.cov": lambda: (np.mean(X, axis=0), np.cov(X, rowvar=False))},
               2.0, "np.mean + np.cov")


def _detector_cases(size, rng):
    from sklearn.covariance import EmpiricalCovariance

    from fastmath.anomaly import MahalanobisDetector

    n, d = {"quick": 100_000, "asv": 200_000, "full": 1_000_000}[size], 16
    X = rng.standard_normal((n, d)) @ rng.standard_normal((d, d))
    yield Case(ANOMALY, "MahalanobisDetector", f"fit + score {n:,}x{d}", "float64",
               lambda: MahalanobisDetector().fit(X).score_samples(X),
               {"sklearn EmpiricalCovariance": lambda: EmpiricalCovariance().fit(X).mahalanobis(X)})


def _moments_sweep(n, dtype, rng):
    X = rng.standard_normal((max(2, n // 8), 8)).astype(dtype)
    return (lambda: _stats().RunningMoments().update(X)), {
        "np.mean + np.cov": lambda: (np.mean(X, axis=0), np.cov(X, rowvar=False))}


def _mahalanobis_sweep(n, dtype, rng):
    from scipy.spatial.distance import cdist

    X = rng.standard_normal((max(1, n // 8), 8)).astype(dtype)
    mean, cov = np.zeros(8), np.eye(8)
    return (lambda: _stats().mahalanobis(X, mean, cov)), {
        "scipy cdist": lambda: cdist(X, mean[None], "mahalanobis", VI=cov)}


KERNELS = [
    Kernel("RunningMoments", STATS, _moments_example, _moments_cases, _moments_sweep,
           ("numpy",)),
    Kernel("mahalanobis", STATS, _mahalanobis_example, _mahalanobis_cases, _mahalanobis_sweep,
           ("scipy", "sklearn")),
    *[Kernel(name, STATS, _function_example(name), peers=("scipy",), compiled=False)
      for name in ("zscore", "median_abs_deviation", "robust_zscore", "ttest_ind")],
    *[Kernel(name, ANOMALY, _detector_example(name), peers=("sklearn",))
      for name in ("ZScoreDetector", "RobustZScoreDetector")],
    Kernel("MahalanobisDetector", ANOMALY, _detector_example("MahalanobisDetector"),
           _detector_cases, peers=("sklearn",)),
]
