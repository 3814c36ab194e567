"""fastmath's kernels mapped over the blocks of Dask arrays (lazy: Dask arrays in and out).

Each function calls the in-memory kernel on every block along the batch
(first) axis; the other axes are brought into one chunk first. The result
of each block equals the in-memory result on those rows, so the whole
equals the in-memory call. NumPy input runs the in-memory kernel directly.
"""
from __future__ import annotations

import numpy as np

from ._engine import in_worker_threads, is_dask_collection

__all__ = ["avg_pool2d", "conv2d", "linear", "map_rows", "max_pool2d", "pairwise_sqdist",
           "predict", "spmm"]


def _rows_chunked(x, name):
    """``x`` as a Dask array chunked along axis 0 only."""
    if hasattr(x, "to_dask_array"):
        x = x.to_dask_array(lengths=True)
    if x.ndim == 0:
        raise ValueError(f"{name} must have a batch (first) axis, got a 0-d array")
    if any(np.isnan(c).any() for c in map(np.array, x.chunks)):
        raise ValueError(f"{name} has unknown chunk sizes; call {name}.compute_chunk_sizes()")
    return x.rechunk({axis: -1 for axis in range(1, x.ndim)})


def map_rows(func, x, *args, name="x", meta=None, **kwargs):
    """Apply ``func(block, *args, **kwargs)`` to every row block of ``x``.

    The output's first axis follows ``x``'s chunks; the other axes and the
    dtype come from ``meta``, else from calling ``func`` on zero rows (every
    fastmath kernel accepts an empty batch).

    Parameters
    ----------
    func : callable
        Returns one array whose first axis has the block's length.
    x : dask.array.Array or numpy.ndarray
    meta : numpy.ndarray, optional
        An empty array shaped and typed like the output (for a ``func``
        that refuses zero rows).

    Returns
    -------
    dask.array.Array, or what ``func`` returns for NumPy input

    Examples
    --------
    >>> import numpy as np, dask.array as da, fastmath as fm
    >>> from fastmath.distributed import map_rows
    >>> x = da.from_array(np.arange(6.0).reshape(3, 2), chunks=(2, 2))
    >>> map_rows(fm.softmax, x, axis=-1).compute().shape
    (3, 2)
    """
    if not is_dask_collection(x):
        return func(x, *args, **kwargs)
    x = _rows_chunked(x, name)
    if meta is None:
        meta = func(np.zeros((0,) + x.shape[1:], x.dtype), *args, **kwargs)
    chunks = (x.chunks[0],) + tuple((n,) for n in meta.shape[1:])
    new_axis = list(range(x.ndim, meta.ndim)) if meta.ndim > x.ndim else None
    drop_axis = list(range(meta.ndim, x.ndim)) if meta.ndim < x.ndim else []
    return x.map_blocks(in_worker_threads(func), *args, chunks=chunks, dtype=meta.dtype,
                        meta=meta, new_axis=new_axis, drop_axis=drop_axis, **kwargs)


def _first(func):
    def apply(block, *args, **kwargs):
        return func(block, *args, **kwargs)[0]
    return apply


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """:func:`fastmath.conv2d` over the batch axis of a Dask array of images (N, C, H, W).

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> import fastmath.distributed as fd
    >>> x = da.ones((4, 1, 5, 5), chunks=(2, 1, 5, 5))
    >>> fd.conv2d(x, np.ones((2, 1, 3, 3)), padding=1).shape
    (4, 2, 5, 5)
    """
    from ..conv import conv2d as kernel

    return map_rows(kernel, x, weight, bias, stride=stride, padding=padding,
                    dilation=dilation, groups=groups)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """The pooled values of :func:`fastmath.max_pool2d` over the batch axis (no argmax).

    Examples
    --------
    >>> import dask.array as da
    >>> import fastmath.distributed as fd
    >>> fd.max_pool2d(da.ones((4, 1, 4, 4), chunks=2), 2).shape
    (4, 1, 2, 2)
    """
    from ..conv import max_pool2d as kernel

    return map_rows(_first(kernel), x, kernel_size, stride=stride, padding=padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """:func:`fastmath.avg_pool2d` over the batch axis.

    Examples
    --------
    >>> import dask.array as da
    >>> import fastmath.distributed as fd
    >>> fd.avg_pool2d(da.ones((4, 1, 4, 4), chunks=2), 2).shape
    (4, 1, 2, 2)
    """
    from ..conv import avg_pool2d as kernel

    return map_rows(kernel, x, kernel_size, stride=stride, padding=padding)


def linear(x, weight, bias=None, activation=None):
    """:func:`fastmath.linear` (``act(x @ weight + bias)``) over row blocks.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> import fastmath.distributed as fd
    >>> fd.linear(da.ones((6, 3), chunks=(4, 3)), np.ones((3, 2)), activation="relu").shape
    (6, 2)
    """
    from ..linalg import linear as kernel

    return map_rows(kernel, x, weight, bias, activation=activation)


def pairwise_sqdist(x, y=None):
    """:func:`fastmath.pairwise_sqdist` by row blocks of ``x`` (and of ``y`` if it is Dask too).

    Parameters
    ----------
    x : dask.array.Array of shape (n, d)
    y : numpy or Dask array of shape (m, d), optional
        Default ``x``. A Dask ``y`` gives one task per pair of row blocks.

    Returns
    -------
    dask.array.Array of shape (n, m)

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> import fastmath.distributed as fd
    >>> x = da.from_array(np.eye(3), chunks=(2, 3))
    >>> fd.pairwise_sqdist(x).compute()
    array([[0., 2., 2.],
           [2., 0., 2.],
           [2., 2., 0.]])
    """
    from ..linalg import pairwise_sqdist as kernel

    if not is_dask_collection(x) and not is_dask_collection(y):
        return kernel(x, y)
    import dask.array as da

    x = _rows_chunked(x if is_dask_collection(x) else da.from_array(np.asarray(x)), "x")
    y = x if y is None else y
    if not is_dask_collection(y):
        return map_rows(kernel, x, np.asarray(y))
    y = _rows_chunked(y, "y")
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must be 2-D with the same number of columns, got shapes "
                         f"{x.shape} and {y.shape}")
    dtype = kernel(np.zeros((0, x.shape[1]), x.dtype), np.zeros((0, y.shape[1]), y.dtype)).dtype
    return da.blockwise(_pairwise_block, "ij", x, "ik", y, "jk", dtype=dtype, concatenate=True)


@in_worker_threads
def _pairwise_block(x, y):
    from ..linalg import pairwise_sqdist as kernel

    return kernel(x, y)


def spmm(A, B):
    """:func:`fastmath.spmm` (sparse ``A @ B``) by row blocks of a Dask array of sparse blocks.

    Parameters
    ----------
    A : dask.array.Array of shape (n, k)
        Blocks are scipy.sparse matrices (e.g. ``da.from_array(csr, asarray=False)``).
    B : numpy.ndarray of shape (k, m)

    Returns
    -------
    dask.array.Array of shape (n, m), dense

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp, dask.array as da
    >>> import fastmath.distributed as fd
    >>> A = da.from_array(sp.eye(4, format="csr"), chunks=(2, 4), asarray=False)
    >>> float(fd.spmm(A, np.ones((4, 2))).compute().sum())
    8.0
    """
    from ..linalg import spmm as kernel

    if not is_dask_collection(A):
        return kernel(A, B)
    B = np.asarray(B)
    if B.ndim != 2 or A.ndim != 2 or A.shape[1] != B.shape[0]:
        raise ValueError(f"A must be 2-D and B of shape ({A.shape[1]}, m), got A {A.shape} and "
                         f"B {B.shape}")
    A = A.rechunk({1: -1})
    dtype = np.result_type(A.dtype, B.dtype, np.float32)
    return A.map_blocks(_spmm_block, B, chunks=(A.chunks[0], (B.shape[1],)), dtype=dtype,
                        meta=np.zeros((0, 0), dtype))


@in_worker_threads
def _spmm_block(a, b):
    from ..linalg import spmm as kernel

    return kernel(a, b)


def predict(estimator, X, method="predict"):
    """``estimator.<method>`` over the row blocks of ``X`` (any fitted fastmath or scikit-learn model).

    Parameters
    ----------
    estimator : fitted estimator
    X : dask.array.Array or Dask DataFrame of shape (n, d)
    method : str, default "predict"
        e.g. ``"predict_proba"``, ``"decision_function"``, ``"score_samples"``.

    Returns
    -------
    dask.array.Array

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from fastmath.linear_model import SGDRegressor
    >>> import fastmath.distributed as fd
    >>> X = np.arange(20.0).reshape(10, 2)
    >>> model = SGDRegressor(random_state=0).fit(X, X[:, 0])
    >>> fd.predict(model, da.from_array(X, chunks=(4, 2))).shape
    (10,)
    """
    func = getattr(estimator, method, None)
    if not callable(func):
        raise AttributeError(f"{type(estimator).__name__} has no method {method!r}")
    if not is_dask_collection(X):
        return func(X)
    X = _rows_chunked(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got shape {X.shape}")
    probe = func(np.asarray(X[:1].compute()))  # the output's shape and dtype, from one row
    chunks = (X.chunks[0],) + tuple((n,) for n in probe.shape[1:])
    return X.map_blocks(_call_method, estimator, method, chunks=chunks, dtype=probe.dtype,
                        drop_axis=[1] if probe.ndim == 1 else [],
                        meta=np.zeros((0,) * probe.ndim, probe.dtype))


@in_worker_threads
def _call_method(block, estimator, method):
    return getattr(estimator, method)(block)
