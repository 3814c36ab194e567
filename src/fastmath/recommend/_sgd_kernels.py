"""Compiled SGD epochs for biased matrix factorization.

The ratings are grouped into a B x B grid of (user block, item block) cells.
A sub-epoch runs the B cells of one "diagonal" ``{(t, (t + s) % B)}`` in
parallel: no two of them share a user block or an item block, so threads never
write the same factor row (the block idea of FPSGD, Chin et al. 2015, with
DSGD's fixed diagonal order, Gemulla et al. 2011). Each cell's ratings are
shuffled in place every epoch from a seed that depends on the cell and the
epoch only, so a fit is reproducible for a given seed whatever the threads.
"""
from __future__ import annotations

import numpy as np
from numba import prange

from .._config.jit import jit, jit_parallel
from .._prefetch import prefetch_row
from .._random import random_below

PREFETCH_AHEAD = 4


@jit
def _shuffle_cell(users, items, ratings, start, stop, seed):
    state = np.full(1, seed, dtype=np.uint64)
    for k in range(stop - 1, start, -1):
        j = start + random_below(state, k - start + 1)
        users[k], users[j] = users[j], users[k]
        items[k], items[j] = items[j], items[k]
        ratings[k], ratings[j] = ratings[j], ratings[k]


@jit
def _sgd_cell(users, items, ratings, start, stop, P, Q, bu, bi, mean, lr, reg, biased):
    """Surprise's SVD update over one cell; returns the sum of squared errors seen."""
    T = P.dtype.type
    lr_, reg_ = T(lr), T(reg)
    f = P.shape[1]
    sse = 0.0
    for k in range(start, stop):  # 2-D indexing, no row views: a view's refcount is shared
        if k + PREFETCH_AHEAD < stop:  # the factor rows of a later rating (shuffled: cache misses)
            prefetch_row(P, users[k + PREFETCH_AHEAD])
            prefetch_row(Q, items[k + PREFETCH_AHEAD])
        u = users[k]
        i = items[k]
        dot = T(0.0)
        for a in range(f):
            dot += P[u, a] * Q[i, a]
        err = T(ratings[k] - mean) - dot
        if biased:
            err -= bu[u] + bi[i]
            bu[u] += lr_ * (err - reg_ * bu[u])
            bi[i] += lr_ * (err - reg_ * bi[i])
        for a in range(f):
            p = P[u, a]
            q = Q[i, a]
            P[u, a] = p + lr_ * (err * q - reg_ * p)
            Q[i, a] = q + lr_ * (err * p - reg_ * q)
        sse += np.float64(err) * np.float64(err)
    return sse


@jit_parallel
def sgd_epoch(users, items, ratings, cell_ptr, n_blocks, P, Q, bu, bi, mean, lr, reg, biased,
              seed, epoch, shuffle, cell_sse):
    """One epoch over the grid; ``cell_sse[c]`` gets the squared errors of cell ``c``."""
    B = n_blocks
    if shuffle:
        for c in prange(B * B):
            _shuffle_cell(users, items, ratings, cell_ptr[c], cell_ptr[c + 1],
                          np.uint64(seed) * np.uint64(1000003) + np.uint64(epoch * B * B + c))
    for s in range(B):
        for t in prange(B):
            c = t * B + (t + s) % B
            cell_sse[c] = _sgd_cell(users, items, ratings, cell_ptr[c], cell_ptr[c + 1], P, Q,
                                    bu, bi, mean, lr, reg, biased)
