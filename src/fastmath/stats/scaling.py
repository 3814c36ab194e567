"""Standard and robust (median/MAD) scaling, drop-ins for scipy.stats's."""
from __future__ import annotations

import warnings

import numpy as np

from .._validation import as_float_array, check_axis, check_choice
from ._warnings import TOO_SMALL, SmallSampleWarning

__all__ = ["median_abs_deviation", "robust_zscore", "zscore"]

# MAD of a normal sample is 0.6745 sigma: this scale makes the MAD estimate sigma.
NORMAL_MAD_SCALE = 1.4826022185056018
NAN_POLICIES = ("propagate", "raise", "omit")


def _prepare(a, name, axis, nan_policy):
    """``a`` as a float array and ``axis`` checked; None flattens. Raises for NaN with 'raise'."""
    check_choice(nan_policy, NAN_POLICIES, "nan_policy")
    a = as_float_array(a, name)
    if axis is None:
        a, axis = a.ravel(), 0
    a = np.atleast_1d(a)
    axis = check_axis(axis, a.ndim)
    if nan_policy == "raise" and np.isnan(a).any():
        raise ValueError("The input contains nan values")
    return a, axis


def zscore(a, axis=0, ddof=0, nan_policy="propagate"):
    """``(a - mean) / std`` along ``axis``, as ``scipy.stats.zscore``.

    Where the standard deviation is zero to working precision (at most
    ``eps * |mean|``: constant data, or denormal spreads), the result is NaN,
    as in SciPy.

    Parameters
    ----------
    a : array_like
    axis : int or None, default 0
        None standardizes the flattened array (the result keeps ``a``'s shape).
    ddof : int, default 0
        Delta degrees of freedom of the standard deviation.
    nan_policy : {'propagate', 'raise', 'omit'}, default 'propagate'
        With 'omit', NaNs are left out of the mean and deviation and stay NaN.

    Returns
    -------
    ndarray, the shape of ``a``

    Examples
    --------
    >>> from fastmath.stats import zscore
    >>> zscore([1.0, 2.0, 3.0])
    array([-1.22474487,  0.        ,  1.22474487])
    >>> zscore([5.0, 5.0, 5.0])
    array([nan, nan, nan])
    """
    shape = np.shape(a)
    x, axis_ = _prepare(a, "a", axis, nan_policy)
    if x.size == 0:
        return x.reshape(shape).copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        if nan_policy == "omit":
            mean = np.nanmean(x, axis=axis_, keepdims=True)
            std = np.nanstd(x, axis=axis_, ddof=ddof, keepdims=True)
        else:
            mean = x.mean(axis=axis_, keepdims=True)
            std = x.std(axis=axis_, ddof=ddof, keepdims=True)
        z = (x - mean) / std
    zero = np.broadcast_to(std <= np.abs(np.finfo(x.dtype).eps * mean), z.shape)
    z[zero] = np.nan
    return z.reshape(shape) if axis is None else z


def median_abs_deviation(x, axis=0, center=None, scale=1.0, nan_policy="propagate", *,
                         keepdims=False):
    """Median of ``|x - center(x)|`` along ``axis`` divided by ``scale``, as SciPy's.

    Parameters
    ----------
    x : array_like
    axis : int or None, default 0
        None uses the flattened array.
    center : callable, default np.median
        Called as ``center(x, axis=axis, keepdims=True)``.
    scale : float or 'normal', default 1.0
        'normal' (1 / 1.4826) makes the result a consistent estimate of the
        standard deviation of normal data.
    nan_policy : {'propagate', 'raise', 'omit'}, default 'propagate'
    keepdims : bool, default False

    Returns
    -------
    ndarray or NumPy scalar
        A NumPy scalar when the whole input is reduced.

    Examples
    --------
    >>> from fastmath.stats import median_abs_deviation
    >>> float(median_abs_deviation([1.0, 2.0, 3.0, 10.0]))
    1.0
    >>> round(float(median_abs_deviation([1.0, 2.0, 3.0, 10.0], scale="normal")), 6)
    1.482602
    """
    x, axis_ = _prepare(x, "x", axis, nan_policy)
    if isinstance(scale, str):
        check_choice(scale, ("normal",), "scale")
        scale = 1.0 / NORMAL_MAD_SCALE
    elif not np.isscalar(scale) or isinstance(scale, (bool, np.bool_)):
        raise TypeError(f"scale must be a number or 'normal', got {scale!r}")
    if center is not None and not callable(center):
        raise TypeError(f"center must be a callable such as np.median, got {center!r}")
    median = np.nanmedian if nan_policy == "omit" else np.median
    center = median if center is None else center
    if x.size == 0:
        warnings.warn(TOO_SMALL, SmallSampleWarning, stacklevel=2)
        out = np.full(np.delete(x.shape, axis_) if not keepdims else
                      tuple(1 if i == axis_ else n for i, n in enumerate(x.shape)), np.nan)
    else:
        with np.errstate(invalid="ignore"):
            mid = center(x, axis=axis_, keepdims=True)
            out = median(np.abs(x - mid), axis=axis_, keepdims=keepdims) / scale
    out = np.asarray(out)
    return out[()] if out.ndim == 0 else out


def robust_zscore(a, axis=0):
    """``(a - median) / (1.4826 MAD)``: a z-score that outliers cannot drag.

    A zero MAD (more than half the values equal) gives inf for the other
    values and NaN for the tied ones, as a zero standard deviation does.

    Parameters
    ----------
    a : array_like
    axis : int or None, default 0
        None uses the flattened array (the result keeps ``a``'s shape).

    Returns
    -------
    ndarray, the shape of ``a``

    Examples
    --------
    >>> from fastmath.stats import robust_zscore
    >>> robust_zscore([1.0, 2.0, 3.0, 100.0]).round(2)
    array([-1.01, -0.34,  0.34, 65.76])
    """
    shape = np.shape(a)
    x, axis_ = _prepare(a, "a", axis, "propagate")
    if x.size == 0:
        return x.reshape(shape).copy()
    median = np.median(x, axis=axis_, keepdims=True)
    mad = np.median(np.abs(x - median), axis=axis_, keepdims=True) * NORMAL_MAD_SCALE
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (x - median) / mad
    return z.reshape(shape) if axis is None else z
