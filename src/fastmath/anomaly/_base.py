"""scikit-learn's outlier-detector API over a streaming model of the normal data."""
from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from .._estimator_state import unchanged_on_error


class Reservoir:
    """A uniform random sample of at most ``size`` rows of a stream (algorithm R)."""

    def __init__(self, size: int, random_state):
        self.size = size
        self.rng = check_random_state(random_state)
        self.rows = None
        self.seen = 0

    def add(self, X: np.ndarray) -> None:
        if self.rows is None:
            self.rows = np.empty((0, X.shape[1]), X.dtype)
        room = self.size - self.rows.shape[0]
        take = min(room, X.shape[0])
        if take:
            self.rows = np.concatenate([self.rows, X[:take]])
        rest = X[take:]
        if rest.shape[0]:
            # row t of the stream (0-based) replaces a random slot with probability size / (t + 1)
            t = self.seen + take + np.arange(rest.shape[0])
            slot = (self.rng.random_sample(rest.shape[0]) * (t + 1)).astype(np.int64)
            hit = slot < self.size
            self.rows[slot[hit]] = rest[hit]  # later rows win on repeated slots, as in a loop
        self.seen += X.shape[0]


class BaseDetector(OutlierMixin, BaseEstimator):
    """``fit``/``partial_fit``, scores and the contamination threshold.

    Subclasses implement ``_reset()``, ``_learn(X)`` (update the model of the
    normal data with new rows; ``self._reservoir.rows`` already includes
    them) and ``_anomaly(X)`` (larger is more abnormal).
    ``score_samples`` is ``-_anomaly`` (scikit-learn: lower is more abnormal);
    ``offset_`` is the ``contamination`` quantile of the training scores,
    taken over a reservoir sample of at most ``max_samples`` rows.
    """

    _parameter_constraints: dict = {
        "contamination": [Interval(Real, 0, 0.5, closed="right")],
        "max_samples": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    }

    def _check_params(self):
        self._validate_params()

    def _validate(self, X, reset):
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=reset,
                             ensure_min_samples=2 if reset else 1)

    def fit(self, X, y=None):
        """Learn the normal data from ``X``; NaN raises ``ValueError``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            At least 2 rows.
        y : ignored

        Returns
        -------
        self
        """
        with unchanged_on_error(self):
            self._check_params()
            X = self._validate(X, reset=True)
            self._reservoir = Reservoir(self.max_samples, self.random_state)
            self._reset()
            return self._absorb(X)

    def partial_fit(self, X, y=None):
        """Update the model with more rows of the stream (the first call acts as ``fit``).

        An update that raises (bad rows, statistics that overflow) leaves the
        model as it was.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        if not hasattr(self, "offset_"):
            return self.fit(X)
        with unchanged_on_error(self, deep=True):
            X = self._validate(X, reset=False)
            return self._absorb(X)

    def _absorb(self, X):
        self._reservoir.add(X)  # first: robust statistics are taken over the reservoir
        with np.errstate(over="ignore", invalid="ignore"):
            self._learn(X)
        overflowed = [name for name, value in vars(self).items()
                      if name.endswith("_") and isinstance(value, np.ndarray)
                      and value.dtype.kind == "f" and not np.all(np.isfinite(value))]
        if overflowed:
            raise ValueError(f"the statistics of X overflowed ({', '.join(overflowed)} not "
                             f"finite): its values are too large; scale X, e.g. with "
                             f"sklearn.preprocessing.StandardScaler")
        self.offset_ = float(np.quantile(self.score_samples(self._reservoir.rows),
                                         self.contamination))
        return self

    def score_samples(self, X):
        """Normality of each row: the negated anomaly score (lower is more abnormal).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "n_features_in_")
        X = self._validate(X, reset=False)
        return -self._anomaly(X)

    def decision_function(self, X):
        """``score_samples - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "offset_")
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """-1 for outliers, +1 for inliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return np.where(self.decision_function(X) < 0, -1, 1)
