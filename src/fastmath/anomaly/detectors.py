"""Statistical outlier detectors: z-score, robust z-score, Mahalanobis distance."""
from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.covariance import ledoit_wolf_shrinkage
from sklearn.utils._param_validation import Interval, StrOptions

from ..stats import RunningMoments, mahalanobis
from ..stats.scaling import NORMAL_MAD_SCALE
from ._base import BaseDetector


def _max_abs_ratio(deviation, scale):
    """max_j |deviation_j| / scale_j, with 0/0 = 0 and x/0 = inf (a constant feature)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.abs(deviation) / scale
    ratio[np.abs(deviation) == 0] = 0.0
    return ratio.max(axis=1) if ratio.shape[1] else np.zeros(ratio.shape[0])


class ZScoreDetector(BaseDetector):
    """Flags rows whose largest per-feature z-score ``|x - mean| / std`` is extreme.

    Mean and standard deviation come from :class:`fastmath.stats.RunningMoments`,
    so ``partial_fit`` on a stream gives the same model as one ``fit``.

    Parameters
    ----------
    contamination : float in (0, 0.5]
        Expected share of outliers: ``predict`` flags that share of the
        training rows.
    max_samples : int
        Training rows kept (a uniform reservoir) to set the threshold.
    random_state : int, RandomState or None
        Seeds the reservoir.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.anomaly import ZScoreDetector
    >>> X = np.random.default_rng(0).standard_normal((500, 3))
    >>> X[0] = 8.0
    >>> det = ZScoreDetector(contamination=0.01).fit(X)
    >>> int(det.predict(X[:1])[0])
    -1
    """

    def __init__(self, contamination=0.01, max_samples=100_000, random_state=None):
        self.contamination = contamination
        self.max_samples = max_samples
        self.random_state = random_state

    def _reset(self):
        self.moments_ = RunningMoments(ddof=0)

    def _learn(self, X):
        self.moments_.update(X)
        self.mean_ = self.moments_.mean
        self.scale_ = np.sqrt(self.moments_.var)

    def _anomaly(self, X):
        return _max_abs_ratio(X - self.mean_, self.scale_)


class RobustZScoreDetector(BaseDetector):
    """Like :class:`ZScoreDetector` with median and MAD (scaled to sigma) instead.

    Outliers in the training data barely move the median and the MAD. Medians
    are not mergeable, so ``partial_fit`` recomputes them over the reservoir
    sample: exact while fewer than ``max_samples`` rows were seen, a uniform
    subsample after that. A feature whose MAD is 0 falls back to the mean
    absolute deviation (times 1.2533, also sigma for normal data).

    Parameters
    ----------
    contamination, max_samples, random_state
        As in :class:`ZScoreDetector`.

    Attributes
    ----------
    median_, scale_ : ndarray of shape (n_features,)

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.anomaly import RobustZScoreDetector
    >>> X = np.random.default_rng(0).standard_normal((500, 3))
    >>> X[:5] = 50.0  # outliers in the training data barely move the median
    >>> det = RobustZScoreDetector(contamination=0.02).fit(X)
    >>> det.predict(np.array([[0.1, -0.2, 0.0], [6.0, 0.0, 0.0]])).tolist()
    [1, -1]
    """

    def __init__(self, contamination=0.01, max_samples=100_000, random_state=None):
        self.contamination = contamination
        self.max_samples = max_samples
        self.random_state = random_state

    def _reset(self):
        pass

    def _learn(self, X):
        rows = self._reservoir.rows
        self.median_ = np.median(rows, axis=0)
        deviation = np.abs(rows - self.median_)
        scale = np.median(deviation, axis=0) * NORMAL_MAD_SCALE
        fallback = deviation.mean(axis=0) * np.sqrt(np.pi / 2.0)
        self.scale_ = np.where(scale > 0, scale, fallback)

    def _anomaly(self, X):
        return _max_abs_ratio(X - self.median_, self.scale_)


class MahalanobisDetector(BaseDetector):
    """Flags rows far from the mean in Mahalanobis distance (correlated features).

    Parameters
    ----------
    shrinkage : None, float in [0, 1] or 'auto'
        Shrink the covariance towards ``mu I`` (``mu`` its mean variance):
        ``(1 - s) cov + s mu I``. 'auto' picks ``s`` by Ledoit-Wolf on the
        reservoir sample. A singular covariance without shrinkage raises a
        ``ValueError`` that says to set it; scores are never NaN.
    contamination, max_samples, random_state
        As in :class:`ZScoreDetector`.

    Attributes
    ----------
    location_ : ndarray of shape (n_features,)
    covariance_ : ndarray of shape (n_features, n_features)
        The (shrunk) covariance used for the distances.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.anomaly import MahalanobisDetector
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(1000)
    >>> X = np.column_stack([x, x + 0.1 * rng.standard_normal(1000)])  # correlated
    >>> det = MahalanobisDetector(contamination=0.01).fit(X)
    >>> det.predict(np.array([[1.0, 1.0], [1.0, -1.0]])).tolist()  # the second breaks the pattern
    [1, -1]
    """

    def __init__(self, shrinkage=None, contamination=0.01, max_samples=100_000,
                 random_state=None):
        self.shrinkage = shrinkage
        self.contamination = contamination
        self.max_samples = max_samples
        self.random_state = random_state

    _parameter_constraints: dict = {
        **BaseDetector._parameter_constraints,
        "shrinkage": [None, StrOptions({"auto"}), Interval(Real, 0, 1, closed="both")],
    }

    def _reset(self):
        self.moments_ = RunningMoments(ddof=1)

    def _learn(self, X):
        self.moments_.update(X)
        self.location_ = self.moments_.mean
        cov = self.moments_.cov
        if self.moments_.count < 2:
            cov = np.zeros_like(cov)
        s = self.shrinkage
        if s == "auto":
            s = float(ledoit_wolf_shrinkage(self._reservoir.rows, assume_centered=False))
        if s:
            mu = np.trace(cov) / cov.shape[0]
            cov = (1.0 - s) * cov + s * mu * np.eye(cov.shape[0])
        self.covariance_ = cov

    def _anomaly(self, X):
        return mahalanobis(X, self.location_, self.covariance_)
