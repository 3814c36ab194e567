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
* parameters: a value of the wrong type raises ``TypeError``, a value of the
  right type outside its range (NaN included) raises ``ValueError``; both
  name the parameter. Estimators declare scikit-learn's
  ``_parameter_constraints`` (``Interval``, ``StrOptions``); functions use
  :func:`check_int`, :func:`check_real` and :func:`check_param` here, which
  speak the same vocabulary. Any NumPy integer or floating scalar is accepted
  where a Python int or float is.

This module does not import numba (its compiled helpers are imported when a
sparse matrix is checked), so the configuration can use it cheaply.
"""
from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp



def _kind_error(name: str, dtype) -> TypeError:
    return TypeError(
        f"{name} must hold real numbers (float32, float64, integer or bool), got dtype {dtype}"
    )


def float_dtype_of(x, name: str) -> np.dtype:
    """The float dtype ``x`` computes in under the dtype policy."""
    dtype = np.asarray(x).dtype if not hasattr(x, "dtype") else np.dtype(x.dtype)
    if dtype.type in (np.float32, np.float64):  # either byte order: computed in native order
        return np.dtype(dtype.type)
    if dtype.kind in "biuf":
        return np.dtype(np.float64)
    raise _kind_error(name, dtype)


def result_dtype(*dtypes: np.dtype) -> np.dtype:
    """float32 when every operand is float32, otherwise float64."""
    if dtypes and all(np.dtype(d).type is np.float32 for d in dtypes):
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


def check_out(out, shape: tuple, dtype: np.dtype, name: str = "out",
              casting: str = "no") -> np.ndarray | None:
    """Validate a user-supplied output array; ``None`` passes through.

    ``casting`` is NumPy's rule for storing the ``dtype`` result in ``out``:
    "no" asks for ``dtype`` itself, "same_kind" is a ufunc's default."""
    if out is None:
        return None
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if out.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {out.shape}")
    if casting == "no" and out.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype}, got {out.dtype}")
    if not np.can_cast(dtype, out.dtype, casting):
        raise TypeError(f"{name} has dtype {out.dtype}, which cannot hold the {dtype} result "
                        f"under casting rule {casting!r}")
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


def _check_indices_in_range(indices: np.ndarray, upper: int, name: str, what: str) -> None:
    """Every entry of ``indices`` in ``[0, upper)``, in one parallel O(n) pass."""
    if indices.shape[0] == 0:
        return
    from ._chunks import fixed_chunk_bounds
    from ._config.threads import kernel_threads
    from ._validation_kernels import index_range

    bounds = fixed_chunk_bounds(indices.shape[0], max_chunks=64, min_chunk=1)
    lows = np.empty(bounds.shape[0] - 1, dtype=indices.dtype)
    highs = np.empty(bounds.shape[0] - 1, dtype=indices.dtype)
    with kernel_threads(indices.shape[0], "elementwise"):
        index_range(indices, bounds, lows, highs)
    lo, hi = int(lows.min()), int(highs.max())
    if lo < 0 or hi >= upper:
        bad = lo if lo < 0 else hi
        raise ValueError(f"{name} is malformed: {what} index {bad} is out of range [0, {upper})")


def _check_compressed(A, name: str, n_major: int, n_minor: int, what: str, bsr: bool = False,
                      check_indices: bool = True):
    """``indptr``/``indices``/``data`` of a CSR, CSC or BSR matrix, checked (the
    ``indices`` only when ``check_indices``); returns the arrays."""
    indptr, indices = _index_array(A.indptr), _index_array(A.indices)
    data = np.asarray(A.data)
    if indptr.ndim != 1 or indptr.shape[0] != n_major + 1:
        raise ValueError(f"{name} is malformed: indptr must be 1-D of length {n_major + 1}, got "
                         f"shape {indptr.shape}")
    if indices.ndim != 1:
        raise ValueError(f"{name} is malformed: indices must be 1-D, got shape {indices.shape}")
    if data.ndim != (3 if bsr else 1):
        raise ValueError(f"{name} is malformed: data must be {3 if bsr else 1}-D, got "
                         f"shape {data.shape}")
    if indptr[0] != 0:
        raise ValueError(f"{name} is malformed: indptr[0] must be 0, got {indptr[0]}")
    from ._validation_kernels import first_decrease

    if first_decrease(indptr) >= 0:
        raise ValueError(f"{name} is malformed: indptr must be non-decreasing")
    nnz = int(indptr[-1])
    if indices.shape[0] < nnz or data.shape[0] < nnz:
        raise ValueError(f"{name} is malformed: indptr[-1] = {nnz} but indices has "
                         f"{indices.shape[0]} and data has {data.shape[0]} entries")
    indices = indices[:nnz]
    if check_indices:
        _check_indices_in_range(indices, n_minor, name, what)
    return indptr, indices, data[:nnz]


def _check_coo(A, name: str) -> None:
    coords = [_index_array(c) for c in A.coords] if hasattr(A, "coords") else \
        [_index_array(A.row), _index_array(A.col)]
    data = np.asarray(A.data)
    if data.ndim != 1 or any(c.ndim != 1 or c.shape[0] != data.shape[0] for c in coords):
        raise ValueError(f"{name} is malformed: COO row, col and data must be 1-D of one "
                         f"length, got {[c.shape for c in coords]} and {data.shape}")
    for c, upper, what in zip(coords, A.shape, ("row", "column")):
        _check_indices_in_range(c, upper, name, what)


def check_sparse_structure(A, name: str) -> None:
    """Check a scipy.sparse matrix's structure in its own format, before any conversion.

    SciPy's conversions (``tocsr()`` of a COO, CSC or BSR matrix) write at
    the stored indices without checking them, so a malformed matrix can
    crash the process there. CSR, CSC and BSR get their ``indptr`` and
    ``indices`` checked, COO its coordinates; LIL and DOK convert safely
    and are checked as CSR afterwards. Raises ``ValueError`` naming ``A``.
    """
    if A.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {A.shape}")
    n_rows, n_cols = A.shape
    if A.format == "csr":
        _check_compressed(A, name, n_rows, n_cols, "column")
    elif A.format == "csc":
        _check_compressed(A, name, n_cols, n_rows, "row")
    elif A.format == "coo":
        _check_coo(A, name)
    elif A.format == "bsr":
        r, c = A.blocksize
        if r < 1 or c < 1 or n_rows % r or n_cols % c:
            raise ValueError(f"{name} is malformed: blocksize {A.blocksize} does not divide "
                             f"shape {A.shape}")
        _check_compressed(A, name, n_rows // r, n_cols // c, "block column", bsr=True)
        if np.asarray(A.data).shape[1:] != (r, c):
            raise ValueError(f"{name} is malformed: data blocks must be {(r, c)}, got "
                             f"{np.asarray(A.data).shape[1:]}")
    elif A.format == "dia":
        data, offsets = np.asarray(A.data), np.asarray(A.offsets)
        if data.ndim != 2 or offsets.ndim != 1 or offsets.shape[0] != data.shape[0]:
            raise ValueError(f"{name} is malformed: DIA data must be 2-D with one row per "
                             f"offset, got {data.shape} and {offsets.shape}")


def as_csr(A, name: str, *, check_indices: bool = True) -> CSR:
    """Convert any scipy.sparse matrix/array to a validated :class:`CSR`.

    The structure is checked in the input's own format first (see
    :func:`check_sparse_structure`), then as CSR in O(nnz): ``indptr``
    starts at 0, never decreases and ends at ``nnz``, and every column index
    lies in ``[0, n_cols)``. Duplicates are kept (products sum them). Values
    are not checked: NaN and Inf propagate.

    ``check_indices=False`` leaves a CSR input's column indices unchecked, for
    a kernel that checks each one before it uses it; that kernel's caller
    raises through :func:`check_csr_indices` when it reports one.
    """
    if not sp.issparse(A):
        raise TypeError(f"{name} must be a scipy.sparse matrix or array, got {type(A).__name__}")
    if A.format != "csr":  # a CSR is checked once, below
        check_sparse_structure(A, name)
        A = A.tocsr()
    n_rows, n_cols = A.shape
    indptr, indices, data = _check_compressed(A, name, n_rows, n_cols, "column",
                                              check_indices=check_indices)
    if data.dtype.kind not in "biuf":
        raise _kind_error(name, data.dtype)
    data = np.ascontiguousarray(data, dtype=float_dtype_of(data, name))
    if indptr.dtype != indices.dtype:  # one index type per kernel signature
        indptr, indices = indptr.astype(np.int64), indices.astype(np.int64)
    return CSR(indptr, indices, data, (n_rows, n_cols))


def check_csr_indices(csr: CSR, name: str) -> None:
    """Raise ``ValueError`` naming ``name`` if a column index of ``csr`` is outside
    ``[0, n_cols)`` (the check :func:`as_csr` skips with ``check_indices=False``)."""
    _check_indices_in_range(csr.indices, csr.shape[1], name, "column")


def check_interactions(user_items, name: str = "user_items", *, allow_empty: bool = False):
    """A validated users x items ``csr_matrix``: finite values, duplicates summed (SciPy's
    view of the matrix), stored zeros dropped, indices kept in their width."""
    csr = as_csr(user_items, name)
    if not np.all(np.isfinite(csr.data)):
        raise ValueError(f"{name} holds NaN or infinite values")
    matrix = sp.csr_matrix((csr.data, csr.indices, csr.indptr), shape=csr.shape)
    if not matrix.has_canonical_format:
        matrix = matrix.copy()
        matrix.sum_duplicates()
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


# --- parameters --------------------------------------------------------------

def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _range_text(low, high, closed) -> str:
    left = "[" if closed in ("both", "left") else "("
    right = "]" if closed in ("both", "right") else ")"
    return f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"


def check_int(value, name: str, *, low=None, high=None) -> int:
    """``value`` as an int in ``[low, high]``.

    Raises ``TypeError`` unless ``value`` is an integer (any integral type but
    bool), ``ValueError`` when it is out of range.
    """
    if not _is_int(value):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be an integer in the range {_range_text(low, high, 'both')}, "
                         f"got {value}")
    return value


def check_real(value, name: str, *, low=None, high=None, closed: str = "both") -> float:
    """``value`` as a finite float in the interval given by ``low``, ``high`` and ``closed``.

    ``closed`` is 'both', 'left', 'right' or 'neither'. Raises ``TypeError``
    unless ``value`` is a real number (any real type but bool), ``ValueError``
    for NaN, infinity or a value out of range.
    """
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number, got {value!r} of type "
                        f"{type(value).__name__}")
    value = float(value)
    ok = np.isfinite(value)
    if ok and low is not None:
        ok = value >= low if closed in ("both", "left") else value > low
    if ok and high is not None:
        ok = value <= high if closed in ("both", "right") else value < high
    if not ok:
        raise ValueError(f"{name} must be a finite number in the range "
                         f"{_range_text(low, high, closed)}, got {value!r}")
    return value


def check_param(value, name: str, constraints):
    """``value`` if it satisfies one of scikit-learn's parameter ``constraints``.

    ``constraints`` is a list in scikit-learn's vocabulary (``Interval``,
    ``StrOptions``, ``Options``, a type, ``None``, "boolean", ...). Raises
    ``TypeError`` when no constraint accepts the type of ``value``, and
    ``ValueError`` when one does but the value is outside it.
    """
    from sklearn.utils._param_validation import Interval, Options, make_constraint

    made = [make_constraint(c) for c in constraints]
    if any(c.is_satisfied_by(value) for c in made):
        return value
    shown = ", ".join(str(c) for c in made[:-1]) + (" or " if len(made) > 1 else "") + str(made[-1])
    type_fits = any((isinstance(c, Interval) and isinstance(value, c.type)
                     and not isinstance(value, (bool, np.bool_)))
                    or (isinstance(c, Options) and isinstance(value, c.type)) for c in made)
    kind = ValueError if type_fits else TypeError
    raise kind(f"{name} must be {shown}; got {value!r}")


def check_axis(axis, ndim: int, name: str = "axis") -> int:
    """``axis`` as a non-negative int for an array of ``ndim`` dimensions.

    ``TypeError`` unless it is an integer, ``ValueError`` (NumPy's
    ``AxisError``) when it is out of bounds.
    """
    if not _is_int(axis):
        raise TypeError(f"{name} must be an integer, got {axis!r} of type {type(axis).__name__}")
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(f"{name} {axis} is out of bounds for an array of "
                                      f"dimension {ndim}")
    return axis % ndim if ndim else 0


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


def check_sample_weight(sample_weight, n_samples: int, name: str = "sample_weight"):
    """scikit-learn's sample-weight rules, with errors that name the argument.

    ``None`` or a scalar become one weight per sample; otherwise a 1-D array
    of ``n_samples`` finite real numbers, not all zero. Negative weights are
    allowed, as in scikit-learn. Every refusal is a ``ValueError``, as in
    scikit-learn (strings and complex numbers included). Returns a float64 array.
    """
    if sample_weight is None:
        return np.ones(n_samples)
    sw = np.asarray(sample_weight)
    if sw.dtype.kind not in "biuf":  # ValueError, as scikit-learn raises for these
        raise ValueError(f"{name} must hold real numbers, got dtype {sw.dtype}")
    sw = sw.astype(np.float64)
    if sw.ndim == 0:
        sw = np.full(n_samples, float(sw))
    elif sw.shape != (n_samples,):
        raise ValueError(f"{name} must have shape ({n_samples},) (one weight per sample) or be "
                         f"a scalar, got shape {sw.shape}")
    if not np.all(np.isfinite(sw)):
        raise ValueError(f"{name} must be finite, got NaN or infinite values")
    if n_samples and not np.any(sw != 0):
        raise ValueError(f"{name} must contain at least one non-zero number")
    return np.ascontiguousarray(sw)
