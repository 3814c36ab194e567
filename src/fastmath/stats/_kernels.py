"""Compiled kernels of the statistics family: chunked moments (the Mahalanobis tiles are in
:mod:`._norm_tiles`)."""
from __future__ import annotations

import numpy as np
from numba import prange

from .._config.jit import jit, jit_parallel


@jit
def center_rows(X, lo, n, mean, out):
    """out[r] = X[lo + r] - mean for r < n (float64)."""
    d = X.shape[1]
    for r in range(n):
        for j in range(d):
            out[r, j] = np.float64(X[lo + r, j]) - mean[j]


@jit_parallel
def chunk_moments(X, bounds, counts, means, scatters):
    """Mean and scatter matrix ``sum (x - mean)(x - mean)^T`` of each row chunk.

    Each chunk is centred on its own mean before the products (a second pass
    over a cache-sized block), which keeps the sums accurate for data far
    from 0; chunks are combined afterwards with Chan, Golub and LeVeque's
    formula. The products go four rows at a time into the d x d accumulator,
    so each accumulator row is loaded and stored once per four samples.
    """
    d = X.shape[1]
    for c in prange(bounds.shape[0] - 1):
        lo, hi = bounds[c], bounds[c + 1]
        n = hi - lo
        counts[c] = n
        mean = np.zeros(d, np.float64)
        for i in range(lo, hi):
            for j in range(d):
                mean[j] += X[i, j]
        if n > 0:
            mean /= n
        S = np.zeros((d, d), np.float64)
        z = np.empty((4, d), np.float64)
        r = 0
        while r + 4 <= n:
            center_rows(X, lo + r, np.int64(4), mean, z)
            for j in range(d):
                a0, a1, a2, a3 = z[0, j], z[1, j], z[2, j], z[3, j]
                for k in range(d):
                    S[j, k] += a0 * z[0, k] + a1 * z[1, k] + a2 * z[2, k] + a3 * z[3, k]
            r += 4
        while r < n:
            center_rows(X, lo + r, np.int64(1), mean, z)
            for j in range(d):
                for k in range(d):
                    S[j, k] += z[0, j] * z[0, k]
            r += 1
        means[c, :] = mean
        scatters[c, :, :] = S

