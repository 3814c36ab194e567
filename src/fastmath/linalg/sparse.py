"""Sparse-dense products: :func:`spmv` and :func:`spmm`, and :class:`CSRHandle` for
repeated products with one matrix."""
from __future__ import annotations

import numpy as np

from .._chunks import CHUNKS_PER_THREAD, balanced_bounds
from .._config.cpu import fast_gathers
from .._config.threads import kernel_threads, threads_for
from .._validation import as_csr, as_float_array, check_csr_indices, result_dtype
from . import _kernels as k

__all__ = ["CSRHandle", "spmv", "spmm"]


class CSRHandle:
    """A sparse matrix validated once, for repeated :func:`spmv`/:func:`spmm` calls.

    :func:`spmv` and :func:`spmm` check a matrix's structure (O(nnz)) on every
    call, since numba does not bounds-check; for one product that pass costs
    up to a third of the product (:func:`spmv` on CPUs with fast gathers
    checks the column indices inside its kernel instead, for less). A handle
    checks it once and keeps private, read-only copies of ``indptr`` and
    ``indices``, so later changes to the original matrix's structure cannot
    reach the kernels unchecked. When
    ``A`` is a CSR matrix whose values are already float32 or float64, the
    values are shared: writing to ``A.data`` in place (same structure, new
    values) is seen by later products. Other inputs are converted once, and
    the handle holds the converted values.

    Parameters
    ----------
    A : scipy.sparse matrix or array, shape (n, m)
        Any format; converted to CSR (int32 or int64 indices kept) and checked.

    Attributes
    ----------
    shape : tuple of int
    nnz : int
    dtype : numpy.dtype
        float32 or float64.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp, fastmath as fm
    >>> A = fm.CSRHandle(sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0]])))
    >>> fm.spmv(A, np.array([3.0, 4.0]))
    array([3., 8.])
    >>> A.shape, A.nnz
    ((2, 2), 2)
    """

    __slots__ = ("_csr",)

    def __init__(self, A):
        if isinstance(A, CSRHandle):
            self._csr = A._csr
            return
        csr = as_csr(A, "A")
        indptr, indices = csr.indptr.copy(), csr.indices.copy()
        indptr.flags.writeable = False
        indices.flags.writeable = False
        self._csr = csr._replace(indptr=indptr, indices=indices)

    @property
    def shape(self) -> tuple:
        return self._csr.shape

    @property
    def nnz(self) -> int:
        return self._csr.nnz

    @property
    def dtype(self) -> np.dtype:
        return self._csr.data.dtype

    def __repr__(self) -> str:
        return f"CSRHandle(shape={self.shape}, nnz={self.nnz}, dtype={self.dtype})"


def _prepare(A, other, name, ndim, check_indices=True):
    csr = A._csr if isinstance(A, CSRHandle) else as_csr(A, "A", check_indices=check_indices)
    other = as_float_array(other, name, ndim=ndim)
    dtype = result_dtype(csr.data.dtype, other.dtype)
    csr = csr._replace(data=csr.data.astype(dtype, copy=False))
    if other.shape[0] != csr.shape[1]:
        raise ValueError(
            f"{name} must have {csr.shape[1]} rows to match A of shape {csr.shape}, "
            f"got {name} of shape {other.shape}"
        )
    return csr, np.ascontiguousarray(other, dtype=dtype), dtype


def _bounds(csr, work):
    """Row chunks balanced by stored values (power-law rows stay balanced), several a thread."""
    return balanced_bounds(csr.indptr, CHUNKS_PER_THREAD * threads_for(work, "sparse"), 1.0)


def spmv(A, x):
    """Sparse matrix times dense vector, ``A @ x``, parallel over rows.

    Parameters
    ----------
    A : scipy.sparse matrix or array, or CSRHandle, shape (n, m)
        Any format; converted to CSR and its structure validated (a
        :class:`CSRHandle` was validated once, when it was made).
    x : array_like, shape (m,)

    Returns
    -------
    ndarray, shape (n,)

    Notes
    -----
    On CPUs with fast vector gathers (AVX-512) each row is summed in masked
    vectors of 8 values, and the column indices are checked in the same
    vectors as they are read; elsewhere they are checked in a pass of their own.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp, fastmath as fm
    >>> A = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0]]))
    >>> fm.spmv(A, np.array([3.0, 4.0]))
    array([3., 8.])
    """
    gathered = fast_gathers()  # the masked kernel checks the column indices itself
    csr, x, dtype = _prepare(A, x, "x", 1, check_indices=not gathered)
    out = np.empty(csr.shape[0], dtype=dtype)
    work = csr.nnz + csr.shape[0]
    with kernel_threads(work, "sparse"):
        if not gathered:
            k.csr_spmv(csr.indptr, csr.indices, csr.data, x, _bounds(csr, work), out)
        elif k.csr_spmv_masked(csr.indptr, csr.indices, csr.data, x, _bounds(csr, work),
                               _index_limit(csr), out):
            check_csr_indices(csr, "A")
            raise RuntimeError("spmv: the kernel met a column index out of range that the "
                               "check passed")
    return out


def _index_limit(csr):
    """len(x) for the masked kernel's unsigned index compare; for int32 indices at
    most 2**31, so that negative ones (2**31 and up as unsigned) stay out of range."""
    n_cols = csr.shape[1]
    return min(n_cols, 2**31) if csr.indices.dtype == np.int32 else n_cols


def spmm(A, B):
    """Sparse matrix times dense matrix, ``A @ B``, parallel over rows.

    Parameters
    ----------
    A : scipy.sparse matrix or array, or CSRHandle, shape (n, m)
        Any format; converted to CSR and its structure validated (a
        :class:`CSRHandle` was validated once, when it was made).
    B : array_like, shape (m, p)

    Returns
    -------
    ndarray, shape (n, p), C-ordered

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp, fastmath as fm
    >>> A = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0]]))
    >>> fm.spmm(A, np.ones((2, 3)))
    array([[1., 1., 1.],
           [2., 2., 2.]])
    """
    csr, B, dtype = _prepare(A, B, "B", 2)
    out = np.empty((csr.shape[0], B.shape[1]), dtype=dtype)
    work = (csr.nnz + csr.shape[0]) * max(1, B.shape[1])
    with kernel_threads(work, "sparse"):
        k.csr_spmm(csr.indptr, csr.indices, csr.data, B, _bounds(csr, work), out)
    return out
