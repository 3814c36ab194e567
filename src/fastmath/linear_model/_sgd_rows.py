"""Row access for the SGD step: dense rows and CSR rows behind the same operations
(dot product, axpy, the cumulative L1 penalty, averaging, prefetching), picked by the
``sparse`` flag, plus the validation score and the finiteness check."""
from __future__ import annotations

import numpy as np

from .._config.jit import FASTMATH_FLAGS_ORDERED, jit
from .._prefetch import prefetch, prefetch_row, prefetch_span


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
    for k in range(indptr[i], indptr[i + 1]):
        s += w[indices[k]] * data[k]
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
    for k in range(indptr[i], indptr[i + 1]):
        j = indices[k]
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
    for k in range(indptr[i], indptr[i + 1]):
        j = indices[k]
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
def _l1_penalty(w, q, aw, indptr, indices, sparse, i, u, wscale, average_a, track):
    """Apply the cumulative penalty ``u`` to the features of row ``i``."""
    T = w.dtype.type
    if sparse:
        return _l1_sparse(w, q, aw, indptr, indices, i, T(u), T(wscale), T(1.0 / wscale),
                          T(average_a))
    return _l1_dense(w, q, aw, T(u), T(wscale), T(1.0 / wscale), T(average_a), track)


@jit
def _prefetch_rows(X, indptr, indices, data, sparse, y, sw, order, ii):
    """Ask for the rows a few steps ahead in ``order`` (shuffled rows miss the cache)."""
    n = order.shape[0]
    ahead = 8 if sparse else 4
    if ii + 2 * ahead < n:
        later = order[ii + 2 * ahead]
        prefetch(y, later)
        prefetch(sw, later)
        if sparse:
            prefetch(indptr, later)
    if ii + ahead < n:
        nxt = order[ii + ahead]
        if sparse:
            prefetch_span(indices, indptr[nxt], indptr[nxt + 1])
            prefetch_span(data, indptr[nxt], indptr[nxt + 1])
        else:
            prefetch_row(X, nxt)


@jit
def _add_average(aw, X, indptr, indices, data, sparse, i, c_over_wscale, average_a):
    """The lazy running average of Xu (2011), as scikit-learn's ``add_average``."""
    g = aw.dtype.type(-average_a * c_over_wscale)
    if sparse:
        for k in range(indptr[i], indptr[i + 1]):
            aw[indices[k]] += g * data[k]
    else:
        row = X[i]
        for j in range(row.shape[0]):
            aw[j] += g * row[j]


@jit
def _validation_score(w, b, X, indptr, indices, data, sparse, y, sw, positive, val, classifier):
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
        if sparse:
            p = _sparse_dot(w, indptr, indices, data, i) + b
        else:
            p = _dense_dot(w, X, i) + b
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
def _row_sqnorm(X, indptr, data, sparse, i):
    sq = 0.0
    if sparse:
        for k in range(indptr[i], indptr[i + 1]):
            sq += np.float64(data[k]) * np.float64(data[k])
    else:
        row = X[i]
        for j in range(row.shape[0]):
            sq += np.float64(row[j]) * np.float64(row[j])
    return sq
