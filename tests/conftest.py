"""Shared test helpers: tolerances per dtype, memory layouts, random data."""
import numpy as np
import pytest

DTYPES = (np.float32, np.float64)
LAYOUTS = ("C", "F", "strided", "reversed")

# Tolerances in one place: relative, and absolute relative to the data's scale.
RTOL = {np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-12}
ATOL = {np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-12}


def tol(dtype, scale=1.0):
    """assert_allclose keyword arguments for ``dtype`` at a given magnitude."""
    d = np.dtype(dtype)
    return {"rtol": RTOL[d], "atol": ATOL[d] * scale}


def in_layout(a: np.ndarray, layout: str) -> np.ndarray:
    """The same values as ``a`` in the given memory layout."""
    if layout == "C":
        return np.ascontiguousarray(a)
    if layout == "F":
        return np.asfortranarray(a)
    if layout == "strided":
        big = np.zeros(tuple(2 * s for s in a.shape), dtype=a.dtype)
        view = big[tuple(slice(None, None, 2) for _ in a.shape)]
        view[...] = a
        return view
    if layout == "reversed":
        flipped = np.ascontiguousarray(a[(slice(None, None, -1),) * a.ndim])
        return flipped[(slice(None, None, -1),) * a.ndim]
    raise ValueError(layout)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
