"""Thin wrappers over SciPy's BLAS that avoid copies.

BLAS works on Fortran-ordered matrices. A C-ordered matrix is the transpose
of a Fortran-ordered one, so every operand can be handed over without a copy
together with a transpose flag; only truly strided operands are copied.
"""
import numpy as np
from scipy.linalg import blas


def fortran_operand(m: np.ndarray):
    """Return ``(f, trans)`` with ``f`` Fortran-contiguous and ``op(f) == m``."""
    if m.flags.f_contiguous:
        return m, 0
    if m.flags.c_contiguous:
        return m.T, 1
    return np.asfortranarray(m), 0


def gemm_into(alpha, a: np.ndarray, b: np.ndarray, beta, out: np.ndarray) -> None:
    """``out[...] = alpha * a @ b + beta * out`` for a C-ordered ``out``, in place.

    Computed as ``out.T = alpha * b.T @ a.T + beta * out.T``: ``out.T`` is
    Fortran-ordered, so BLAS writes straight into ``out``.
    """
    gemm = blas.get_blas_funcs("gemm", dtype=out.dtype)
    bt, trans_b = fortran_operand(b.T)
    at, trans_a = fortran_operand(a.T)
    res = gemm(alpha, bt, at, beta=beta, c=out.T, trans_a=trans_b, trans_b=trans_a, overwrite_c=1)
    if not np.shares_memory(res, out):  # pragma: no cover - f2py copied c
        out[...] = res.T


def syrk_upper_into(alpha, a: np.ndarray, out: np.ndarray) -> None:
    """Upper triangle of ``out = alpha * a @ a.T`` (C-ordered square ``out``), in place.

    The lower triangle of ``out`` is left untouched.
    """
    syrk = blas.get_blas_funcs("syrk", dtype=out.dtype)
    f, trans = fortran_operand(a)
    # BLAS fills the 'lower' triangle of out.T (Fortran order), i.e. the upper of out.
    res = syrk(alpha, f, beta=0.0, c=out.T, trans=trans, lower=1, overwrite_c=1)
    if not np.shares_memory(res, out):  # pragma: no cover - f2py copied c
        out[...] = res.T
