"""How parallel kernels split their rows into chunks: the one home of chunking.

Two kinds of split:

* :func:`fixed_chunk_bounds`: equal chunks whose number does not depend on
  the thread count. Reductions sum per chunk and combine the chunks in
  order, so their result does not depend on the thread count either.
* :func:`balanced_bounds`: chunks of about equal *work* for rows of uneven
  cost (CSR rows: stored values plus a fixed cost per row), several per
  thread so that work stealing can even out the rest.

Both return int64 bounds ``b`` with chunk ``c`` covering ``range(b[c], b[c + 1])``.
"""
from __future__ import annotations

import numpy as np

from ._config.jit import jit

__all__ = ["CHUNKS_PER_THREAD", "balanced_bounds", "fixed_chunk_bounds"]

CHUNKS_PER_THREAD = 4  # balanced chunks per thread: uneven rows and busy cores even out


def fixed_chunk_bounds(n: int, max_chunks: int, min_chunk: int = 1) -> np.ndarray:
    """Bounds of at most ``max_chunks`` equal chunks of ``range(n)``, each at least ``min_chunk`` long.

    Examples
    --------
    >>> from fastmath._chunks import fixed_chunk_bounds
    >>> fixed_chunk_bounds(10, 3)
    array([ 0,  3,  6, 10])
    """
    n_chunks = max(1, min(max_chunks, n // max(1, min_chunk)))
    # floor(i * n / n_chunks) in integers: exact, and 5x cheaper than np.linspace
    return np.arange(n_chunks + 1, dtype=np.int64) * n // n_chunks


@jit
def _bounds_by_work(indptr, row_cost, n_chunks):
    n_rows = indptr.shape[0] - 1
    total = np.float64(indptr[n_rows] - indptr[0]) + row_cost * n_rows
    bounds = np.empty(n_chunks + 1, np.int64)
    bounds[0] = 0
    bounds[n_chunks] = n_rows
    for c in range(1, n_chunks):
        target = total * c / n_chunks
        lo, hi = bounds[c - 1], n_rows  # first row whose start reaches the target
        while lo < hi:
            mid = (lo + hi) // 2
            if np.float64(indptr[mid] - indptr[0]) + row_cost * mid < target:
                lo = mid + 1
            else:
                hi = mid
        bounds[c] = lo
    return bounds


def balanced_bounds(indptr: np.ndarray, n_chunks: int, row_cost: float = 0.0) -> np.ndarray:
    """Split CSR rows into ``n_chunks`` ranges of about equal work.

    A row's work is its number of stored values plus ``row_cost``; the split
    costs O(n_chunks log n_rows).

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath._chunks import balanced_bounds
    >>> balanced_bounds(np.array([0, 10, 11, 12, 20]), 2)
    array([0, 1, 4])
    """
    return _bounds_by_work(indptr, float(row_cost), max(1, int(n_chunks)))
