"""Numba kernels of the matrix-ops family.

Kernels take C-contiguous arrays of one float dtype and plain scalars, write
into arrays their caller allocated, and never validate: the public functions
in the sibling modules do that. One exception: :func:`csr_spmv_masked` reports
the out-of-range column indices it meets (it reads none of them).
"""
import math

import numpy as np
from numba import prange

from .._config.jit import FASTMATH_FLAGS_ORDERED, jit, jit_parallel
from ._expm import exp_nonpos, sigmoid, tanh
from ._sparse_rows import gathered_row_sums
from .._float_order import from_ordered_key, ordered_key

ACT_NONE, ACT_RELU, ACT_SIGMOID, ACT_TANH = 0, 1, 2, 3


# --- elementwise epilogues ----------------------------------------------------

@jit
def bias_activate_inplace(y, bias, act):
    """y[i, j] = act(y[i, j] + bias[j]) in place.

    Serial on purpose: it runs right after a BLAS call, whose spinning threads
    would slow a parallel region down on a 2-core machine (measured).
    """
    # one loop per activation: a loop holding the choice does not vectorize
    if act == ACT_SIGMOID:
        for i in range(y.shape[0]):
            row = y[i]
            for j in range(row.shape[0]):
                row[j] = sigmoid(row[j] + bias[j])
    elif act == ACT_TANH:
        for i in range(y.shape[0]):
            row = y[i]
            for j in range(row.shape[0]):
                row[j] = tanh(row[j] + bias[j])
    elif act == ACT_RELU:
        for i in range(y.shape[0]):
            row = y[i]
            for j in range(row.shape[0]):
                v = row[j] + bias[j]
                row[j] = 0.0 if v < 0 else v  # keeps NaN, as np.maximum(v, 0) does
    else:
        for i in range(y.shape[0]):
            row = y[i]
            for j in range(row.shape[0]):
                row[j] += bias[j]


@jit_parallel
def activation_grad(grad_out, out, act, grad_pre, col_partials, bounds):
    """grad_pre = grad_out * act'(out); column sums per row chunk into col_partials.

    ``out`` is the activation's output. Chunks are fixed by ``bounds`` so the
    bias gradient is the same whatever the thread count.
    """
    n_cols = grad_out.shape[1]
    for c in prange(bounds.shape[0] - 1):
        acc = col_partials[c]
        for j in range(n_cols):
            acc[j] = 0
        for i in range(bounds[c], bounds[c + 1]):
            for j in range(n_cols):
                g = grad_out[i, j]
                y = out[i, j]
                if act == ACT_RELU:
                    g = g if y > 0 else 0.0
                elif act == ACT_SIGMOID:
                    g = g * y * (1 - y)
                elif act == ACT_TANH:
                    g = g * (1 - y * y)
                grad_pre[i, j] = g
                acc[j] += g


@jit_parallel
def column_sums_chunked(x, col_partials, bounds):
    """Column sums of x per row chunk (fixed chunking, reproducible)."""
    n_cols = x.shape[1]
    for c in prange(bounds.shape[0] - 1):
        acc = col_partials[c]
        for j in range(n_cols):
            acc[j] = 0
        for i in range(bounds[c], bounds[c + 1]):
            for j in range(n_cols):
                acc[j] += x[i, j]


@jit
def mirror_upper(c):
    """Copy the upper triangle of the square C-ordered ``c`` onto its lower triangle."""
    n = c.shape[0]
    for i in range(n):
        for j in range(i):
            c[i, j] = c[j, i]


# --- pairwise squared distances ----------------------------------------------

@jit
def _clip_sqdist(v):
    return 0.0 if v < 0 else v  # keeps NaN


@jit
def sqdist_epilogue(d, xx, yy):
    """d[i, j] = max(xx[i] + yy[j] - 2 d[i, j], 0) in place, keeping NaN.

    ``d`` holds x_i . y_j on entry. Serial on purpose: it runs right after a
    BLAS call, whose spinning threads would slow a parallel region on a
    2-core machine.
    """
    n, m = d.shape
    for i in range(n):
        xi = xx[i]
        for j in range(m):
            d[i, j] = _clip_sqdist(xi + yy[j] - 2 * d[i, j])


@jit
def sqdist_symmetric_strip(g, i0, xx, d):
    """Finish rows ``i0 : i0 + len(g)`` of the symmetric distance matrix ``d``.

    ``g[a, b] = x_{i0+a} . x_{i0+b}`` for ``b >= 0`` (the strip right of the
    diagonal). Entries above the diagonal are computed row by row (a loop
    that vectorizes), then copied below it tile by tile (64 x 64, so the
    transposed writes stay in cache): ``d`` is exactly symmetric and its
    diagonal exactly zero. With one strip (``i0 == 0``, ``g`` of shape
    ``d.shape``), ``g`` may be ``d`` itself: each entry is read before it is
    written, and the mirror only writes below the diagonal.
    """
    rows, width = g.shape
    for a in range(rows):
        i = i0 + a
        xi = xx[i]
        dst = d[i, i + 1:]
        src = g[a, a + 1:]
        xs = xx[i + 1:]
        for b in range(src.shape[0]):
            dst[b] = _clip_sqdist(xi + xs[b] - 2 * src[b])
        d[i, i] = 0
    tile = 64
    for jb in range(i0, i0 + width, tile):
        j_end = min(jb + tile, i0 + width)
        for ib in range(i0, min(i0 + rows, j_end), tile):
            i_end = min(ib + tile, i0 + rows)
            for j in range(jb, j_end):
                for i in range(ib, min(i_end, j)):
                    d[j, i] = d[i, j]


@jit_parallel
def sqdist_direct_rows(x, y, rows, d):
    """Recompute d[r, :] = sum((x[r] - y)**2) exactly for the listed rows."""
    dim = x.shape[1]
    for t in prange(rows.shape[0]):
        r = rows[t]
        for j in range(y.shape[0]):
            s = 0.0
            for k in range(dim):
                diff = x[r, k] - y[j, k]
                s += diff * diff
            d[r, j] = s


# --- sparse-dense products ---------------------------------------------------

@jit_parallel(fastmath=set(FASTMATH_FLAGS_ORDERED))
def csr_spmv(indptr, indices, data, x, bounds, out):
    """out = A @ x for CSR A; rows split by ``bounds`` (balanced by nnz).

    Compiled without 'reassoc' so the row sum stays scalar, in float64: for
    CPUs whose vector gathers are slow (see ``_config.cpu.fast_gathers``).
    """
    for c in prange(bounds.shape[0] - 1):
        # Unsigned positions and column indices: the structure was checked (indptr
        # monotone, indices in [0, len(x))), and numba then drops the negative-index
        # wraparound it otherwise computes for every data[p], indices[p] and x[...]
        # (measured on one thread: 1.4x from the column index and carried row start,
        # then 1.3x from the positions, 5M stored values).
        start = np.uint64(indptr[bounds[c]])
        for i in range(bounds[c], bounds[c + 1]):
            end = np.uint64(indptr[i + 1])  # each row's end is the next row's start
            s = 0.0
            for p in range(start, end):
                s += data[p] * x[np.uint64(indices[p])]
            out[i] = s
            start = end


@jit_parallel
def csr_spmv_masked(indptr, indices, data, x, bounds, limit, out):
    """:func:`csr_spmv` in masked vectors (:func:`._sparse_rows.gathered_row_sums`),
    for CPUs with fast gathers (``_config.cpu.fast_gathers``); checks every
    column index against ``limit`` as it reads it and returns whether one was
    out of range (``out`` is then unusable). ``indptr`` must have been checked.
    """
    bad = 0
    for c in prange(bounds.shape[0] - 1):
        if gathered_row_sums(indptr, indices, data, x, bounds[c], bounds[c + 1], limit, out):
            bad += 1
    return bad > 0


@jit_parallel
def csr_spmm(indptr, indices, data, b, bounds, out):
    """out = A @ b for CSR A and C-ordered dense b; rows split by ``bounds``."""
    n = b.shape[1]
    for c in prange(bounds.shape[0] - 1):
        acc = np.empty(n, dtype=out.dtype)
        for i in range(bounds[c], bounds[c + 1]):
            for j in range(n):
                acc[j] = 0
            for p in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):  # see csr_spmv
                v = data[p]
                brow = b[np.uint64(indices[p])]
                for j in range(n):
                    acc[j] += v * brow[j]
            for j in range(n):
                out[i, j] = acc[j]


# --- softmax / logsumexp ----------------------------------------------------

@jit
def _row_max(row):
    """max of a non-empty row in its own dtype, NaN if any element is NaN (as np.max;
    of two zeros, +0.0). Taken over ordered integer keys, which vectorizes."""
    best = ordered_key(row[0])
    has_nan = False
    for j in range(row.shape[0]):
        v = row[j]
        has_nan |= v != v
        best = max(best, ordered_key(v))
    if has_nan:
        for j in range(row.shape[0]):
            if row[j] != row[j]:
                return row[j]
    return from_ordered_key(best, row[0])


_SUM_BLOCK = 1024  # elements summed in the row's own dtype before a float64 add


@jit
def _exp_block(x, m, out):
    """out = exp(x - m) for x <= m; returns the sum, accumulated in x's dtype."""
    s = x.dtype.type(0)
    for j in range(x.shape[0]):
        e = exp_nonpos(x[j] - m)
        out[j] = e
        s += e
    return s


@jit_parallel
def softmax_rows(x, out):
    """out[i] = exp(x[i] - max) / sum(exp(x[i] - max)), row-parallel."""
    for i in prange(x.shape[0]):
        row = x[i]
        orow = out[i]
        m = _row_max(row)
        n = row.shape[0]
        # blocks sum in the row's dtype (float32 keeps full vector width), and
        # the block sums add in float64, so long rows lose no accuracy
        s = 0.0
        for j0 in range(0, n, _SUM_BLOCK):
            s += _exp_block(row[j0:j0 + _SUM_BLOCK], m, orow[j0:j0 + _SUM_BLOCK])
        inv = row.dtype.type(1.0 / s)
        for j in range(n):
            orow[j] *= inv


@jit_parallel
def logsumexp_rows(x, b, has_b, out, sign, unresolved):
    """Per row, ``log(sum(b * exp(x)))`` as SciPy computes it, accurate near the maximum.

    With ``m`` the row maximum (entries whose weight is 0 skipped) and ``c``
    the summed weight of the entries equal to it, the result is
    ``m + log(|c|) + log1p(s)`` with ``s`` the weighted sum of ``exp(x - m)``
    over the other entries divided by ``c``: log1p keeps the small terms
    that ``log(1 + s)`` would round away. ``out`` gets the log of the sum's
    absolute value and ``sign`` its sign. Rows whose maximum is not finite, or
    whose result is not, get ``unresolved[i] = True`` and are finished by
    the caller with the direct formula (as SciPy does).
    """
    for i in prange(x.shape[0]):
        row = x[i]
        m = row.dtype.type(-np.inf)  # the row's dtype: float32 loops keep full vector width
        has_nan = False
        if has_b:
            for j in range(row.shape[0]):
                if b[i, j] != 0:
                    v = row[j]
                    has_nan |= v != v
                    m = max(m, v)
        else:
            m = _row_max(row)
            has_nan = m != m
        if has_nan or np.isinf(m):
            unresolved[i] = True
            continue
        count = 0.0
        s = 0.0
        if has_b:
            for j in range(row.shape[0]):
                w = np.float64(b[i, j])
                if w == 0:
                    continue
                if row[j] == m:
                    count += w
                else:
                    s += w * np.float64(exp_nonpos(row[j] - m))
        elif x.itemsize == 4:
            # float32 results: a float64 sum of every term (the maximum's are
            # exactly 1) is within an ulp, and this loop vectorizes best
            for j in range(row.shape[0]):
                s += exp_nonpos(row[j] - m)
            count = 1.0
            s -= 1.0
        else:
            # branch-free, so the loop vectorizes: the entries equal to the
            # maximum are counted apart (their exp is exactly 1)
            n_max = 0
            for j in range(row.shape[0]):
                at_max = row[j] == m
                n_max += at_max
                s += 0.0 if at_max else exp_nonpos(row[j] - m)
            count = np.float64(n_max)
        if s != 0:
            s /= count
        sgn = np.sign(s + 1.0) * np.sign(count)
        if s < -1.0:
            s = -s - 2.0
        r = math.log1p(s) + math.log(abs(count)) + np.float64(m)
        unresolved[i] = not np.isfinite(r)
        out[i] = r
        sign[i] = sgn
