"""Input validation shared by every public function.

Policy
------
* dtype: float32 in gives float32 out and float64 gives float64; every other
  real numeric type (bool, integers, float16, longdouble) becomes float64.
  Complex, object, string and datetime input raises ``TypeError`` naming the
  argument. Mixed float32/float64 operands compute in float64, as NumPy does.
* layout: any layout is accepted; :func:`as_float_array` copies to C order only
  when the caller says the kernel needs it.
* shapes: a mismatch raises ``ValueError`` naming the argument, the expected
  and the received shape.
* sparse: any scipy.sparse matrix or array is converted to CSR and its
  structure is checked in O(nnz) before a kernel reads it, because numba does
  not bounds-check.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from numba import prange

from ._config import jit, jit_parallel

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _kind_error(name: str, dtype) -> TypeError:
    return TypeError(
        f"{name} must hold real numbers (float32, float64, integer or bool), got dtype {dtype}"
    )


def float_dtype_of(x, name: str) -> np.dtype:
    """The float dtype ``x`` computes in under the dtype policy."""
    dtype = np.asarray(x).dtype if not hasattr(x, "dtype") else np.dtype(x.dtype)
    if dtype in _FLOATS:
        return dtype
    if dtype.kind in "biuf":
        return np.dtype(np.float64)
    raise _kind_error(name, dtype)


def result_dtype(*dtypes: np.dtype) -> np.dtype:
    """float32 when every operand is float32, otherwise float64."""
    if dtypes and all(d == np.float32 for d in dtypes):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def as_float_array(
    x,
    name: str,
    *,
    dtype=None,
    ndim: int | None = None,
    min_ndim: int | None = None,
    c_contiguous: bool = False,
) -> np.ndarray:
    """Convert ``x`` to a float32/float64 ndarray under the package policy.

    Parameters
    ----------
    x : array_like
        The argument as the user gave it.
    name : str
        Argument name used in error messages.
    dtype : {None, float32, float64}
        Target dtype; ``None`` keeps float32/float64 and maps the rest to float64.
    ndim, min_ndim : int, optional
        Required number of dimensions, exact or minimum.
    c_contiguous : bool
        Copy to C order when ``x`` is not already C-contiguous.
    """
    if sp.issparse(x):
        raise TypeError(f"{name} must be a dense array, got a scipy.sparse {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise _kind_error(name, arr.dtype)
    target = float_dtype_of(arr, name) if dtype is None else np.dtype(dtype)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got {arr.ndim}-D array of shape {arr.shape}")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise ValueError(
            f"{name} must be at least {min_ndim}-D, got {arr.ndim}-D array of shape {arr.shape}"
        )
    order = "C" if c_contiguous else "K"
    return np.asarray(arr, dtype=target, order=order) if c_contiguous or arr.dtype != target else arr


def check_shape(arr: np.ndarray, expected: tuple, name: str) -> None:
    """Raise ``ValueError`` unless ``arr.shape == expected`` (``None`` matches any size)."""
    ok = arr.ndim == len(expected) and all(
        e is None or e == s for e, s in zip(expected, arr.shape)
    )
    if not ok:
        shown = ", ".join("*" if e is None else str(e) for e in expected)
        shown = f"({shown},)" if len(expected) == 1 else f"({shown})"
        raise ValueError(f"{name} must have shape {shown}, got {arr.shape}")


def check_out(out, shape: tuple, dtype: np.dtype, name: str = "out") -> np.ndarray | None:
    """Validate a user-supplied output array; ``None`` passes through."""
    if out is None:
        return None
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if out.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {out.shape}")
    if out.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype}, got {out.dtype}")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return out


def check_choice(value, choices, name: str):
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {shown}; got {value!r}")
    return value


class CSR(NamedTuple):
    """A validated CSR matrix as plain arrays, ready for a kernel."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    shape: tuple

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])


def _index_array(a: np.ndarray) -> np.ndarray:
    """int32 and int64 index arrays pass as they are (C order); others become int64."""
    a = np.asarray(a)
    if a.dtype.kind not in "iu":
        raise TypeError(f"sparse index arrays must be integers, got {a.dtype}")
    if a.dtype in (np.dtype(np.int32), np.dtype(np.int64)):
        return np.ascontiguousarray(a)
    return np.ascontiguousarray(a, dtype=np.int64)


@jit
def _first_decrease(indptr):
    """Index of the first i with indptr[i + 1] < indptr[i], or -1."""
    for i in range(indptr.shape[0] - 1):
        if indptr[i + 1] < indptr[i]:
            return i
    return -1


@jit_parallel
def _index_range(indices, n_chunks, lows, highs):
    """Per-chunk min and max of ``indices`` (one parallel pass over nnz)."""
    n = indices.shape[0]
    for c in prange(n_chunks):
        lo = indices[c * n // n_chunks]
        hi = lo
        for p in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            v = indices[p]
            lo = min(lo, v)
            hi = max(hi, v)
        lows[c] = lo
        highs[c] = hi


def as_csr(A, name: str) -> CSR:
    """Convert any scipy.sparse matrix/array to a validated :class:`CSR`.

    The structure is checked in O(nnz): ``indptr`` starts at 0, never
    decreases and ends at ``nnz``, and every column index lies in
    ``[0, n_cols)``. Values are not checked: NaN and Inf propagate.
    """
    if not sp.issparse(A):
        raise TypeError(f"{name} must be a scipy.sparse matrix or array, got {type(A).__name__}")
    if A.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {A.shape}")
    if A.format != "csr":
        A = A.tocsr()
    n_rows, n_cols = A.shape
    indptr = _index_array(A.indptr)
    indices = _index_array(A.indices)
    if indptr.ndim != 1 or indptr.shape[0] != n_rows + 1:
        raise ValueError(
            f"{name} is malformed: indptr must have length n_rows + 1 = {n_rows + 1}, "
            f"got {indptr.shape[0] if indptr.ndim == 1 else indptr.shape}"
        )
    nnz = int(indptr[-1])
    if indptr[0] != 0:
        raise ValueError(f"{name} is malformed: indptr[0] must be 0, got {indptr[0]}")
    if _first_decrease(indptr) >= 0:
        raise ValueError(f"{name} is malformed: indptr must be non-decreasing")
    if indices.shape[0] < nnz or np.asarray(A.data).shape[0] < nnz:
        raise ValueError(
            f"{name} is malformed: indptr[-1] = {nnz} but indices has {indices.shape[0]} "
            f"and data has {np.asarray(A.data).shape[0]} entries"
        )
    indices = indices[:nnz]
    if nnz:
        n_chunks = min(nnz, 64)
        lows = np.empty(n_chunks, dtype=indices.dtype)
        highs = np.empty(n_chunks, dtype=indices.dtype)
        _index_range(indices, n_chunks, lows, highs)
        lo, hi = int(lows.min()), int(highs.max())
        if lo < 0 or hi >= n_cols:
            bad = lo if lo < 0 else hi
            raise ValueError(
                f"{name} is malformed: column index {bad} is out of range [0, {n_cols})"
            )
    data = np.asarray(A.data)[:nnz]
    if data.dtype.kind not in "biuf":
        raise _kind_error(name, data.dtype)
    data = np.ascontiguousarray(data, dtype=float_dtype_of(data, name))
    if indptr.dtype != indices.dtype:  # one index type per kernel signature
        indptr, indices = indptr.astype(np.int64), indices.astype(np.int64)
    return CSR(indptr, indices, data, (n_rows, n_cols))


def check_interactions(user_items, name: str = "user_items", *, allow_empty: bool = False):
    """A validated users x items ``csr_matrix``: finite values, stored zeros dropped."""
    csr = as_csr(user_items, name)
    if not np.all(np.isfinite(csr.data)):
        raise ValueError(f"{name} holds NaN or infinite values")
    matrix = sp.csr_matrix((csr.data, csr.indices, csr.indptr), shape=csr.shape)
    if np.any(matrix.data == 0):
        matrix = matrix.copy()
        matrix.eliminate_zeros()
    if not allow_empty and (matrix.shape[0] == 0 or matrix.shape[1] == 0 or matrix.nnz == 0):
        raise ValueError(f"{name} is empty (shape {matrix.shape}, {matrix.nnz} stored values)")
    return matrix


def check_ids(ids, n: int, name: str) -> tuple[np.ndarray, bool]:
    """Integer ids as a 1-D int64 array, each in [0, n); also whether ``ids`` was a scalar."""
    scalar = np.ndim(ids) == 0
    arr = np.atleast_1d(np.asarray(ids))
    if arr.dtype.kind not in "iu":
        if arr.size == 0:
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name} must be integer ids, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a scalar or 1-D, got shape {arr.shape}")
    bad = (arr < 0) | (arr >= n)
    if np.any(bad):
        raise IndexError(f"{name} {int(arr[np.argmax(bad)])} is out of range [0, {n})")
    return arr.astype(np.int64), scalar


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """``value`` as an int, or ``ValueError`` unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_non_negative(value, name: str) -> float:
    """``value`` as a float, or ``ValueError`` unless it is a finite number >= 0."""
    if isinstance(value, bool) or not np.isscalar(value) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)
