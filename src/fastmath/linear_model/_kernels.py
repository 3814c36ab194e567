"""Compiled SGD training for linear models: whole fits run in one call.

The update rules are scikit-learn's plain SGD (``_plain_sgd``): the weight
vector is stored as ``wscale * w`` so that L2 shrinkage costs O(1) per sample,
and the L1 part of the penalty is the cumulative penalty of Tsuruoka, Tsujii
and Ananiadou (2009), applied to the features of the current sample only, so
each sample costs O(nnz) for sparse rows. Dense and CSR rows share one kernel;
the ``sparse`` flag picks the row accessors.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange

from .._config.jit import FASTMATH_FLAGS_ORDERED, jit, jit_parallel
from .._cycles import cycle_count
from .._prefetch import prefetch, prefetch_row, prefetch_span
from .._random import shuffle_inplace

# Loss codes. The perceptron is the hinge loss with threshold 0.
HINGE, LOG, MODIFIED_HUBER, SQUARED_HINGE = 0, 1, 2, 3
SQUARED_ERROR, HUBER, EPSILON_INSENSITIVE, SQUARED_EPSILON_INSENSITIVE = 4, 5, 6, 7
# Penalty codes and learning-rate schedules.
PENALTY_NONE, PENALTY_L2, PENALTY_L1, PENALTY_ELASTICNET = 0, 1, 2, 3
LR_CONSTANT, LR_OPTIMAL, LR_INVSCALING, LR_ADAPTIVE = 0, 1, 2, 3
LR_PA1, LR_PA2 = 4, 5  # passive-aggressive steps (Crammer et al. 2006), eta0 is their C
# Status of a fit.
OK, DIVERGED = 0, 1

MAX_DLOSS = 1e12


class SGDSettings(NamedTuple):
    """Scalars shared by every sub-problem of one fit (a numba named tuple)."""

    loss: int
    loss_param: float  # hinge threshold, or epsilon of the huber/insensitive losses
    penalty: int
    alpha: float
    l1_ratio: float
    learning_rate: int
    eta0: float
    power_t: float
    fit_intercept: bool
    intercept_decay: float
    max_iter: int
    tol: float  # -inf: run max_iter epochs
    n_iter_no_change: int
    early_stopping: bool
    shuffle: bool
    average: int  # 0: off; otherwise averaging starts at sample number ``average``
    classifier: bool  # validation score: accuracy (True) or R^2 (False)
    wscale_floor: float  # fold wscale into w below this (1e-9 float64, 1e-6 float32)


@jit(fastmath=False)  # scalar, IEEE like scikit-learn's: SGD amplifies a rounding difference
def _log1pexp(x):
    """``log(1 + exp(x))`` without overflow, scikit-learn's piecewise formula."""
    if x <= -37.0:
        return np.exp(x)
    if x <= -2.0:
        return np.log1p(np.exp(x))
    if x <= 18.0:
        return np.log(1.0 + np.exp(x))
    if x <= 33.3:
        return x + np.exp(-x)
    return x


@jit(fastmath=False)
def loss_value(code, param, y, p):
    """Loss of prediction ``p`` for target ``y`` (scikit-learn's definitions).

    The log loss is scikit-learn's half binomial loss on the label ``(y + 1) / 2``.
    """
    if code == HINGE:
        z = p * y
        return param - z if z <= param else 0.0
    if code == LOG:
        return _log1pexp(p) - 0.5 * (y + 1.0) * p
    if code == MODIFIED_HUBER:
        z = p * y
        if z >= 1.0:
            return 0.0
        if z >= -1.0:
            return (1.0 - z) * (1.0 - z)
        return -4.0 * z
    if code == SQUARED_HINGE:
        z = param - p * y
        return z * z if z > 0.0 else 0.0
    if code == SQUARED_ERROR:
        return 0.5 * (p - y) * (p - y)
    if code == HUBER:
        r = abs(p - y)
        return 0.5 * r * r if r <= param else param * r - 0.5 * param * param
    r = max(0.0, abs(y - p) - param)
    return r if code == EPSILON_INSENSITIVE else r * r


@jit(fastmath=False)
def loss_gradient(code, param, y, p):
    """Derivative of :func:`loss_value` with respect to ``p``."""
    if code == HINGE:
        return -y if p * y <= param else 0.0
    if code == LOG:  # expit(p) - label, in scikit-learn's stable form
        label = 0.5 * (y + 1.0)
        if p > -37.0:
            e = np.exp(-p)
            return ((1.0 - label) - label * e) / (1.0 + e)
        return np.exp(p) - label
    if code == MODIFIED_HUBER:
        z = p * y
        if z >= 1.0:
            return 0.0
        if z >= -1.0:
            return -2.0 * (1.0 - z) * y
        return -4.0 * y
    if code == SQUARED_HINGE:
        z = param - p * y
        return -2.0 * y * z if z > 0.0 else 0.0
    if code == SQUARED_ERROR:
        return p - y
    if code == HUBER:
        r = p - y
        if abs(r) <= param:
            return r
        return param if r > 0.0 else -param
    z = y - p
    if code == EPSILON_INSENSITIVE:
        if z > param:
            return -1.0
        return 1.0 if -z > param else 0.0
    if z > param:
        return -2.0 * (z - param)
    return 2.0 * (-z - param) if z < -param else 0.0


# --- row accessors: dense rows vectorize, sparse rows gather (kept ordered:
# AVX-512 gathers are slower than scalar loads on the CPUs we measured) ---

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


# Slots of the float64 state vector a fit carries between epochs and row blocks.
WSCALE, B, AVG_B, AVG_A, AVG_DEN, U, T, ETA, OBJECTIVE, SQ_RAW, L1_RAW = range(11)
BEST_OBJECTIVE, BEST_SCORE, NO_IMPROVEMENT, N_STATE = 11, 12, 13, 14


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


@jit
def _train_rows(X, indptr, indices, data, sparse, y, sw, positive, rows, w, aw, q, st, s,
                l1_ratio, optimal_init, track, weight_pos, weight_neg, pa):
    """One SGD step per row of ``rows``, in order (scikit-learn's ``_plain_sgd`` body).

    ``pa`` is None for gradient steps and True for the passive-aggressive ones:
    numba prunes the other branch per type, so the gradient loop stays as lean
    as without PA (with both in one loop, CSR epochs took twice as long).
    """
    alpha = s.alpha
    wscale, b, avg_b = st[WSCALE], st[B], st[AVG_B]
    average_a, average_b, u, t, eta = st[AVG_A], st[AVG_DEN], st[U], st[T], st[ETA]
    objective, sq_raw, l1_raw = st[OBJECTIVE], st[SQ_RAW], st[L1_RAW]
    for ii in range(rows.shape[0]):
        i = rows[ii]
        _prefetch_rows(X, indptr, indices, data, sparse, y, sw, rows, ii)
        if sparse:
            p = np.float64(_sparse_dot(w, indptr, indices, data, i)) * wscale + b
        else:
            p = np.float64(_dense_dot(w, X, i)) * wscale + b
        if s.learning_rate == LR_OPTIMAL:
            eta = 1.0 / (alpha * (optimal_init + t - 1.0))
        elif s.learning_rate == LR_INVSCALING:
            eta = s.eta0 / t ** s.power_t
        yi = _target(y, i, positive)
        if track:
            objective += loss_value(s.loss, s.loss_param, yi, p)
            if s.penalty != PENALTY_NONE and pa is None:
                objective += alpha * ((1.0 - l1_ratio) * 0.5 * wscale * wscale * sq_raw
                                      + l1_ratio * wscale * l1_raw)
        class_weight = weight_pos if yi > 0.0 else weight_neg
        if pa is not None:
            # the smallest step that zeroes the loss, capped (PA-I) or damped (PA-II) by C
            sq = _row_sqnorm(X, indptr, data, sparse, i)
            if s.learning_rate == LR_PA1:
                if sq == 0.0:
                    continue  # as scikit-learn: the sample is skipped, t does not advance
                update = min(s.eta0, loss_value(s.loss, s.loss_param, yi, p) / sq)
            else:
                update = loss_value(s.loss, s.loss_param, yi, p) / (sq + 0.5 / s.eta0)
            if s.classifier:
                update *= yi
            elif yi - p < 0.0:
                update = -update
            update *= class_weight * sw[i]
        else:
            dloss = loss_gradient(s.loss, s.loss_param, yi, p)
            if dloss < -MAX_DLOSS:  # comparisons, not min/max: NaN must propagate
                dloss = -MAX_DLOSS
            elif dloss > MAX_DLOSS:
                dloss = MAX_DLOSS
            update = -eta * dloss * class_weight * sw[i]
        if s.penalty == PENALTY_L2 or s.penalty == PENALTY_ELASTICNET:
            wscale *= max(0.0, 1.0 - (1.0 - l1_ratio) * eta * alpha)
            if wscale < s.wscale_floor:  # fold the scale into w
                if s.average > 0:
                    for j in range(w.shape[0]):
                        aw[j] = (aw[j] + average_a * w[j]) / average_b
                    average_a = 0.0
                    average_b = 1.0
                for j in range(w.shape[0]):
                    w[j] *= wscale
                sq_raw *= wscale * wscale
                l1_raw *= wscale
                wscale = 1.0
        if update != 0.0:
            c = w.dtype.type(update / wscale)
            if sparse:
                dsq, dl1 = _sparse_axpy(w, indptr, indices, data, i, c, track)
            else:
                dsq, dl1 = _dense_axpy(w, X, i, c, track)
            sq_raw += dsq
            l1_raw += dl1
            if s.fit_intercept:
                b += update * s.intercept_decay
        if 0 < s.average <= t:
            n_avg = t - s.average + 1.0
            _add_average(aw, X, indptr, indices, data, sparse, i, update / wscale, average_a)
            if n_avg > 1.0:
                average_b /= 1.0 - 1.0 / n_avg
            average_a += average_b * wscale / n_avg
            avg_b += (b - avg_b) / n_avg
        if s.penalty >= PENALTY_L1:
            u += l1_ratio * eta * alpha
            dsq, dl1 = _l1_penalty(w, q, aw, indptr, indices, sparse, i, u, wscale,
                                   average_a, track)
            sq_raw += dsq
            l1_raw += dl1
        t += 1.0
    st[WSCALE], st[B], st[AVG_B] = wscale, b, avg_b
    st[AVG_A], st[AVG_DEN], st[U], st[T], st[ETA] = average_a, average_b, u, t, eta
    st[OBJECTIVE], st[SQ_RAW], st[L1_RAW] = objective, sq_raw, l1_raw


@jit
def _fold_scale(w, aw, st, average):
    """Make ``w`` the true weights (wscale 1) and fold the running average into ``aw``."""
    wscale = st[WSCALE]
    if average > 0:
        for j in range(w.shape[0]):
            aw[j] = (aw[j] + st[AVG_A] * w[j]) / st[AVG_DEN]
        st[AVG_A] = 0.0
        st[AVG_DEN] = 1.0
    for j in range(w.shape[0]):
        w[j] *= wscale
    st[WSCALE] = 1.0


@jit
def _setup(w, b0, ab0, s, t0):
    """State vector, L1 accumulators and the constants of a fit."""
    st = np.zeros(N_STATE)
    st[WSCALE], st[B], st[AVG_B] = 1.0, b0, ab0
    st[AVG_DEN], st[T], st[ETA] = 1.0, t0, s.eta0
    st[BEST_OBJECTIVE], st[BEST_SCORE] = np.inf, -np.inf
    q = np.zeros(w.shape[0] if s.penalty >= PENALTY_L1 else 0, dtype=w.dtype)
    l1_ratio = s.l1_ratio
    if s.penalty == PENALTY_L2:
        l1_ratio = 0.0
    elif s.penalty == PENALTY_L1:
        l1_ratio = 1.0
    optimal_init = 0.0
    if s.learning_rate == LR_OPTIMAL:
        typw = np.sqrt(1.0 / np.sqrt(s.alpha))
        initial_eta0 = typw / max(1.0, loss_gradient(s.loss, s.loss_param, 1.0, -typw))
        optimal_init = 1.0 / (initial_eta0 * s.alpha)
    track = s.tol > -np.inf and not s.early_stopping  # the objective needs the norms
    return st, q, l1_ratio, optimal_init, track


@jit
def _begin_epoch(w, st, track):
    st[OBJECTIVE] = 0.0
    if track:
        st[SQ_RAW], st[L1_RAW] = _norms(w)


@jit
def _end_epoch(X, indptr, indices, data, sparse, y, sw, positive, val, w, aw, st, s, n_train):
    """Divergence check and scikit-learn's stopping rule; returns (stop, status)."""
    if not _all_finite(w, st[B]):
        return True, DIVERGED
    if s.early_stopping:
        _fold_scale(w, aw, st, s.average)  # the score wants the true weights
        score = _validation_score(w, st[B], X, indptr, indices, data, sparse, y, sw, positive,
                                  val, s.classifier)
        if s.tol > -np.inf and score < st[BEST_SCORE] + s.tol:
            st[NO_IMPROVEMENT] += 1
        else:
            st[NO_IMPROVEMENT] = 0
        st[BEST_SCORE] = max(st[BEST_SCORE], score)
    else:
        objective = st[OBJECTIVE] / max(1, n_train)
        if s.tol > -np.inf and objective > st[BEST_OBJECTIVE] - s.tol:
            st[NO_IMPROVEMENT] += 1
        else:
            st[NO_IMPROVEMENT] = 0
        st[BEST_OBJECTIVE] = min(st[BEST_OBJECTIVE], objective)
    if st[NO_IMPROVEMENT] >= s.n_iter_no_change:
        if s.learning_rate == LR_ADAPTIVE and st[ETA] > 1e-6:
            st[ETA] /= 5.0
            st[NO_IMPROVEMENT] = 0
        else:
            return True, OK
    return False, OK


@jit
def _finish(w, aw, st, s, b_out, ab_out, n_iter, status):
    """Write the true weights and intercepts back; the return value of a fit."""
    _fold_scale(w, aw, st, s.average)
    b_out[0] = st[B]
    ab_out[0] = st[AVG_B]
    return n_iter, status, st[T]


@jit
def fit_one(X, indptr, indices, data, sparse, y, sw, positive, train, val,
            w, b_out, aw, ab_out, seed, s, t0, weight_pos, weight_neg, pa):
    """Train one binary (``positive >= 0``) or regression problem in place.

    ``w``/``b_out[0]`` hold the initial and then the fitted weights and
    intercept; ``aw``/``ab_out[0]`` the averaged ones. Returns
    ``(n_iter, status, t)`` where ``t`` is the sample counter after the fit.
    """
    order = train.copy()
    state = np.full(1, seed, dtype=np.uint64)
    st, q, l1_ratio, optimal_init, track = _setup(w, b_out[0], ab_out[0], s, t0)
    n_iter = 0
    status = OK
    for epoch in range(s.max_iter):
        if s.shuffle:
            shuffle_inplace(order, state)
        _begin_epoch(w, st, track)
        _train_rows(X, indptr, indices, data, sparse, y, sw, positive, order, w, aw, q, st, s,
                    l1_ratio, optimal_init, track, weight_pos, weight_neg, pa)
        n_iter = epoch + 1
        stop, status = _end_epoch(X, indptr, indices, data, sparse, y, sw, positive, val, w, aw,
                                  st, s, order.shape[0])
        if stop:
            break
    return _finish(w, aw, st, s, b_out, ab_out, n_iter, status)


@jit
def _gather(X, y, sw, order, start, stop, Xb, yb, swb):
    """Copy rows ``order[start:stop]`` of X, y and sw into the block buffers."""
    d = X.shape[1]
    for r in range(stop - start):
        i = order[start + r]
        if r + 8 < stop - start:  # ask for a later row while this one is copied
            prefetch_row(X, order[start + r + 8])
        for j in range(d):
            Xb[r, j] = X[i, j]
        yb[r] = y[i]
        swb[r] = sw[i]


PROBE_BLOCKS = 2  # blocks timed in each mode at the start of every epoch (after block 0)
STALL_FACTOR = 1.5  # a pipelined block this much slower than the straight path: stop pipelining


@jit_parallel
def fit_one_pipelined(X, y, sw, positive, train, val, w, b_out, aw, ab_out, seed, s, t0,
                      weight_pos, weight_neg, block_rows, pa):
    """:func:`fit_one` for dense X on two threads: one trains, one gathers.

    Visiting shuffled rows is bound by memory latency. Here each epoch's rows
    are copied in shuffled order, one block ahead, into a double buffer by a
    second thread, while the first trains on the previous block from cache.
    That only pays when the second thread really runs: on a busy machine it
    may wait for a core. So every epoch times its first blocks both ways
    (pipelined, and trained straight from X with prefetching, on one thread)
    and keeps the faster, and a pipelined block that stalls switches the rest
    of the epoch to the straight path. The rows and the
    per-sample arithmetic are those of :func:`fit_one` either way, so the
    weights are the same bit for bit (averaged weights up to the rounding of
    the final fold, which the compiler may contract differently).
    """
    order = train.copy()
    state = np.full(1, seed, dtype=np.uint64)
    st, q, l1_ratio, optimal_init, track = _setup(w, b_out[0], ab_out[0], s, t0)
    n_train = order.shape[0]
    d = X.shape[1]
    Xb = np.empty((2, block_rows, d), X.dtype)
    yb = np.empty((2, block_rows), y.dtype)
    swb = np.empty((2, block_rows), sw.dtype)
    iota = np.arange(block_rows)
    no_rows = np.zeros(1, np.int32)  # the dense placeholders the Python side passes too
    no_data = np.zeros(0, X.dtype)
    n_blocks = (n_train + block_rows - 1) // block_rows
    slot = np.full(2, -1, np.int64)  # which block each buffer holds
    spent = np.zeros(2)  # probe cycles per row: [straight, pipelined]
    n_iter = 0
    status = OK
    for epoch in range(s.max_iter):
        if s.shuffle:
            shuffle_inplace(order, state)
        _begin_epoch(w, st, track)
        slot[:] = -1
        spent[:] = 0.0
        pipelined = True
        for blk in range(n_blocks):
            start = blk * block_rows
            stop = min(start + block_rows, n_train)
            # block 0 fills the pipeline; blocks 1..P time it, P+1..2P time the straight path
            if blk <= PROBE_BLOCKS:
                pipe = True
            elif blk <= 2 * PROBE_BLOCKS:
                pipe = False
            else:
                if blk == 2 * PROBE_BLOCKS + 1:
                    pipelined = spent[1] <= spent[0]
                pipe = pipelined
            nxt = blk + 1
            next_pipe = nxt < n_blocks and (nxt <= PROBE_BLOCKS or (
                nxt > 2 * PROBE_BLOCKS + 1 and pipelined))
            begin = cycle_count()
            if pipe:
                cur = blk % 2
                if slot[cur] != blk:
                    _gather(X, y, sw, order, start, stop, Xb[cur], yb[cur], swb[cur])
                    slot[cur] = blk
                for task in prange(2):
                    if task == 0:
                        _train_rows(Xb[cur], no_rows, no_rows, no_data, False, yb[cur],
                                    swb[cur], positive, iota[:stop - start], w, aw, q, st, s,
                                    l1_ratio, optimal_init, track, weight_pos, weight_neg, pa)
                    elif next_pipe:
                        _gather(X, y, sw, order, stop, min(stop + block_rows, n_train),
                                Xb[1 - cur], yb[1 - cur], swb[1 - cur])
                if next_pipe:
                    slot[1 - cur] = nxt
            else:
                _train_rows(X, no_rows, no_rows, no_data, False, y, sw, positive,
                            order[start:stop], w, aw, q, st, s, l1_ratio, optimal_init, track,
                            weight_pos, weight_neg, pa)
            per_row = (cycle_count() - begin) / (stop - start)
            if 0 < blk <= 2 * PROBE_BLOCKS:
                spent[1 if pipe else 0] += per_row
            elif pipe and per_row > STALL_FACTOR * spent[0] / PROBE_BLOCKS:
                pipelined = False  # the gather thread stalled (a busy core): straight till the epoch ends
        n_iter = epoch + 1
        stop_fit, status = _end_epoch(X, no_rows, no_rows, no_data, False, y, sw, positive, val,
                                      w, aw, st, s, n_train)
        if stop_fit:
            break
    return _finish(w, aw, st, s, b_out, ab_out, n_iter, status)


@jit_parallel
def fit_many(X, indptr, indices, data, sparse, y, sw, positives, train, val,
             coef, intercept, avg_coef, avg_intercept, seeds, s, t0, weights_pos, weights_neg,
             n_iter, status, t_end, pa):
    """:func:`fit_one` for each row of ``coef``, the problems spread over the threads."""
    for k in prange(positives.shape[0]):
        n_iter[k], status[k], t_end[k] = fit_one(
            X, indptr, indices, data, sparse, y, sw, positives[k], train, val,
            coef[k], intercept[k:k + 1], avg_coef[k], avg_intercept[k:k + 1], seeds[k], s, t0,
            weights_pos[k], weights_neg[k], pa)
