"""Row access for the SGD step: dense rows and CSR rows behind the same operations.

A fit passes its rows as :class:`DenseRows` or :class:`CsrRows`; the ``row_*``
functions (``row_dot``, ``row_axpy``, ``row_sqnorm``, ``row_add_average``,
``row_l1``, ``prefetch_ahead``) are dispatched on that type with
``numba.extending.overload``, as scikit-learn's ``SequentialDataset`` hides dense
versus CSR. Each row type compiles its own trainer, so neither carries the
other's branches or placeholder arrays. Adding a row type (a CSC view, a
memory-mapped block) means one record class and one implementation per operation. Also here: the validation score and the
finiteness check.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import types
from numba.extending import overload

from .._config.jit import FASTMATH_FLAGS, FASTMATH_FLAGS_ORDERED, jit
from .._prefetch import prefetch, prefetch_row, prefetch_span


class DenseRows(NamedTuple):
    """The rows of a C-contiguous 2-D array."""

    X: np.ndarray


class CsrRows(NamedTuple):
    """The rows of a validated CSR matrix (int32 or int64 indices)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray


# An overload's implementation is compiled with numba's defaults unless told: give it
# ``jit``'s options, and inline it in numba's IR. Left as a call, the CSR trainer
# ran 1.3x slower than with the row arrays passed loose (measured, 500,000-row CSR).
_ROW_OPTIONS = {"fastmath": set(FASTMATH_FLAGS), "error_model": "numpy", "nogil": True}


def _is(rows, cls):
    return isinstance(rows, types.NamedTuple) and rows.instance_class is cls


@jit
def _positions(indptr, i):
    """Row ``i``'s stored-value positions, unsigned: the CSR structure was validated, and
    numba then skips the negative-index wraparound on every ``indices[k]``, ``data[k]``
    and ``w[indices[k]]`` (as in :func:`fastmath.linalg._kernels.csr_spmv`)."""
    return range(np.uint64(indptr[i]), np.uint64(indptr[i + 1]))


@jit
def _dense_dot(w, X, i):
    row = X[i]  # a 1-D C-contiguous view: the loop vectorizes
    s = w.dtype.type(0.0)
    for j in range(row.shape[0]):
        s += w[j] * row[j]
    return s


@jit(fastmath=set(FASTMATH_FLAGS_ORDERED))
def _sparse_dot(w, indptr, indices, data, i):
    s = w.dtype.type(0.0)
    for k in _positions(indptr, i):
        s += w[np.uint64(indices[k])] * data[k]
    return s


@jit
def _dense_axpy(w, X, i, c, track):
    """w += c * X[i]; with ``track``, return the change of sum(w**2) and sum|w|."""
    row = X[i]
    dsq = 0.0
    dl1 = 0.0
    if track:
        for j in range(row.shape[0]):
            old = w[j]
            new = old + c * row[j]
            w[j] = new
            dsq += np.float64(new * new - old * old)
            dl1 += np.float64(abs(new) - abs(old))
    else:
        for j in range(row.shape[0]):
            w[j] += c * row[j]
    return dsq, dl1


@jit(fastmath=set(FASTMATH_FLAGS_ORDERED))
def _sparse_axpy(w, indptr, indices, data, i, c, track):
    dsq = 0.0
    dl1 = 0.0
    for k in _positions(indptr, i):
        j = np.uint64(indices[k])
        old = w[j]
        new = old + c * data[k]
        w[j] = new
        if track:
            dsq += np.float64(new * new - old * old)
            dl1 += np.float64(abs(new) - abs(old))
    return dsq, dl1


@jit
def _truncate(z, qj, u, inv_wscale):
    """Tsuruoka's clipped step of one raw weight ``z`` towards zero."""
    pos = max(0.0, z - (u + qj) * inv_wscale)
    neg = min(0.0, z + (u - qj) * inv_wscale)
    return pos if z > 0.0 else (neg if z < 0.0 else z)


@jit
def _l1_dense(w, q, aw, u, wscale, inv_wscale, average_a, track):
    """Cumulative L1 penalty on every feature (dense rows): branch-free loops."""
    dsq = 0.0
    dl1 = 0.0
    if track or average_a != 0.0:
        for j in range(w.shape[0]):
            z = w[j]
            new = _truncate(z, q[j], u, inv_wscale)
            w[j] = new
            q[j] += wscale * (new - z)
            aw[j] -= average_a * (new - z)  # keep the running average unchanged
            dsq += np.float64(new * new - z * z)
            dl1 += np.float64(abs(new) - abs(z))
    else:
        for j in range(w.shape[0]):
            z = w[j]
            new = _truncate(z, q[j], u, inv_wscale)
            w[j] = new
            q[j] += wscale * (new - z)
    return dsq, dl1


@jit(fastmath=set(FASTMATH_FLAGS_ORDERED))
def _l1_sparse(w, q, aw, indptr, indices, i, u, wscale, inv_wscale, average_a):
    """Cumulative L1 penalty on the features of sparse row ``i``."""
    dsq = 0.0
    dl1 = 0.0
    for k in _positions(indptr, i):
        j = np.uint64(indices[k])
        z = w[j]
        new = _truncate(z, q[j], u, inv_wscale)
        w[j] = new
        q[j] += wscale * (new - z)
        if average_a != 0.0:
            aw[j] -= average_a * (new - z)
        dsq += np.float64(new * new - z * z)
        dl1 += np.float64(abs(new) - abs(z))
    return dsq, dl1


@jit
def _target(y, i, positive):
    """+1/-1 for one-vs-rest class ``positive`` (y holds class codes), else y[i]."""
    if positive < 0:
        return np.float64(y[i])
    return 1.0 if y[i] == positive else -1.0


@jit
def _norms(w):
    sq = 0.0
    l1 = 0.0
    for j in range(w.shape[0]):
        sq += np.float64(w[j]) * np.float64(w[j])
        l1 += abs(np.float64(w[j]))
    return sq, l1


@jit
def _all_finite(w, b):
    if not np.isfinite(b):
        return False
    for j in range(w.shape[0]):
        if not np.isfinite(w[j]):
            return False
    return True


@jit
def _sparse_add_average(aw, indptr, indices, data, i, g):
    for k in _positions(indptr, i):
        aw[np.uint64(indices[k])] += g * data[k]


@jit
def _dense_add_average(aw, X, i, g):
    row = X[i]
    for j in range(row.shape[0]):
        aw[j] += g * row[j]


@jit
def _sparse_sqnorm(indptr, data, i):
    sq = 0.0
    for k in _positions(indptr, i):
        sq += np.float64(data[k]) * np.float64(data[k])
    return sq


@jit
def _dense_sqnorm(X, i):
    row = X[i]
    sq = 0.0
    for j in range(row.shape[0]):
        sq += np.float64(row[j]) * np.float64(row[j])
    return sq


# --- the row operations, one implementation per row type -------------------------
def row_dot(rows, w, i):
    """``w . x_i``."""


def row_axpy(rows, w, i, c, track):
    """``w += c * x_i``; with ``track``, return the change of sum(w**2) and sum|w|."""


def row_sqnorm(rows, i):
    """``|x_i|**2`` in float64."""


def row_add_average(rows, aw, i, c_over_wscale, average_a):
    """The lazy running average of Xu (2011), as scikit-learn's ``add_average``."""


def row_l1(rows, w, q, aw, i, u, wscale, average_a, track):
    """Apply the cumulative L1 penalty ``u`` to the features of row ``i``."""


def prefetch_ahead(rows, y, sw, order, ii):
    """Ask for the rows a few steps ahead in ``order`` (shuffled rows miss the cache)."""


@overload(row_dot, jit_options=_ROW_OPTIONS, inline="always")
def _row_dot(rows, w, i):
    if _is(rows, CsrRows):
        return lambda rows, w, i: _sparse_dot(w, rows.indptr, rows.indices, rows.data, i)
    return lambda rows, w, i: _dense_dot(w, rows.X, i)


@overload(row_axpy, jit_options=_ROW_OPTIONS, inline="always")
def _row_axpy(rows, w, i, c, track):
    if _is(rows, CsrRows):
        return lambda rows, w, i, c, track: _sparse_axpy(w, rows.indptr, rows.indices,
                                                         rows.data, i, c, track)
    return lambda rows, w, i, c, track: _dense_axpy(w, rows.X, i, c, track)


@overload(row_sqnorm, jit_options=_ROW_OPTIONS, inline="always")
def _row_sqnorm(rows, i):
    if _is(rows, CsrRows):
        return lambda rows, i: _sparse_sqnorm(rows.indptr, rows.data, i)
    return lambda rows, i: _dense_sqnorm(rows.X, i)


@overload(row_add_average, jit_options=_ROW_OPTIONS, inline="always")
def _row_add_average(rows, aw, i, c_over_wscale, average_a):
    if _is(rows, CsrRows):
        def impl(rows, aw, i, c_over_wscale, average_a):
            _sparse_add_average(aw, rows.indptr, rows.indices, rows.data, i,
                                aw.dtype.type(-average_a * c_over_wscale))
        return impl

    def dense(rows, aw, i, c_over_wscale, average_a):
        _dense_add_average(aw, rows.X, i, aw.dtype.type(-average_a * c_over_wscale))
    return dense


@overload(row_l1, jit_options=_ROW_OPTIONS, inline="always")
def _row_l1(rows, w, q, aw, i, u, wscale, average_a, track):
    if _is(rows, CsrRows):
        def impl(rows, w, q, aw, i, u, wscale, average_a, track):
            T = w.dtype.type
            return _l1_sparse(w, q, aw, rows.indptr, rows.indices, i, T(u), T(wscale),
                              T(1.0 / wscale), T(average_a))
        return impl

    def dense(rows, w, q, aw, i, u, wscale, average_a, track):
        T = w.dtype.type
        return _l1_dense(w, q, aw, T(u), T(wscale), T(1.0 / wscale), T(average_a), track)
    return dense


@overload(prefetch_ahead, jit_options=_ROW_OPTIONS, inline="always")
def _prefetch_ahead(rows, y, sw, order, ii):
    if _is(rows, CsrRows):
        def impl(rows, y, sw, order, ii):
            n = order.shape[0]
            if ii + 16 < n:
                later = order[ii + 16]
                prefetch(y, later)
                prefetch(sw, later)
                prefetch(rows.indptr, later)
            if ii + 8 < n:
                nxt = order[ii + 8]
                prefetch_span(rows.indices, rows.indptr[nxt], rows.indptr[nxt + 1])
                prefetch_span(rows.data, rows.indptr[nxt], rows.indptr[nxt + 1])
        return impl

    def dense(rows, y, sw, order, ii):
        n = order.shape[0]
        if ii + 8 < n:
            later = order[ii + 8]
            prefetch(y, later)
            prefetch(sw, later)
        if ii + 4 < n:
            prefetch_row(rows.X, order[ii + 4])
    return dense


@jit
def validation_score(w, b, rows, y, sw, positive, val, classifier):
    """Weighted accuracy (classifier) or R^2 (regressor) on the held-out rows."""
    total = 0.0
    hits = 0.0
    y_mean = 0.0
    for ii in range(val.shape[0]):
        i = val[ii]
        total += sw[i]
        y_mean += sw[i] * _target(y, i, positive)
    if total == 0.0:
        return 0.0
    y_mean /= total
    ss_res = 0.0
    ss_tot = 0.0
    for ii in range(val.shape[0]):
        i = val[ii]
        p = row_dot(rows, w, i) + b
        yi = _target(y, i, positive)
        if classifier:
            if (p > 0.0) == (yi > 0.0):
                hits += sw[i]
        else:
            ss_res += sw[i] * (yi - p) * (yi - p)
            ss_tot += sw[i] * (yi - y_mean) * (yi - y_mean)
    if classifier:
        return hits / total
    if ss_tot == 0.0:
        return 1.0 if ss_res == 0.0 else 0.0
    return 1.0 - ss_res / ss_tot
