"""Numerically stable :func:`softmax` and :func:`logsumexp`, drop-ins for ``scipy.special``'s."""
from __future__ import annotations

import math

import numpy as np

from .._config.threads import kernel_threads
from .._validation import as_float_array, check_axis, result_dtype
from . import _kernels as k

__all__ = ["softmax", "logsumexp"]


def _axes(ndim: int, axis) -> tuple:
    """``axis`` (None, an int or a tuple of ints) as a sorted tuple of distinct axes."""
    if axis is None:
        return tuple(range(ndim))
    items = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(check_axis(a, ndim) for a in items)
    if len(set(axes)) != len(axes):
        raise ValueError(f"axis {axis!r} repeats an axis")
    return tuple(sorted(axes))


def _rows(x: np.ndarray, axes: tuple):
    """``x`` as C-ordered rows: the kept axes first (flattened), the reduced axes last."""
    kept = [a for a in range(x.ndim) if a not in axes]
    if axes == tuple(range(x.ndim - len(axes), x.ndim)):
        moved = x  # the reduced axes are already last (the common case): no transpose
    else:
        moved = np.transpose(x, kept + list(axes))
    reduced = math.prod(x.shape[a] for a in axes)
    n_rows = math.prod(x.shape[a] for a in kept)
    return np.ascontiguousarray(moved).reshape(n_rows, reduced), moved.shape, kept


def softmax(x, axis=None):
    """Softmax: ``exp(x) / sum(exp(x))`` over ``axis``, as ``scipy.special.softmax``.

    One parallel kernel per row of the reduced axes: the maximum, the
    exponentials and their sum, then one scaling pass while the row is still
    in cache. Inputs of 1e4 do not overflow; a row holding NaN or +inf gives
    NaN, as in SciPy.

    Parameters
    ----------
    x : array_like
        Real numbers; float32 stays float32, anything else computes in float64.
    axis : None, int or tuple of ints, default None
        Axes to normalize over: None is the whole array (SciPy's default).

    Returns
    -------
    ndarray or NumPy scalar
        The shape of ``x``; a NumPy scalar for a scalar ``x``. It sums to 1
        over ``axis``.

    Raises
    ------
    ValueError
        ``axis`` is out of bounds or repeated, or the reduced axes are empty.

    Examples
    --------
    >>> import numpy as np, fastmath as fm
    >>> fm.softmax(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    >>> round(float(fm.softmax(np.array([[1.0, 2.0], [3.0, 4.0]])).sum()), 12)
    1.0
    >>> fm.softmax(np.array([[1.0, 1.0], [2.0, 2.0]]), axis=1)
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    x = as_float_array(x, "x")
    scalar = x.ndim == 0
    x1 = np.atleast_1d(x)
    axes = _axes(x1.ndim, axis)
    rows, moved_shape, kept = _rows(x1, axes)
    if rows.shape[1] == 0:  # SciPy fails here too (a maximum over nothing)
        raise ValueError(f"softmax over axis {axis!r} of x of shape {x1.shape}: the axes are "
                         f"empty, so there is nothing to normalize")
    out = np.empty_like(rows)
    if rows.size:
        with kernel_threads(rows.size, "transcendental"):
            k.softmax_rows(rows, out)
    result = out.reshape(moved_shape)
    if kept + list(axes) != list(range(x1.ndim)):  # undo the move of the reduced axes
        result = np.transpose(result, np.argsort(kept + list(axes)))
    return result.reshape(())[()] if scalar else result


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a)))`` over ``axis`` without overflow, as ``scipy.special.logsumexp``.

    The row maximum ``m`` is factored out and the rest summed through
    ``log1p``, SciPy's formula, so ``logsumexp([0, -20])`` keeps full
    precision. An all ``-inf`` row gives ``-inf``, any ``+inf`` gives
    ``+inf`` and NaN propagates.

    Parameters
    ----------
    a : array_like
        Real numbers; float32 stays float32, anything else computes in float64.
    axis : None, int or tuple of ints, default None
        Axes to sum over: None is the whole array (SciPy's default).
    b : array_like, optional
        Weights of ``exp(a)``, broadcastable with ``a``; they may be negative.
    keepdims : bool, default False
        Keep the reduced axes, with size one.
    return_sign : bool, default False
        Return ``(log|sum|, sign of sum)``; without it, a negative sum gives NaN.

    Returns
    -------
    res : ndarray or NumPy scalar
        A NumPy scalar for a full reduction (``keepdims=False``).
    sgn : ndarray or NumPy scalar
        With ``return_sign``: +1, 0 or -1.

    Raises
    ------
    ValueError
        ``axis`` is out of bounds or repeated, or ``a`` and ``b`` do not
        broadcast.

    Examples
    --------
    >>> import numpy as np, fastmath as fm
    >>> round(float(fm.logsumexp(np.array([1e4, 1e4])) - 1e4), 9)  # log(2)
    0.693147181
    >>> float(fm.logsumexp([0.0, -20.0]))
    2.061153620314381e-09
    >>> fm.logsumexp([1.0, 2.0], b=[1.0, -1.0], return_sign=True)
    (np.float64(1.5413248546129181), np.float64(-1.0))
    """
    a = as_float_array(a, "a")
    if b is not None:
        b = as_float_array(b, "b")
        dtype = result_dtype(a.dtype, b.dtype)
        try:
            a, b = np.broadcast_arrays(a.astype(dtype, copy=False), b.astype(dtype, copy=False))
        except ValueError:
            raise ValueError(f"a of shape {a.shape} and b of shape {b.shape} do not broadcast") \
                from None
    a = np.atleast_1d(a)
    b = None if b is None else np.atleast_1d(b)
    axes = _axes(a.ndim, axis)
    kept_shape = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
    if a.size == 0:
        out = np.full(kept_shape, -np.inf, dtype=a.dtype)
        sgn = np.sign(out)
    else:
        rows, _, _ = _rows(a, axes)
        weights = np.zeros((0, 0), rows.dtype) if b is None else _rows(b, axes)[0]
        out = np.empty(rows.shape[0], np.float64)
        sgn = np.empty(rows.shape[0], np.float64)
        unresolved = np.zeros(rows.shape[0], np.bool_)
        with kernel_threads(rows.size, "transcendental"):
            k.logsumexp_rows(rows, weights, b is not None, out, sgn, unresolved)
        if unresolved.any():  # non-finite: the direct formula, as SciPy
            direct_a = rows[unresolved].astype(np.float64)
            with np.errstate(all="ignore"):
                terms = np.exp(direct_a) if b is None else weights[unresolved] * np.exp(direct_a)
                total = terms.sum(axis=1)
                out[unresolved] = np.log(np.abs(total))
                sgn[unresolved] = np.sign(total)
        if not return_sign:
            out[sgn < 0] = np.nan
        order = np.argsort([i for i in range(a.ndim) if i not in axes] + list(axes))
        reduced_moved = tuple(a.shape[i] for i in range(a.ndim) if i not in axes) + (1,) * len(axes)
        out = np.transpose(out.astype(a.dtype).reshape(reduced_moved), order)
        sgn = np.transpose(sgn.astype(a.dtype).reshape(reduced_moved), order)
    if not keepdims:
        out, sgn = np.squeeze(out, axis=axes), np.squeeze(sgn, axis=axes)
    out = out[()] if out.ndim == 0 else out
    sgn = sgn[()] if sgn.ndim == 0 else sgn
    return (out, sgn) if return_sign else out

