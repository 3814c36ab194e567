"""Standard and robust (median/MAD) scaling, as in scipy.stats."""
from __future__ import annotations

import numpy as np

from .._validation import as_float_array

# MAD of a normal sample is 0.6745 sigma: this scale makes the MAD estimate sigma.
NORMAL_MAD_SCALE = 1.4826022185056018


def _axis(X, axis):
    if axis is not None and not -X.ndim <= axis < X.ndim:
        raise ValueError(f"axis {axis} is out of bounds for an array of dimension {X.ndim}")


def zscore(X, axis=0, ddof=0):
    """``(X - mean) / std`` along ``axis`` (``scipy.stats.zscore``; NaN propagates).

    Examples
    --------
    >>> from fastmath.stats import zscore
    >>> zscore([1.0, 2.0, 3.0])
    array([-1.22474487,  0.        ,  1.22474487])
    """
    X = as_float_array(X, "X")
    _axis(X, axis)
    if X.size == 0:
        return X.copy()
    mean = X.mean(axis=axis, keepdims=True)
    std = X.std(axis=axis, ddof=ddof, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (X - mean) / std


def median_abs_deviation(X, axis=0, scale=1.0):
    """Median of ``|X - median(X)|`` along ``axis`` divided by ``scale``.

    ``scale='normal'`` gives a consistent estimate of the standard deviation
    of normal data (``scipy.stats.median_abs_deviation``).
    """
    X = as_float_array(X, "X")
    _axis(X, axis)
    if scale == "normal":
        scale = 1.0 / NORMAL_MAD_SCALE
    median = np.median(X, axis=axis, keepdims=True)
    return np.median(np.abs(X - median), axis=axis) / scale


def robust_zscore(X, axis=0):
    """``(X - median) / (1.4826 MAD)``: a z-score that outliers cannot drag.

    A zero MAD (more than half the values equal) gives inf for the other
    values and NaN for the tied ones, as a zero standard deviation does.
    """
    X = as_float_array(X, "X")
    _axis(X, axis)
    if X.size == 0:
        return X.copy()
    median = np.median(X, axis=axis, keepdims=True)
    mad = np.median(np.abs(X - median), axis=axis, keepdims=True) * NORMAL_MAD_SCALE
    with np.errstate(invalid="ignore", divide="ignore"):
        return (X - median) / mad
