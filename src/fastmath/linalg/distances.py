"""Pairwise squared Euclidean distances."""
from __future__ import annotations

import numpy as np

from .._chunks import CHUNKS_PER_THREAD, fixed_chunk_bounds
from .._config.threads import kernel_threads, threads_for
from .._validation import as_float_array, result_dtype
from . import _kernels as k
from . import _sqdist_tiles as tiles

__all__ = ["pairwise_sqdist"]

# Bytes of output finished per GEMM call: the block's epilogue then runs while
# the block is still in cache. 5000 x 5000 float64 at one thread (AMD EPYC,
# 2026-11-24): 4 MiB blocks took 96-98 ms (y given) and 88-90 ms (y=None),
# 16 MiB 100-102 ms and 91-102 ms, 1 MiB 112-114 ms (GEMM repacks y too often).
BLOCK_BYTES = 4 * 2**20

# Largest d for which the rows meet in register tiles (:mod:`._sqdist_tiles`)
# rather than in a GEMM. Against the GEMM path at one thread (Intel Xeon,
# AVX-512, 2026-12-06), float64 / float32, y given: d = 8 1.71x, 64 1.37x /
# 1.31x, 128 1.14x / 1.22x, 256 1.03x / 0.93x, 512 0.92x; y=None: d = 32
# 1.33x / 1.29x, 128 1.08x / 1.11x, 256 1.01x / 1.09x.
MAX_TILE_DEPTH = 128


def _finite_mean(x: np.ndarray) -> np.ndarray:
    """Column means used to centre the data; non-finite columns are not shifted."""
    mu = x.mean(axis=0)
    mu[~np.isfinite(mu)] = 0
    return mu


def pairwise_sqdist(x, y=None):
    """Squared Euclidean distances between the rows of ``x`` and of ``y``.

    Computed as ``|x|^2 + |y|^2 - 2 x y^T``, clipping rounding noise below
    zero. With up to 128 features each tile of the result is summed in
    vector registers and written once, already as a distance; above, BLAS
    GEMM (through NumPy) runs over blocks of rows, each followed while still
    in cache by a pass that adds the norms and clips. For ``y is None`` only
    the entries from the diagonal on are computed (half the work), then
    mirrored block by block: the result is exactly symmetric with exact
    zeros on the diagonal. The points are centred first, which keeps the
    expansion accurate for data far from the origin. Rows holding NaN or Inf
    are recomputed directly, so they give exactly what ``((x[:, None] -
    y[None]) ** 2).sum(-1)`` gives.

    Parameters
    ----------
    x : array_like, shape (n, d)
    y : array_like, shape (m, d), optional
        Defaults to ``x``.

    Returns
    -------
    ndarray, shape (n, m)
        Never negative (NaN only where an input holds NaN).

    Examples
    --------
    >>> import numpy as np, fastmath as fm
    >>> fm.pairwise_sqdist(np.array([[0.0, 0.0], [3.0, 4.0]]))
    array([[ 0., 25.],
           [25.,  0.]])
    """
    x = as_float_array(x, "x", ndim=2)
    symmetric = y is None
    if symmetric:
        y = x
    else:
        y = as_float_array(y, "y", ndim=2)
        if y.shape[1] != x.shape[1]:
            raise ValueError(
                f"x and y must have the same number of columns, got x {x.shape} and y {y.shape}"
            )
    dtype = result_dtype(x.dtype, y.dtype)
    x = x.astype(dtype, copy=False)  # centre in the result's precision, not the input's
    y = x if symmetric else y.astype(dtype, copy=False)
    n, m = x.shape[0], y.shape[0]
    out = np.empty((n, m), dtype=dtype)
    if out.size == 0:
        return out
    mu = _finite_mean(x)
    xc = np.ascontiguousarray(x - mu, dtype=dtype)
    yc = xc if symmetric else np.ascontiguousarray(y - mu, dtype=dtype)
    xx = np.einsum("ij,ij->i", xc, xc)
    yy = xx if symmetric else np.einsum("ij,ij->i", yc, yc)
    if x.shape[1] <= MAX_TILE_DEPTH:
        _tiled(xc, yc, xx, yy, out, symmetric)
    else:
        _blocked_gemm(xc, yc, xx, yy, out, symmetric)

    # The expansion turns inf - inf into NaN; recompute non-finite rows exactly.
    xs = np.ascontiguousarray(x, dtype=dtype)
    ys = xs if symmetric else np.ascontiguousarray(y, dtype=dtype)
    bad_x = np.flatnonzero(~np.isfinite(xx))
    bad_y = bad_x if symmetric else np.flatnonzero(~np.isfinite(yy))
    if bad_x.size:
        with kernel_threads(bad_x.size * m * x.shape[1], "flops"):
            k.sqdist_direct_rows(xs, ys, bad_x, out)
    if bad_y.size:
        out_t = np.empty((bad_y.size, n), dtype=dtype)
        with kernel_threads(bad_y.size * n * x.shape[1], "flops"):
            k.sqdist_direct_rows(ys[bad_y], xs, np.arange(bad_y.size), out_t)
        out[:, bad_y] = out_t.T
    return out


def _tiled(xc, yc, xx, yy, out, symmetric):
    """``out`` from register tiles (see :mod:`._sqdist_tiles`); y is packed in strips
    first. ``symmetric``: ``yc`` is ``xc``; only the entries from the diagonal on
    are computed, and mirrored (exactly symmetric, exact zeros on the diagonal)."""
    (n, d), m = xc.shape, yc.shape[0]
    rows, width = tiles.tile_shape(out.itemsize)
    n_strips = -(-m // width)
    padded = np.zeros((n_strips * width, d), dtype=out.dtype)
    padded[:m] = yc
    ypack = np.ascontiguousarray(padded.reshape(n_strips, width, d).transpose(0, 2, 1))
    yy_padded = np.zeros(n_strips * width, dtype=out.dtype)
    yy_padded[:m] = yy
    group = max(1, tiles.GROUP_BYTES // (width * max(d, 1) * out.itemsize))
    work = n * m * max(d, 1) // (2 if symmetric else 1)
    if symmetric:
        # blocks of rows, each mirrored while in cache; a multiple of the strip width,
        # so no tile writes left of its block, where an earlier block mirrors
        block = -(-tiles.MIRROR_TILE // width) * width
        bounds = np.unique(np.append(np.arange(0, n, block), n))
    else:
        # whole tiles of rows per chunk: a chunk's last rows go one at a time, at an
        # eighth of the rate (125-row chunks made a 1000-row call 1.2x to 1.5x slower)
        n_chunks = CHUNKS_PER_THREAD * threads_for(work, "flops")
        tile_bounds = fixed_chunk_bounds(-(-n // rows), n_chunks)
        bounds = np.minimum(tile_bounds * rows, n)
    with kernel_threads(work, "flops"):
        tiles.tiled_kernel(rows, width, symmetric)(xc, ypack, xx, yy_padded, out,
                                                   bounds.astype(np.int64), group)


def _blocked_gemm(xc, yc, xx, yy, out, symmetric):
    """``out`` from BLAS GEMMs over blocks of rows, each finished while in cache."""
    (n, d), m = xc.shape, yc.shape[0]
    rows = max(16, BLOCK_BYTES // (m * out.itemsize))
    # inf * 0 in the product of a non-finite row is fixed by the caller, so no warning
    with np.errstate(invalid="ignore"), kernel_threads(n * m * d, "flops", blas="outside"):
        if symmetric:  # only the strips right of the diagonal: half the products
            # one strip is written straight into the output and finished in place
            # (a second fresh array would cost its page faults)
            buffer = None if rows >= n else np.empty(rows * n, dtype=out.dtype)
            for i0 in range(0, n, rows):
                g = out if buffer is None else \
                    buffer[:min(rows, n - i0) * (n - i0)].reshape(-1, n - i0)  # C-contiguous
                np.matmul(xc[i0:i0 + rows], xc[i0:].T, out=g)
                k.sqdist_symmetric_strip(g, i0, xx, out)
        else:
            for i0 in range(0, n, rows):
                block = out[i0:i0 + rows]
                np.matmul(xc[i0:i0 + rows], yc.T, out=block)
                k.sqdist_epilogue(block, xx[i0:i0 + rows], yy)
