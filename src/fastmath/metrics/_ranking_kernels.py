"""Per-user ranking metrics, in parallel over users (implicit's definitions)."""
from __future__ import annotations

import numpy as np
from numba import prange

from .._config.jit import jit, jit_parallel


@jit
def _contains(sorted_values, start, stop, value):
    lo, hi = start, stop
    while lo < hi:
        mid = (lo + hi) // 2
        if sorted_values[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo < stop and sorted_values[lo] == value


@jit_parallel
def ranking_metrics(ids, users, test_indptr, test_indices, n_items, out):
    """``out[r] = (precision hits, min(K, |likes|), recall, AP, nDCG, AUC)`` of user ``users[r]``.

    ``ids`` holds each user's top K (best first, -1 for empty slots);
    ``test_indices`` must be sorted within each row.
    """
    K = ids.shape[1]
    for r in prange(ids.shape[0]):
        u = users[r]
        start, stop = test_indptr[u], test_indptr[u + 1]
        n_pos = stop - start
        n_neg = n_items - n_pos
        idcg = 0.0
        for k in range(min(K, n_pos)):
            idcg += 1.0 / np.log2(k + 2.0)
        hits = 0
        ap = 0.0
        dcg = 0.0
        auc = 0.0
        miss = 0
        for k in range(K):
            if ids[r, k] >= 0 and _contains(test_indices, start, stop, ids[r, k]):
                hits += 1
                ap += hits / (k + 1.0)
                dcg += 1.0 / np.log2(k + 2.0)
            else:
                miss += 1
                auc += hits
        auc += ((hits + n_pos) / 2.0) * (n_neg - miss)
        out[r, 0] = hits
        out[r, 1] = min(K, n_pos)
        out[r, 2] = hits / n_pos
        out[r, 3] = ap / min(K, n_pos)
        out[r, 4] = dcg / idcg
        out[r, 5] = auc / (n_pos * n_neg) if n_neg > 0 else 1.0
