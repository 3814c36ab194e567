"""Numerically stable :func:`softmax` and :func:`logsumexp`."""
from __future__ import annotations

import numpy as np

from .._config.threads import kernel_threads
from .._validation import as_float_array
from . import _kernels as k

__all__ = ["softmax", "logsumexp"]


def _rows_along(x: np.ndarray, axis: int, name: str = "axis"):
    """View ``x`` as C-ordered rows along ``axis``; returns (rows, moved shape)."""
    if isinstance(axis, bool) or not hasattr(axis, "__index__"):
        raise TypeError(f"{name} must be an integer, got {type(axis).__name__}")
    axis = axis.__index__()
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{name} {axis} is out of bounds for an array of dimension {x.ndim}")
    moved = np.moveaxis(x, axis, -1)
    rows = np.ascontiguousarray(moved).reshape(-1, moved.shape[-1]) if moved.size else None
    return rows, moved.shape, axis


def softmax(x, axis=-1):
    """Softmax along ``axis``: ``exp(x - max) / sum(exp(x - max))``.

    One parallel kernel per row: the maximum, the exponentials and their sum,
    then one scaling pass while the row is still in cache. Inputs of 1e4 do
    not overflow; a row holding NaN (or +Inf, as in SciPy) gives NaN.

    Parameters
    ----------
    x : array_like
    axis : int, default -1

    Returns
    -------
    ndarray, same shape and float dtype as ``x``

    Examples
    --------
    >>> import numpy as np, fastmath as fm
    >>> fm.softmax(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    """
    x = as_float_array(x, "x", min_ndim=1)
    rows, moved_shape, axis = _rows_along(x, axis)
    if rows is None:
        return np.empty(x.shape, dtype=x.dtype)
    out = np.empty_like(rows)
    with kernel_threads(rows.size, "transcendental"):
        k.softmax_rows(rows, out)
    return np.moveaxis(out.reshape(moved_shape), -1, axis)


def logsumexp(x, axis=-1):
    """``log(sum(exp(x)))`` along ``axis``, without overflow.

    Matches ``scipy.special.logsumexp``: a row's finite maximum is factored
    out, an all ``-inf`` row gives ``-inf``, any ``+inf`` gives ``+inf`` and
    NaN propagates.

    Parameters
    ----------
    x : array_like
    axis : int, default -1

    Returns
    -------
    ndarray, ``x``'s shape without ``axis``

    Examples
    --------
    >>> import numpy as np, fastmath as fm
    >>> round(float(fm.logsumexp(np.array([1e4, 1e4])) - 1e4), 9)  # log(2)
    0.693147181
    """
    x = as_float_array(x, "x", min_ndim=1)
    rows, moved_shape, axis = _rows_along(x, axis)
    if rows is None:
        fill = -np.inf if moved_shape[-1] == 0 else 0.0
        return np.full(moved_shape[:-1], fill, dtype=x.dtype)
    out = np.empty(rows.shape[0], dtype=x.dtype)
    with kernel_threads(rows.size, "transcendental"):
        k.logsumexp_rows(rows, out)
    return out.reshape(moved_shape[:-1])
