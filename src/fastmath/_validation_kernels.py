"""Compiled helpers of :mod:`fastmath._validation`: O(nnz) checks of sparse structure."""
from __future__ import annotations

import numpy as np
from numba import prange

from ._config.jit import jit, jit_parallel


@jit
def first_decrease(indptr):
    """Index of the first i with indptr[i + 1] < indptr[i], or -1."""
    for i in range(indptr.shape[0] - 1):
        if indptr[i + 1] < indptr[i]:
            return i
    return -1


@jit_parallel
def index_range(indices, bounds, lows, highs):
    """Per-chunk min and max of ``indices`` over non-empty chunks (one parallel pass over nnz)."""
    for c in prange(bounds.shape[0] - 1):
        lo = indices[bounds[c]]
        hi = lo
        # unsigned positions (bounds lie in [0, nnz]): without numba's
        # negative-index wraparound the min/max loop vectorizes
        for p in range(np.uint64(bounds[c]), np.uint64(bounds[c + 1])):
            v = indices[p]
            lo = min(lo, v)
            hi = max(hi, v)
        lows[c] = lo
        highs[c] = hi
