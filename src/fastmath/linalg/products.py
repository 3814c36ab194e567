"""Dense products: :func:`matmul` and :func:`gram`."""
from __future__ import annotations

import math

import numpy as np

from .._config.threads import BLAS_SERIAL_GEMM, kernel_threads
from .._validation import as_float_array, check_out, check_shape, result_dtype
from . import _kernels as k
from ._small_gemm import MAX_WIDTH, prefetch_distance, stacked_kernel

__all__ = ["matmul", "gram"]

# Stacks of (m, k) @ (k, n) products with k and n up to MAX_WIDTH run in the
# vector kernels of _small_gemm when each product has at most SMALL_ROWS_MAX
# rows, or when the stack holds at least MIN_STACK products (enough to share
# among threads). Measured at one thread against np.matmul, k = n = 4, 8, 16
# and m from 16 to 2048 rows: 1.6x to 6x faster.
SMALL_ROWS_MAX = 16
MIN_STACK = 16


def _batch_index(batch_shape: tuple, full_batch: tuple) -> np.ndarray:
    """Flat index into an operand's own batch for every broadcast batch position."""
    size = math.prod(batch_shape)
    own = np.arange(size, dtype=np.int64).reshape(batch_shape) if batch_shape else np.zeros((), np.int64)
    return np.ascontiguousarray(np.broadcast_to(own, full_batch).reshape(-1))


def matmul(a, b, out=None):
    """Matrix product with NumPy's broadcasting rules, like ``np.matmul``.

    Parameters
    ----------
    a : array_like, shape (..., m, k) or (k,)
    b : array_like, shape (..., k, n) or (k,)
    out : ndarray, optional
        Receives the result; it must have the result's shape and a dtype the
        result casts to under NumPy's 'same_kind' rule, as for ``np.matmul``
        (the product is computed in the result's dtype, then cast). The
        small-product kernel writes a C-contiguous ``out`` of the result's
        dtype that shares no memory with ``a`` or ``b`` directly; otherwise
        the result is copied in.

    Returns
    -------
    ndarray, shape (..., m, n)
        float32 when both operands are float32, else float64. 1-D operands
        are promoted and their dimension removed again, as in ``np.matmul``.

    Notes
    -----
    Stacks of ``(m, k) @ (k, n)`` products with ``k`` and ``n`` up to 16
    (3-D transforms, small blocks) run in one parallel kernel that holds each
    output row in one SIMD register, when each product has at most 16 rows
    or the stack holds at least 16 products; other products go to
    ``np.matmul`` (BLAS). The first call for a new ``(k, n)`` pair compiles
    its kernel (about 0.5 s per dtype, cached on disk).

    Examples
    --------
    >>> import numpy as np, fastmath as fm
    >>> a = np.ones((1000, 4, 4), dtype=np.float32)
    >>> fm.matmul(a, a).shape
    (1000, 4, 4)
    >>> float(fm.matmul(a, a)[0, 0, 0])
    4.0
    """
    if (out is None and type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == b.ndim == 2
            and a.dtype == b.dtype and a.dtype.type in (np.float32, np.float64)
            and a.shape[1] == b.shape[0]
            and a.shape[0] * a.shape[1] * b.shape[1] <= BLAS_SERIAL_GEMM):
        # one small BLAS product, which OpenBLAS runs on one thread by itself: the
        # checks and thread settings below cost 8 us, ten times an 8x8 product
        return np.matmul(a, b)
    a = as_float_array(a, "a", min_ndim=1)
    b = as_float_array(b, "b", min_ndim=1)
    dtype = result_dtype(a.dtype, b.dtype)
    a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
    a2 = a[np.newaxis, :] if a.ndim == 1 else a
    b2 = b[:, np.newaxis] if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise ValueError(
            f"matmul: a has shape {a.shape} and b has shape {b.shape}; "
            f"a.shape[-1] ({a2.shape[-1]}) must equal b.shape[-2] ({b2.shape[-2]})"
        )
    batch = a2.shape[:-2]
    if batch != b2.shape[:-2]:
        try:
            batch = np.broadcast_shapes(batch, b2.shape[:-2])
        except ValueError:
            raise ValueError(
                f"matmul: batch dimensions of a {a.shape} and b {b.shape} do not broadcast"
            ) from None
    m, kk, n = a2.shape[-2], a2.shape[-1], b2.shape[-1]
    shape = batch + (m, n)
    # a 1-D operand's dimension is removed again
    final_shape = batch + (() if a.ndim == 1 else (m,)) + (() if b.ndim == 1 else (n,))
    out = check_out(out, final_shape, dtype, casting="same_kind")

    count = math.prod(batch)  # exact ints: np.prod costs 2.5 us a call
    if (batch and count and 1 <= kk <= MAX_WIDTH and 1 <= n <= MAX_WIDTH and m
            and (m <= SMALL_ROWS_MAX or count >= MIN_STACK)):
        ac = np.ascontiguousarray(a2).reshape((-1, m, kk))
        bc = np.ascontiguousarray(b2).reshape((-1, kk, n))
        # straight into ``out`` when it is contiguous and shares no memory with
        # an operand (np.matmul's overlap rule); else into a fresh array
        direct = (out is not None and out.dtype == dtype and out.flags.c_contiguous
                  and not np.may_share_memory(out, ac) and not np.may_share_memory(out, bc))
        res = out.reshape(shape) if direct else np.empty(shape, dtype=dtype)
        with kernel_threads(res.size * kk, "flops"):
            stacked_kernel(kk, n)(
                ac, bc, _batch_index(a2.shape[:-2], batch), _batch_index(b2.shape[:-2], batch),
                prefetch_distance(m, kk, n, dtype.itemsize), res.reshape((-1, m, n)),
            )
        if direct:
            return out
        res = res.reshape(final_shape)
    else:
        with kernel_threads(math.prod(shape) * kk, "flops", blas="outside"):
            res = np.matmul(a, b)
    if out is None:
        return res
    out[...] = res
    return out


def gram(a, weights=None):
    """Weighted Gram matrix ``a.T @ diag(weights) @ a``.

    ``b.T @ b`` products go to NumPy, which runs them as BLAS ``syrk`` (one
    triangle, half the work); the upper triangle is then mirrored so the
    result is exactly symmetric whatever the BLAS.

    Parameters
    ----------
    a : array_like, shape (n, d)
    weights : array_like, shape (n,), optional
        Row weights; may be negative.

    Returns
    -------
    ndarray, shape (d, d)

    Examples
    --------
    >>> import numpy as np, fastmath as fm
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> fm.gram(a)
    array([[10., 14.],
           [14., 20.]])
    >>> fm.gram(a, weights=[1.0, 0.0])
    array([[1., 2.],
           [2., 4.]])
    """
    a = as_float_array(a, "a", ndim=2)
    n, d = a.shape
    dtype = a.dtype
    if weights is not None:
        weights = as_float_array(weights, "weights", ndim=1)
        check_shape(weights, (n,), "weights")
        dtype = result_dtype(a.dtype, weights.dtype)
        a, weights = a.astype(dtype, copy=False), weights.astype(dtype, copy=False)
    with kernel_threads(n * d * d, "flops", blas="outside"):
        out = _weighted_gram(a, weights)
    out = np.ascontiguousarray(out)
    k.mirror_upper(out)
    return out


def _weighted_gram(a, weights):
    if weights is None:
        out = np.matmul(a.T, a)
    elif np.any(weights < 0):  # one product: a split into two would turn inf - inf into NaN
        out = np.matmul(a.T, a * weights[:, None])
    else:
        # a.T diag(w) a = (sqrt(w) a).T (sqrt(w) a): a symmetric product (syrk), half the work
        scaled = a * np.sqrt(weights)[:, None]
        out = np.matmul(scaled.T, scaled)
    return out
