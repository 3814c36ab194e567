"""Sorting and threshold sweeps behind the ROC and precision-recall metrics.

Scores are split by class and each part is radix-sorted on order-preserving
integer keys; one merge walk over the distinct scores, highest first, then
gives the true- and false-positive counts at every threshold. Ties are
handled exactly: a threshold is a distinct score value.
"""
from __future__ import annotations

import numpy as np
from numba import prange

from .._chunks import fixed_chunk_bounds
from .._config.jit import jit, jit_parallel

RADIX_BITS = 11
RADIX = 1 << RADIX_BITS


SIGN = np.uint64(0x8000000000000000)


@jit_parallel
def float_keys(bits, out):
    """Order-preserving uint64 keys from float64 bit patterns (``values.view(int64)``).

    Pass ``values + 0.0`` so that -0.0 and 0.0 get the same key.
    """
    for i in prange(bits.shape[0]):
        b = bits[i]
        out[i] = np.uint64(~b) if b < 0 else np.uint64(b) | SIGN


def keys_to_floats(keys: np.ndarray) -> np.ndarray:
    """Inverse of :func:`float_keys`."""
    positive = (keys & SIGN) != 0
    bits = np.where(positive, keys & ~SIGN, ~keys)
    return bits.view(np.float64)


@jit_parallel
def _histograms(keys, shift, bounds, counts):
    """counts[c, d] = keys of chunk c whose digit at ``shift`` is d."""
    mask = np.uint64(RADIX - 1)
    for c in prange(bounds.shape[0] - 1):
        counts[c, :] = 0
        for i in range(bounds[c], bounds[c + 1]):
            counts[c, (keys[i] >> np.uint64(shift)) & mask] += 1


@jit_parallel
def _scatter(keys, out, shift, bounds, offsets):
    mask = np.uint64(RADIX - 1)
    for c in prange(bounds.shape[0] - 1):
        pos = offsets[c].copy()
        for i in range(bounds[c], bounds[c + 1]):
            d = (keys[i] >> np.uint64(shift)) & mask
            out[pos[d]] = keys[i]
            pos[d] += 1


def radix_sort(keys: np.ndarray, n_chunks: int) -> np.ndarray:
    """Sorted copy of uint64 ``keys`` (LSD radix, 11-bit digits, parallel chunks).

    Digits on which every key agrees are skipped, so scores in a narrow range
    (probabilities) sort in fewer passes.
    """
    n = keys.shape[0]
    bounds = fixed_chunk_bounds(n, n_chunks, 1 << 16)
    chunks = bounds.shape[0] - 1
    counts = np.empty((chunks, RADIX), np.int64)
    src, dst = keys.copy(), np.empty_like(keys)
    for shift in range(0, 64, RADIX_BITS):
        _histograms(src, shift, bounds, counts)
        per_digit = counts.sum(axis=0)
        if per_digit.max() == n:
            continue  # every key has the same digit here
        starts = np.concatenate([[0], np.cumsum(per_digit)[:-1]])
        offsets = starts + np.cumsum(counts, axis=0) - counts  # chunk c's first slot per digit
        _scatter(src, dst, shift, bounds, offsets)
        src, dst = dst, src
    return src


@jit
def sweep(pos_keys, neg_keys, out_keys, out_tp, out_fp):
    """Merge the ascending key arrays from the top; one row per distinct key.

    Writes, highest key first, each distinct key and the cumulative counts of
    positives and negatives at or above it; returns the number of rows.
    """
    i = pos_keys.shape[0] - 1
    j = neg_keys.shape[0] - 1
    tp = 0
    fp = 0
    m = 0
    while i >= 0 or j >= 0:
        if j < 0 or (i >= 0 and pos_keys[i] >= neg_keys[j]):
            k = pos_keys[i]
        else:
            k = neg_keys[j]
        while i >= 0 and pos_keys[i] == k:
            tp += 1
            i -= 1
        while j >= 0 and neg_keys[j] == k:
            fp += 1
            j -= 1
        out_keys[m] = k
        out_tp[m] = tp
        out_fp[m] = fp
        m += 1
    return m


@jit
def auc_and_ap(tp, fp, n_pos, n_neg):
    """Trapezoidal ROC AUC and average precision from the threshold sweep."""
    area = 0.0
    ap = 0.0
    prev_tp = 0.0
    prev_fp = 0.0
    for k in range(tp.shape[0]):
        t = np.float64(tp[k])
        f = np.float64(fp[k])
        area += (f - prev_fp) * (t + prev_tp) * 0.5
        if t > prev_tp:
            ap += (t - prev_tp) * (t / (t + f))
        prev_tp, prev_fp = t, f
    return area / (n_pos * n_neg), ap / n_pos
