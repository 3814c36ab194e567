"""Top-N selection over rows of a score matrix, in parallel over rows."""
from __future__ import annotations

import numpy as np
from numba import prange

from .._config.jit import jit, jit_parallel


@jit
def _better(s1, i1, s2, i2):
    """Ranking order: higher score first, then the lower item id."""
    return s1 > s2 or (s1 == s2 and i1 < i2)


@jit
def _sift_down(hs, hi, pos, size):
    """Restore the heap whose root is the worst kept candidate."""
    while True:
        child = 2 * pos + 1
        if child >= size:
            return
        if child + 1 < size and _better(hs[child], hi[child], hs[child + 1], hi[child + 1]):
            child += 1  # the worse of the two children
        if _better(hs[pos], hi[pos], hs[child], hi[child]):
            hs[pos], hs[child] = hs[child], hs[pos]
            hi[pos], hi[child] = hi[child], hi[pos]
            pos = child
        else:
            return


@jit_parallel
def select_top_n(scores, candidates, excl_indptr, excl_indices, row_offset, always, lowest,
                 ids_out, scores_out):
    """Best ``N = ids_out.shape[1]`` candidates of each row; excluded items ranked last.

    ``candidates`` lists the item ids allowed; an item listed in the CSR row
    ``row_offset + r`` of ``excl_indptr/indices``, or flagged in ``always``,
    keeps its place among the candidates with the score ``lowest`` (as
    implicit ranks filtered items), so N never runs out of real ids. NaN
    scores rank below every number.
    """
    m = scores.shape[0]
    N = ids_out.shape[1]
    for r in prange(m):
        excluded = always.copy()
        row = row_offset + r
        for k in range(excl_indptr[row], excl_indptr[row + 1]):
            excluded[excl_indices[k]] = True
        hs = np.empty(N, np.float64)
        hi = np.empty(N, np.int64)
        size = 0
        for c in range(candidates.shape[0]):
            item = candidates[c]
            s = lowest if excluded[item] else np.float64(scores[r, item])
            if s != s:
                s = -np.inf
            if size < N:  # grow the heap; keep its root the worst
                pos = size
                hs[pos] = s
                hi[pos] = item
                size += 1
                while pos > 0:
                    parent = (pos - 1) // 2
                    if _better(hs[parent], hi[parent], hs[pos], hi[pos]):
                        hs[parent], hs[pos] = hs[pos], hs[parent]
                        hi[parent], hi[pos] = hi[pos], hi[parent]
                        pos = parent
                    else:
                        break
            elif _better(s, item, hs[0], hi[0]):
                hs[0] = s
                hi[0] = item
                _sift_down(hs, hi, 0, size)
        for slot in range(size - 1, -1, -1):  # pop the worst into the last slot
            ids_out[r, slot] = hi[0]
            scores_out[r, slot] = hs[0]
            hs[0] = hs[slot]
            hi[0] = hi[slot]
            _sift_down(hs, hi, 0, slot)
