"""Two-sample t-test (Student or Welch), as scipy.stats.ttest_ind."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special

from .._validation import as_float_array


class _StatisticPvalue(NamedTuple):
    statistic: np.ndarray
    pvalue: np.ndarray


class TtestResult(_StatisticPvalue):
    """Unpacks to ``(statistic, pvalue)`` like SciPy's result; ``df`` by name."""

    def __new__(cls, statistic, pvalue, df=np.nan):
        result = super().__new__(cls, statistic, pvalue)
        result.df = df
        return result

    def __repr__(self):
        return f"TtestResult(statistic={self.statistic!r}, pvalue={self.pvalue!r}, df={self.df!r})"


def ttest_ind(a, b, axis=0, equal_var=False, alternative="two-sided"):
    """t-test of equal means of two independent samples.

    ``equal_var=False`` (the default here, unlike SciPy) is Welch's test with
    the Welch-Satterthwaite degrees of freedom; ``True`` pools the variances.
    NaN propagates (SciPy's ``nan_policy='propagate'``).

    Returns
    -------
    TtestResult
        ``statistic, pvalue = ttest_ind(a, b)``.

    Examples
    --------
    >>> from fastmath.stats import ttest_ind
    >>> t, p = ttest_ind([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0])
    >>> round(float(t), 4), round(float(p), 4)
    (-1.7321, 0.1516)
    """
    if alternative not in ("two-sided", "less", "greater"):
        raise ValueError(f"alternative must be 'two-sided', 'less' or 'greater'; got "
                         f"{alternative!r}")
    a = np.moveaxis(as_float_array(a, "a", dtype=np.float64, min_ndim=1), axis, 0)
    b = np.moveaxis(as_float_array(b, "b", dtype=np.float64, min_ndim=1), axis, 0)
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(f"a and b must have the same shape apart from axis {axis}, got "
                         f"{a.shape} and {b.shape}")
    n1, n2 = a.shape[0], b.shape[0]
    if n1 < 2 or n2 < 2:
        raise ValueError(f"each sample needs at least 2 values, got {n1} and {n2}")
    m1, m2 = a.mean(axis=0), b.mean(axis=0)
    v1, v2 = a.var(axis=0, ddof=1), b.var(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if equal_var:
            df = np.asarray(n1 + n2 - 2.0)
            pooled = ((n1 - 1) * v1 + (n2 - 1) * v2) / df
            denom = np.sqrt(pooled * (1.0 / n1 + 1.0 / n2))
        else:
            s1, s2 = v1 / n1, v2 / n2
            df = (s1 + s2) ** 2 / (s1 ** 2 / (n1 - 1) + s2 ** 2 / (n2 - 1))
            denom = np.sqrt(s1 + s2)
        t = (m1 - m2) / denom
    if alternative == "two-sided":
        p = 2.0 * special.stdtr(df, -np.abs(t))
    elif alternative == "less":
        p = special.stdtr(df, t)
    else:
        p = special.stdtr(df, -t)
    p = np.minimum(p, 1.0)
    scalar = lambda v: v[()] if np.ndim(v) == 0 else v  # noqa: E731
    return TtestResult(scalar(np.asarray(t, np.float64)), scalar(np.asarray(p, np.float64)),
                       scalar(np.asarray(df, np.float64)))
