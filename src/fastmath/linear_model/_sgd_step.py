"""The per-row SGD step (scikit-learn's ``_plain_sgd`` body) and the epoch bookkeeping:
the state a fit carries between epochs, the stopping rule, the final weights."""
from __future__ import annotations

import numpy as np

from .._config.jit import jit
from ._sgd_losses import (
    DIVERGED,
    LR_ADAPTIVE,
    LR_INVSCALING,
    LR_OPTIMAL,
    LR_PA1,
    MAX_DLOSS,
    OK,
    PENALTY_ELASTICNET,
    PENALTY_L1,
    PENALTY_L2,
    PENALTY_NONE,
    loss_gradient,
    loss_value,
)
from ._sgd_rows import (
    _all_finite,
    _norms,
    _target,
    prefetch_ahead,
    row_add_average,
    row_axpy,
    row_dot,
    row_l1,
    row_sqnorm,
    validation_score,
)


# What a fit carries between epochs and row blocks: one record (a NumPy structured
# scalar, mutable in compiled code). The weights are ``wscale * w``; the averaged
# weights are ``(aw + avg_a * w) / avg_den``; ``u`` is the cumulative L1 penalty;
# ``sq_raw``/``l1_raw`` the squared and absolute norms of ``w``; ``t`` the sample count.
STATE = np.dtype([(name, np.float64) for name in (
    "wscale", "b", "avg_b", "avg_a", "avg_den", "u", "t", "eta", "objective", "sq_raw",
    "l1_raw", "best_objective", "best_score", "no_improvement")])


@jit
def _train_rows(rows, y, sw, positive, order, w, aw, q, st, s, l1_ratio, optimal_init, track,
                weight_pos, weight_neg, pa):
    """One SGD step per row of ``order``, in order (scikit-learn's ``_plain_sgd`` body).

    ``pa`` is None for gradient steps and True for the passive-aggressive ones:
    numba prunes the other branch per type, so the gradient loop stays as lean
    as without PA (with both in one loop, CSR epochs took twice as long).
    """
    alpha = s.alpha
    wscale, b, avg_b = st.wscale, st.b, st.avg_b
    average_a, average_b, u, t, eta = st.avg_a, st.avg_den, st.u, st.t, st.eta
    objective, sq_raw, l1_raw = st.objective, st.sq_raw, st.l1_raw
    for ii in range(order.shape[0]):
        i = order[ii]
        prefetch_ahead(rows, y, sw, order, ii)
        p = np.float64(row_dot(rows, w, i)) * wscale + b
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
            sq = row_sqnorm(rows, i)
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
            dsq, dl1 = row_axpy(rows, w, i, c, track)
            sq_raw += dsq
            l1_raw += dl1
            if s.fit_intercept:
                b += update * s.intercept_decay
        if 0 < s.average <= t:
            n_avg = t - s.average + 1.0
            row_add_average(rows, aw, i, update / wscale, average_a)
            if n_avg > 1.0:
                average_b /= 1.0 - 1.0 / n_avg
            average_a += average_b * wscale / n_avg
            avg_b += (b - avg_b) / n_avg
        if s.penalty >= PENALTY_L1:
            u += l1_ratio * eta * alpha
            dsq, dl1 = row_l1(rows, w, q, aw, i, u, wscale, average_a, track)
            sq_raw += dsq
            l1_raw += dl1
        t += 1.0
    st.wscale, st.b, st.avg_b = wscale, b, avg_b
    st.avg_a, st.avg_den, st.u, st.t, st.eta = average_a, average_b, u, t, eta
    st.objective, st.sq_raw, st.l1_raw = objective, sq_raw, l1_raw


@jit
def _fold_scale(w, aw, st, average):
    """Make ``w`` the true weights (wscale 1) and fold the running average into ``aw``."""
    wscale = st.wscale
    if average > 0:
        for j in range(w.shape[0]):
            aw[j] = (aw[j] + st.avg_a * w[j]) / st.avg_den
        st.avg_a = 0.0
        st.avg_den = 1.0
    for j in range(w.shape[0]):
        w[j] *= wscale
    st.wscale = 1.0


@jit
def _setup(w, b0, ab0, s, t0):
    """The state (a one-record array: callers keep it and work on its record), the L1
    accumulators and the constants of a fit."""
    state = np.zeros(1, dtype=STATE)
    st = state[0]
    st.wscale, st.b, st.avg_b = 1.0, b0, ab0
    st.avg_den, st.t, st.eta = 1.0, t0, s.eta0
    st.best_objective, st.best_score = np.inf, -np.inf
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
    return state, q, l1_ratio, optimal_init, track


@jit
def _begin_epoch(w, st, track):
    st.objective = 0.0
    if track:
        st.sq_raw, st.l1_raw = _norms(w)


@jit
def _end_epoch(rows, y, sw, positive, val, w, aw, st, s, n_train):
    """Divergence check and scikit-learn's stopping rule; returns (stop, status)."""
    if not _all_finite(w, st.b):
        return True, DIVERGED
    if s.early_stopping:
        _fold_scale(w, aw, st, s.average)  # the score wants the true weights
        score = validation_score(w, st.b, rows, y, sw, positive, val, s.classifier)
        if s.tol > -np.inf and score < st.best_score + s.tol:
            st.no_improvement += 1
        else:
            st.no_improvement = 0
        st.best_score = max(st.best_score, score)
    else:
        objective = st.objective / max(1, n_train)
        if s.tol > -np.inf and objective > st.best_objective - s.tol:
            st.no_improvement += 1
        else:
            st.no_improvement = 0
        st.best_objective = min(st.best_objective, objective)
    if st.no_improvement >= s.n_iter_no_change:
        if s.learning_rate == LR_ADAPTIVE and st.eta > 1e-6:
            st.eta /= 5.0
            st.no_improvement = 0
        else:
            return True, OK
    return False, OK


@jit
def _finish(w, aw, st, s, b_out, ab_out, n_iter, status):
    """Write the true weights and intercepts back; the return value of a fit."""
    _fold_scale(w, aw, st, s.average)
    b_out[0] = st.b
    ab_out[0] = st.avg_b
    return n_iter, status, st.t
