"""Compiled ALS half-steps: one row (user or item) per iteration of a prange.

Implicit feedback follows Hu, Koren and Volinsky (2008) with implicit's
conventions: an observed entry has confidence ``c = alpha * value`` and
preference 1, every other entry confidence 1 and preference 0, so row ``u``
solves ``(YtY + reg I + sum_i (c_i - 1) y_i y_i^T) x = sum_i c_i y_i``.
The conjugate-gradient variant is Takacs, Pilaszy and Tikk (2011): a few CG
steps warm-started from the previous factors, never forming the matrix.
Explicit ratings use ALS-WR (Zhou et al. 2008) with biases: the ridge penalty
of a row is ``reg * (its number of ratings)``.
"""
from __future__ import annotations

import numpy as np
from numba import prange

from .._config.jit import jit, jit_parallel
from .._prefetch import prefetch_row

PREFETCH_AHEAD = 8  # factor rows requested ahead of the gather
GATHER_BYTES = 512 * 1024  # per-thread buffer for one row's factor vectors (fits L2)
# Rows solved together by CG: their ``YtY @ p`` products are one small GEMM,
# which reads YtY once per block instead of once per row (L2-bound at 128
# factors). Blocks never cross a multiple of CG_BLOCK, and the callers' chunk
# bounds are multiples of it, so blocks, and results, do not depend on the
# thread count. Measured at one thread on 100k rows of 40 values: 8% (32
# factors) to 13% (64) less time per half-step than row by row.
CG_BLOCK = 16


@jit
def _dot(a, b):
    s = a.dtype.type(0.0)
    for k in range(a.shape[0]):
        s += a[k] * b[k]
    return s


@jit
def _axpy(alpha, x, y):
    for k in range(x.shape[0]):
        y[k] += alpha * x[k]


@jit
def _dot_row(Y, i, v):
    """Y[i] . v without making a view of Y[i]."""
    s = v.dtype.type(0.0)
    for k in range(v.shape[0]):
        s += Y[i, k] * v[k]
    return s


@jit
def _axpy_row(alpha, Y, i, out):
    """out += alpha * Y[i] without making a view."""
    for k in range(out.shape[0]):
        out[k] += alpha * Y[i, k]


@jit
def _residual_terms(x, r, Y, rows, conf, start, stop):
    """``r += sum_k w_k Y[rows[k]]``, the sparse part of the CG residual at ``x``, over
    ``k`` in ``start:stop``; returns those entries' part of the loss at ``x``,
    ``sum (c (1 - s)^2 - s^2)`` with ``s = Y[rows[k]] . x`` (negative feedback:
    preference 0 with confidence ``-c``)."""
    T = x.dtype.type
    loss = 0.0
    for k in range(start, stop):
        i = rows[k]
        c = conf[k]
        d = _dot_row(Y, i, x)
        d64 = np.float64(d)
        if c > 0:
            _axpy_row(T(c - (c - 1) * d), Y, i, r)
            loss += c * (1.0 - d64) * (1.0 - d64) - d64 * d64
        else:
            _axpy_row(T(-(-c - 1) * d), Y, i, r)
            loss += (-c - 1.0) * d64 * d64
    return loss


@jit
def _cg_block(X, u0, n_rows, Y, rows, conf, offs, YtY, cg_steps, R, P, AP, rs, active):
    """A few CG steps on the normal equations of rows ``u0 : u0 + n_rows`` of ``X``,
    warm-started at their current values, in lockstep.

    Row ``b``'s factor vectors are ``Y[rows[k]]`` for ``k`` in
    ``offs[b]:offs[b + 1]``, with confidences ``conf[k]``. The dense products
    ``x @ YtY`` and ``p @ YtY`` of all rows are one GEMM per CG step; each row
    keeps its own step sizes and stops on its own. Returns the rows' part of
    the weighted loss at the *incoming* ``X``, ``sum (c (1 - s)^2 - s^2) +
    x^T YtY x``: the residual needs exactly those products, so the loss of the
    previous iteration comes for free with the next user half-step.
    """
    T = X.dtype.type
    f = X.shape[1]
    Xb = X[u0:u0 + n_rows]
    np.dot(Xb, YtY, R[:n_rows])
    loss = 0.0
    for b in range(n_rows):
        x, r = Xb[b], R[b]
        loss += np.float64(_dot(x, r))
        active[b] = False
        if offs[b + 1] == offs[b]:  # no interactions: the exact solution is 0
            x[:] = 0
            continue
        for k in range(f):
            r[k] = -r[k]
        loss += _residual_terms(x, r, Y, rows, conf, offs[b], offs[b + 1])
        P[b] = r
        rs[b] = _dot(r, r)
        active[b] = not rs[b] < 1e-20  # NaN stays active: it must reach the factors
    for _ in range(cg_steps):
        np.dot(P[:n_rows], YtY, AP[:n_rows])
        for b in range(n_rows):
            if not active[b]:
                continue
            p, ap, r, x = P[b], AP[b], R[b], Xb[b]
            for k in range(offs[b], offs[b + 1]):
                i = rows[k]
                _axpy_row(T((abs(conf[k]) - 1) * _dot_row(Y, i, p)), Y, i, ap)
            alpha = rs[b] / _dot(p, ap)
            _axpy(T(alpha), p, x)
            _axpy(T(-alpha), ap, r)
            rs_new = _dot(r, r)
            if rs_new < 1e-20:
                active[b] = False
                continue
            beta = T(rs_new / rs[b])
            for k in range(f):
                p[k] = r[k] + beta * p[k]
            rs[b] = rs_new
    return loss


@jit
def _cholesky_solve(A, b):
    """Solve A x = b in place (x in b) for symmetric positive definite A (overwritten)."""
    n = A.shape[0]
    for j in range(n):
        s = A[j, j]
        for k in range(j):
            s -= A[j, k] * A[j, k]
        if s <= 0.0:
            s = 1e-12  # semi-definite: keep the solve finite
        d = np.sqrt(s)
        A[j, j] = d
        for i in range(j + 1, n):
            s = A[i, j]
            for k in range(j):
                s -= A[i, k] * A[j, k]
            A[i, j] = s / d
    for i in range(n):  # forward: L z = b
        s = b[i]
        for k in range(i):
            s -= A[i, k] * b[k]
        b[i] = s / A[i, i]
    for i in range(n - 1, -1, -1):  # backward: L^T x = z
        s = b[i]
        for k in range(i + 1, n):
            s -= A[k, i] * b[k]
        b[i] = s / A[i, i]


@jit
def _cholesky_row(x, Y, YtY, indices, conf, start, stop, A, rhs):
    """Exact solve of one row's implicit normal equations."""
    f = x.shape[0]
    A[:, :] = YtY
    rhs[:] = 0.0
    for k in range(start, stop):
        i = indices[k]
        c = conf[k]
        w = abs(c) - 1.0
        for a in range(f):
            wa = w * Y[i, a]
            for b in range(f):
                A[a, b] += wa * Y[i, b]
        if c > 0:
            for a in range(f):
                rhs[a] += c * Y[i, a]
    _cholesky_solve(A, rhs)
    for a in range(f):
        x[a] = rhs[a]


@jit_parallel
def implicit_half_step(X, Y, YtY, indptr, indices, conf, cg_steps, use_cg, bounds, chunk_loss):
    """Update every row of ``X`` given ``Y`` (one ALS half-iteration).

    Rows are split into the chunks ``bounds`` (about equal work each, see
    :func:`fastmath._chunks.balanced_bounds`; interior bounds are multiples of
    ``CG_BLOCK``); each chunk reuses one set of work arrays, and CG solves
    its rows in blocks (:func:`_cg_block`). With CG,
    ``chunk_loss[c]`` gets the chunk's loss terms at the incoming ``X`` (see
    :func:`_cg_block`); the Cholesky path leaves it at 0.
    """
    f = X.shape[1]
    cap = max(1, GATHER_BYTES // (f * X.itemsize))
    for c in prange(bounds.shape[0] - 1):
        A = np.empty((f, f), np.float64)
        rhs = np.empty(f, np.float64)
        R = np.empty((CG_BLOCK, f), X.dtype)
        P = np.empty((CG_BLOCK, f), X.dtype)
        AP = np.empty((CG_BLOCK, f), X.dtype)
        rs = np.empty(CG_BLOCK)
        active = np.empty(CG_BLOCK, np.bool_)
        offs = np.empty(CG_BLOCK + 1, np.int64)
        # CG reads a row's factor vectors cg_steps + 1 times: gather them once
        # into a cache-resident buffer (rows with more than ``cap`` values read
        # the table directly).
        buf = np.empty((cap, f), Y.dtype)
        buf_conf = np.empty(cap, conf.dtype)
        iota = np.arange(cap)
        one_row = np.empty(2, np.int64)
        total = 0.0
        u, end = bounds[c], bounds[c + 1]
        while u < end:
            start, stop = indptr[u], indptr[u + 1]
            if not use_cg:
                _cholesky_row(X[u], Y, YtY, indices, conf, start, stop, A, rhs)
                u += 1
                continue
            if stop - start > cap:  # too many values to gather: read the table directly
                one_row[0], one_row[1] = start, stop
                total += _cg_block(X, u, 1, Y, indices, conf, one_row, YtY, cg_steps, R, P, AP,
                                   rs, active)
                u += 1
                continue
            # a block: the next rows up to a multiple of CG_BLOCK whose
            # factor vectors fit the buffer together
            n_rows = 0
            fill = 0
            offs[0] = 0
            while u + n_rows < end and (n_rows == 0 or (u + n_rows) % CG_BLOCK != 0):
                s, e = indptr[u + n_rows], indptr[u + n_rows + 1]
                if fill + (e - s) > cap:
                    break
                for k in range(e - s):
                    if k + PREFETCH_AHEAD < e - s:
                        prefetch_row(Y, indices[s + k + PREFETCH_AHEAD])
                    src = indices[s + k]
                    for a in range(f):
                        buf[fill + k, a] = Y[src, a]
                    buf_conf[fill + k] = conf[s + k]
                fill += e - s
                n_rows += 1
                offs[n_rows] = fill
            total += _cg_block(X, u, n_rows, buf, iota, buf_conf, offs, YtY, cg_steps, R, P, AP,
                               rs, active)
            u += n_rows
        chunk_loss[c] = total


@jit_parallel
def implicit_loss_terms(X, Y, XtX, indptr, indices, conf, out):
    """Per-row parts of implicit's weighted loss, for rows of ``Y`` against ``X``.

    ``out[i] = sum_u (c (1 - s)^2 - s^2) + y_i^T XtX y_i`` with ``s = x_u . y_i``
    over the observed entries (negative feedback: ``c s^2 - s^2``).
    """
    f = Y.shape[1]
    for i in prange(Y.shape[0]):
        yi = Y[i]
        total = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            s = np.float64(_dot_row(X, indices[k], yi))
            c = np.float64(conf[k])
            if c > 0:
                total += c * (1.0 - s) * (1.0 - s) - s * s
            else:
                total += (-c - 1.0) * s * s
        quad = 0.0
        for a in range(f):
            quad += np.float64(yi[a]) * np.float64(_dot(XtX[a], yi))
        out[i] = total + quad


@jit_parallel
def explicit_half_step(X, x_bias, Y, y_bias, mean, indptr, indices, ratings, reg):
    """ALS-WR with biases: row u solves for [x_u, b_u] given [y_i, 1] and b_i."""
    f = X.shape[1]
    for u in prange(X.shape[0]):
        start, stop = indptr[u], indptr[u + 1]
        n = stop - start
        if n == 0:
            X[u, :] = 0
            x_bias[u] = 0
            continue
        A = np.zeros((f + 1, f + 1), np.float64)
        rhs = np.zeros(f + 1, np.float64)
        z = np.empty(f + 1, np.float64)
        for k in range(start, stop):
            i = indices[k]
            for a in range(f):
                z[a] = Y[i, a]
            z[f] = 1.0
            target = ratings[k] - mean - y_bias[i]
            for a in range(f + 1):
                rhs[a] += target * z[a]
                for b in range(a + 1):
                    A[a, b] += z[a] * z[b]
        for a in range(f + 1):
            for b in range(a):
                A[b, a] = A[a, b]
            A[a, a] += reg * n
        _cholesky_solve(A, rhs)
        for a in range(f):
            X[u, a] = rhs[a]
        x_bias[u] = rhs[f]


@jit_parallel
def explicit_squared_errors(X, x_bias, Y, y_bias, mean, indptr, indices, ratings, out):
    """out[u] = sum of squared errors of row u's ratings."""
    for u in prange(X.shape[0]):
        xu = X[u]
        total = 0.0
        for k in range(indptr[u], indptr[u + 1]):
            i = indices[k]
            e = ratings[k] - (mean + x_bias[u] + y_bias[i] + np.float64(_dot_row(Y, i, xu)))
            total += e * e
        out[u] = total
