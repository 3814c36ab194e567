"""Streaming moments: Welford/Chan updates that merge across chunks and threads."""
from __future__ import annotations

import numpy as np

from .._chunks import fixed_chunk_bounds
from .._config.threads import kernel_threads
from .._validation import as_float_array, check_int
from ._kernels import chunk_moments

CHUNK_ROWS = 4096  # rows centred and multiplied at a time (fits L2 at 32 features)


def combine(n_a, mean_a, m2_a, n_b, mean_b, m2_b):
    """Chan, Golub and LeVeque's merge of two (count, mean, scatter) summaries."""
    n = n_a + n_b
    if n_b == 0:
        return n_a, mean_a, m2_a
    if n_a == 0:
        return n_b, mean_b, m2_b
    delta = mean_b - mean_a
    mean = mean_a + delta * (n_b / n)
    m2 = m2_a + m2_b + np.outer(delta, delta) * (n_a * n_b / n)
    return n, mean, m2


class RunningMoments:
    """Mean, variance and covariance of a stream of rows, updated chunk by chunk.

    Each :meth:`update` summarizes its rows in parallel blocks (each block
    centred on its own mean), and summaries are combined with the pairwise
    formula of Chan, Golub and LeVeque, so the result equals the batch
    statistics for any split of the data into chunks, up to rounding.

    Parameters
    ----------
    ddof : int
        Delta degrees of freedom of ``var`` and ``cov`` (1: sample
        statistics, as ``np.cov``; 0: as ``np.var``).

    Attributes
    ----------
    count : int
    mean : ndarray of shape (n_features,)
    var : ndarray of shape (n_features,)
    cov : ndarray of shape (n_features, n_features)
        All float64, NaN until ``count > ddof``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.stats import RunningMoments
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> rm = RunningMoments().update(X[:2]).update(X[2:])
    >>> rm.count, rm.mean, bool(np.allclose(rm.cov, np.cov(X.T)))
    (6, array([5., 6.]), True)
    """

    def __init__(self, ddof: int = 1):
        self.ddof = check_int(ddof, "ddof", low=0)
        self.count = 0
        self._mean = None
        self._m2 = None

    def update(self, X) -> "RunningMoments":
        """Add the rows of ``X``; a 1-D X is one feature.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples,)

        Returns
        -------
        self
        """
        X = as_float_array(X, "X")
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2:
            raise ValueError(f"X must be 1-D or 2-D, got shape {X.shape}")
        if self._mean is not None and X.shape[1] != self._mean.shape[0]:
            raise ValueError(f"X must have {self._mean.shape[0]} features (columns), got "
                             f"{X.shape[1]}")
        if not np.all(np.isfinite(X)):
            raise ValueError("X contains NaN or infinity")
        d = X.shape[1]
        if self._mean is None:
            self._mean, self._m2 = np.zeros(d), np.zeros((d, d))
        if X.shape[0] == 0:
            return self
        n_chunks = max(1, -(-X.shape[0] // CHUNK_ROWS))
        bounds = fixed_chunk_bounds(X.shape[0], n_chunks)
        k = bounds.shape[0] - 1
        counts = np.empty(k, np.int64)
        means = np.empty((k, d))
        scatters = np.empty((k, d, d))
        with kernel_threads(X.shape[0] * d * d, "flops"):
            chunk_moments(X, bounds, counts, means, scatters)
        n, mean, m2 = _tree_combine(counts, means, scatters)
        self.count, self._mean, self._m2 = combine(self.count, self._mean, self._m2, n, mean, m2)
        return self

    def merge(self, other: "RunningMoments") -> "RunningMoments":
        """Fold another summary (from another chunk or thread) into this one.

        Chan, Golub and LeVeque's pairwise formula: merging the summaries of
        two chunks gives the summary of their concatenation.

        Parameters
        ----------
        other : RunningMoments
            Left unchanged.

        Returns
        -------
        self
        """
        if not isinstance(other, RunningMoments):
            raise TypeError(f"other must be a RunningMoments, got {type(other).__name__}")
        if other._mean is None:
            return self
        if self._mean is None:
            self._mean, self._m2 = np.zeros_like(other._mean), np.zeros_like(other._m2)
        if other._mean.shape != self._mean.shape:
            raise ValueError(f"cannot merge moments of {other._mean.shape[0]} features into "
                             f"{self._mean.shape[0]}")
        self.count, self._mean, self._m2 = combine(self.count, self._mean, self._m2,
                                                   other.count, other._mean, other._m2)
        return self

    def _check(self):
        if self._mean is None:
            raise ValueError("no data yet: call update first")

    @property
    def mean(self) -> np.ndarray:
        self._check()
        return self._mean.copy() if self.count else np.full(self._mean.shape, np.nan)

    @property
    def cov(self) -> np.ndarray:
        self._check()
        if self.count <= self.ddof:
            return np.full(self._m2.shape, np.nan)
        return self._m2 / (self.count - self.ddof)

    @property
    def var(self) -> np.ndarray:
        return np.diag(self.cov).copy()


def _tree_combine(counts, means, scatters):
    """Combine chunk summaries pairwise (a balanced tree keeps rounding low)."""
    items = list(zip(counts.tolist(), means, scatters))
    while len(items) > 1:
        merged = [combine(*items[i], *items[i + 1]) for i in range(0, len(items) - 1, 2)]
        if len(items) % 2:
            merged.append(items[-1])
        items = merged
    return items[0]
