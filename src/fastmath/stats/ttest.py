"""Two-sample t-test (Student or Welch), a drop-in for ``scipy.stats.ttest_ind``."""
from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
from scipy import special

from .._validation import as_float_array, check_axis, check_choice, check_real, result_dtype

from ._warnings import TOO_SMALL, SmallSampleWarning

__all__ = ["ConfidenceInterval", "SmallSampleWarning", "TtestResult", "ttest_ind"]


class ConfidenceInterval(NamedTuple):
    """Lower and upper bound, as SciPy's ``ConfidenceInterval``."""

    low: object
    high: object


class _StatisticPvalue(NamedTuple):
    statistic: object
    pvalue: object


class TtestResult(_StatisticPvalue):
    """Result of :func:`ttest_ind`: unpacks to ``(statistic, pvalue)`` like SciPy's.

    Attributes
    ----------
    statistic, pvalue, df : float or ndarray
    estimate : float or ndarray
        The difference of the means, ``mean(a) - mean(b)``.
    standard_error : float or ndarray
        Its standard error (the t statistic's denominator).
    """

    def __new__(cls, statistic, pvalue, df=np.nan, *, estimate=np.nan, standard_error=np.nan,
                alternative="two-sided"):
        result = super().__new__(cls, statistic, pvalue)
        result.df = df
        result.estimate = estimate
        result.standard_error = standard_error
        result._alternative = alternative
        return result

    def __repr__(self):
        return f"TtestResult(statistic={self.statistic!r}, pvalue={self.pvalue!r}, df={self.df!r})"

    def confidence_interval(self, confidence_level=0.95):
        """Confidence interval of the difference of the means, on the side of the alternative.

        Parameters
        ----------
        confidence_level : float, default 0.95
            In (0, 1).

        Returns
        -------
        ConfidenceInterval
            ``(low, high)``; one bound is infinite for a one-sided alternative.

        Examples
        --------
        >>> from fastmath.stats import ttest_ind
        >>> ci = ttest_ind([1.0, 2.0, 3.0], [2.0, 3.0, 5.0]).confidence_interval()
        >>> round(float(ci.low), 4), round(float(ci.high), 4)
        (-4.26, 1.5933)
        """
        level = check_real(confidence_level, "confidence_level", low=0, high=1, closed="neither")
        df, est, se = (np.asarray(v, np.float64) for v in (self.df, self.estimate,
                                                            self.standard_error))
        with np.errstate(invalid="ignore"):
            if self._alternative == "two-sided":
                crit = special.stdtrit(df, 1.0 - (1.0 - level) / 2.0)
                low, high = est - crit * se, est + crit * se
            elif self._alternative == "less":
                low, high = np.full_like(est, -np.inf), est + special.stdtrit(df, level) * se
            else:
                low, high = est - special.stdtrit(df, level) * se, np.full_like(est, np.inf)
        return ConfidenceInterval(_scalar(low), _scalar(high))


def _scalar(v):
    v = np.asarray(v)
    return v[()] if v.ndim == 0 else v


def _moments(x, omit: bool):
    """Count, mean and unbiased variance along the last axis (NaNs skipped with ``omit``)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if omit:
            valid = ~np.isnan(x)
            n = valid.sum(axis=-1).astype(np.float64)
            mean = np.where(valid, x, 0.0).sum(axis=-1) / n
            dev = np.where(valid, x - mean[..., None], 0.0)
        else:
            n = np.full(x.shape[:-1], float(x.shape[-1]))
            mean = x.mean(axis=-1)
            dev = x - mean[..., None]
        var = (dev * dev).sum(axis=-1) / (n - 1)
    return n, mean, var


def ttest_ind(a, b, *, axis=0, equal_var=True, nan_policy="propagate", alternative="two-sided",
              keepdims=False):
    """t-test of equal means of two independent samples, as ``scipy.stats.ttest_ind``.

    ``equal_var=True`` (SciPy's default) is Student's test with pooled
    variance; ``False`` is Welch's test with the Welch-Satterthwaite degrees
    of freedom. The other axes broadcast against each other.

    Parameters
    ----------
    a, b : array_like
        Samples along ``axis``; the other axes broadcast.
    axis : int or None, default 0
        The sample axis; None flattens both inputs.
    equal_var : bool, default True
    nan_policy : {'propagate', 'raise', 'omit'}, default 'propagate'
        NaN in a sample gives NaN results, raises ``ValueError``, or is left out.
    alternative : {'two-sided', 'less', 'greater'}, default 'two-sided'
        The alternative hypothesis about ``mean(a) - mean(b)``.
    keepdims : bool, default False
        Keep the sample axis, with size one.

    Returns
    -------
    TtestResult
        ``statistic, pvalue = ttest_ind(a, b)``; also ``df`` and
        :meth:`~TtestResult.confidence_interval`. NumPy scalars for 1-D samples.

    Warns
    -----
    SmallSampleWarning
        A sample is empty (after omitting NaN): its results are NaN.

    Notes
    -----
    SciPy's ``trim``, ``method`` (permutation and Monte Carlo tests) are not
    implemented.

    Examples
    --------
    >>> from fastmath.stats import ttest_ind
    >>> t, p = ttest_ind([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0])
    >>> round(float(t), 4), round(float(p), 4)
    (-1.7321, 0.134)
    >>> round(float(ttest_ind([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0], equal_var=False).df), 4)
    4.4118
    """
    check_choice(alternative, ("two-sided", "less", "greater"), "alternative")
    check_choice(nan_policy, ("propagate", "raise", "omit"), "nan_policy")
    a = as_float_array(a, "a")
    b = as_float_array(b, "b")
    dtype = result_dtype(a.dtype, b.dtype)
    a, b = a.astype(np.float64, copy=False), b.astype(np.float64, copy=False)
    if axis is None:
        a, b, axis = a.ravel(), b.ravel(), 0
    a, b = np.atleast_1d(a), np.atleast_1d(b)
    a_axis, b_axis = check_axis(axis, a.ndim), check_axis(axis, b.ndim)
    a, b = np.moveaxis(a, a_axis, -1), np.moveaxis(b, b_axis, -1)
    try:
        shape = np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    except ValueError:
        raise ValueError(f"a and b must broadcast apart from axis {axis}: their other axes "
                         f"are {a.shape[:-1]} and {b.shape[:-1]}") from None
    a = np.broadcast_to(a, shape + a.shape[-1:])
    b = np.broadcast_to(b, shape + b.shape[-1:])
    has_nan = np.isnan(a).any() or np.isnan(b).any()
    if has_nan and nan_policy == "raise":
        raise ValueError("The input contains nan values")
    omit = has_nan and nan_policy == "omit"
    n1, m1, v1 = _moments(a, omit)
    n2, m2, v2 = _moments(b, omit)
    too_small = (n1 < 1) | (n2 < 1)
    if np.any(too_small) and (a.size or b.size or not shape):
        warnings.warn(TOO_SMALL, SmallSampleWarning, stacklevel=2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if equal_var:
            v1 = np.where(n1 == 1, 0.0, v1)  # a lone value has no variance; the pool still does
            v2 = np.where(n2 == 1, 0.0, v2)
            df = n1 + n2 - 2.0
            pooled = ((n1 - 1) * v1 + (n2 - 1) * v2) / df
            se = np.sqrt(pooled * (1.0 / n1 + 1.0 / n2))
        else:
            s1, s2 = v1 / n1, v2 / n2
            df = (s1 + s2) ** 2 / (s1 ** 2 / (n1 - 1) + s2 ** 2 / (n2 - 1))
            df = np.where(np.isnan(df), 1.0, df)  # zero variances: df does not matter (SciPy)
            se = np.sqrt(s1 + s2)
        estimate = m1 - m2
        t = estimate / se
        if alternative == "two-sided":
            p = 2.0 * special.stdtr(df, -np.abs(t))
        elif alternative == "less":
            p = special.stdtr(df, t)
        else:
            p = special.stdtr(df, -t)
    p = np.minimum(p, 1.0)
    undefined = too_small
    if has_nan and nan_policy == "propagate":  # every result of a slice holding NaN is NaN
        undefined = too_small | np.isnan(a).any(axis=-1) | np.isnan(b).any(axis=-1)
    results = [np.where(undefined, np.nan, r) for r in (t, p, df, estimate, se)]
    if keepdims:
        where = min(a_axis, len(shape)) if axis >= 0 else len(shape) + 1 + axis
        results = [np.expand_dims(r, where) for r in results]
    out_dtype = np.float32 if dtype == np.float32 else np.float64
    t, p, df, estimate, se = (_scalar(np.asarray(r, out_dtype)) for r in results)
    return TtestResult(t, p, df, estimate=estimate, standard_error=se, alternative=alternative)
