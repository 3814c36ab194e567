"""Compiled SGD training for linear models: whole fits run in one call.

The update rules are scikit-learn's plain SGD (``_plain_sgd``): the weight
vector is stored as ``wscale * w`` so that L2 shrinkage costs O(1) per sample,
and the L1 part of the penalty is the cumulative penalty of Tsuruoka, Tsujii
and Ananiadou (2009), applied to the features of the current sample only, so
each sample costs O(nnz) for sparse rows. The rows come as a
:class:`~._sgd_rows.DenseRows` or :class:`~._sgd_rows.CsrRows` record; each
compiles its own trainer.

The pieces: the losses and the settings (``_sgd_losses``), row access
(``_sgd_rows``), the per-row step and epoch bookkeeping (``_sgd_step``), and
here the epoch drivers: one problem, one problem on two threads, many
problems in parallel.
"""
from __future__ import annotations

import numpy as np
from numba import prange

from .._config.jit import jit, jit_parallel
from .._cycles import cycle_count
from .._prefetch import prefetch_row
from .._random import shuffle_inplace
from ._sgd_losses import OK
from ._sgd_rows import DenseRows
from ._sgd_step import (
    _begin_epoch,
    _end_epoch,
    _finish,
    _setup,
    _train_rows,
)


@jit
def fit_one(rows, y, sw, positive, train, val, w, b_out, aw, ab_out, seed, s, t0, weight_pos,
            weight_neg, pa):
    """Train one binary (``positive >= 0``) or regression problem in place.

    ``w``/``b_out[0]`` hold the initial and then the fitted weights and
    intercept; ``aw``/``ab_out[0]`` the averaged ones. Returns
    ``(n_iter, status, t)`` where ``t`` is the sample counter after the fit.
    """
    order = train.copy()
    state = np.full(1, seed, dtype=np.uint64)
    record, q, l1_ratio, optimal_init, track = _setup(w, b_out[0], ab_out[0], s, t0)
    st = record[0]
    n_iter = 0
    status = OK
    for epoch in range(s.max_iter):
        if s.shuffle:
            shuffle_inplace(order, state)
        _begin_epoch(w, st, track)
        _train_rows(rows, y, sw, positive, order, w, aw, q, st, s, l1_ratio, optimal_init, track,
                    weight_pos, weight_neg, pa)
        n_iter = epoch + 1
        stop, status = _end_epoch(rows, y, sw, positive, val, w, aw, st, s, order.shape[0])
        if stop:
            break
    return _finish(w, aw, st, s, b_out, ab_out, n_iter, status)


@jit
def _gather(X, y, sw, order, start, stop, Xb, yb, swb):
    """Copy rows ``order[start:stop]`` of X, y and sw into the block buffers."""
    d = X.shape[1]
    for r in range(stop - start):
        i = order[start + r]
        if r + 8 < stop - start:  # ask for a later row while this one is copied
            prefetch_row(X, order[start + r + 8])
        for j in range(d):
            Xb[r, j] = X[i, j]
        yb[r] = y[i]
        swb[r] = sw[i]


PROBE_BLOCKS = 2  # blocks timed in each mode at the start of every epoch (after block 0)
STALL_FACTOR = 1.5  # a pipelined block this much slower than the straight path: stop pipelining


@jit_parallel
def fit_one_pipelined(X, y, sw, positive, train, val, w, b_out, aw, ab_out, seed, s, t0,
                      weight_pos, weight_neg, block_rows, pa):
    """:func:`fit_one` for dense X on two threads: one trains, one gathers.

    Visiting shuffled rows is bound by memory latency. Here each epoch's rows
    are copied in shuffled order, one block ahead, into a double buffer by a
    second thread, while the first trains on the previous block from cache.
    That only pays when the second thread really runs: on a busy machine it
    may wait for a core. So every epoch times its first blocks both ways
    (pipelined, and trained straight from X with prefetching, on one thread)
    and keeps the faster, and a pipelined block that stalls switches the rest
    of the epoch to the straight path. The rows and the
    per-sample arithmetic are those of :func:`fit_one` either way, so the
    weights are the same bit for bit (averaged weights up to the rounding of
    the final fold, which the compiler may contract differently).
    """
    order = train.copy()
    state = np.full(1, seed, dtype=np.uint64)
    record, q, l1_ratio, optimal_init, track = _setup(w, b_out[0], ab_out[0], s, t0)
    st = record[0]
    n_train = order.shape[0]
    d = X.shape[1]
    Xb = np.empty((2, block_rows, d), X.dtype)
    yb = np.empty((2, block_rows), y.dtype)
    swb = np.empty((2, block_rows), sw.dtype)
    iota = np.arange(block_rows)
    rows = DenseRows(X)
    n_blocks = (n_train + block_rows - 1) // block_rows
    slot = np.full(2, -1, np.int64)  # which block each buffer holds
    spent = np.zeros(2)  # probe cycles per row: [straight, pipelined]
    n_iter = 0
    status = OK
    for epoch in range(s.max_iter):
        if s.shuffle:
            shuffle_inplace(order, state)
        _begin_epoch(w, st, track)
        slot[:] = -1
        spent[:] = 0.0
        pipelined = True
        for blk in range(n_blocks):
            start = blk * block_rows
            stop = min(start + block_rows, n_train)
            # block 0 fills the pipeline; blocks 1..P time it, P+1..2P time the straight path
            if blk <= PROBE_BLOCKS:
                pipe = True
            elif blk <= 2 * PROBE_BLOCKS:
                pipe = False
            else:
                if blk == 2 * PROBE_BLOCKS + 1:
                    pipelined = spent[1] <= spent[0]
                pipe = pipelined
            nxt = blk + 1
            next_pipe = nxt < n_blocks and (nxt <= PROBE_BLOCKS or (
                nxt > 2 * PROBE_BLOCKS + 1 and pipelined))
            begin = cycle_count()
            if pipe:
                cur = blk % 2
                if slot[cur] != blk:
                    _gather(X, y, sw, order, start, stop, Xb[cur], yb[cur], swb[cur])
                    slot[cur] = blk
                for task in prange(2):
                    if task == 0:
                        _train_rows(DenseRows(Xb[cur]), yb[cur], swb[cur], positive,
                                    iota[:stop - start], w, aw, q,
                                    record[0], s,  # the record itself cannot enter a parfor
                                    l1_ratio, optimal_init, track, weight_pos, weight_neg, pa)
                    elif next_pipe:
                        _gather(X, y, sw, order, stop, min(stop + block_rows, n_train),
                                Xb[1 - cur], yb[1 - cur], swb[1 - cur])
                if next_pipe:
                    slot[1 - cur] = nxt
            else:
                _train_rows(rows, y, sw, positive, order[start:stop], w, aw, q, st, s, l1_ratio,
                            optimal_init, track, weight_pos, weight_neg, pa)
            per_row = (cycle_count() - begin) / (stop - start)
            if 0 < blk <= 2 * PROBE_BLOCKS:
                spent[1 if pipe else 0] += per_row
            elif pipe and per_row > STALL_FACTOR * spent[0] / PROBE_BLOCKS:
                pipelined = False  # the gather thread stalled (a busy core): straight till the epoch ends
        n_iter = epoch + 1
        stop_fit, status = _end_epoch(rows, y, sw, positive, val, w, aw, st, s, n_train)
        if stop_fit:
            break
    return _finish(w, aw, st, s, b_out, ab_out, n_iter, status)


@jit_parallel
def fit_many(rows, y, sw, positives, train, val, coef, intercept, avg_coef, avg_intercept,
             seeds, s, t0, weights_pos, weights_neg, n_iter, status, t_end, pa):
    """:func:`fit_one` for each row of ``coef``, the problems spread over the threads."""
    for k in prange(positives.shape[0]):
        n_iter[k], status[k], t_end[k] = fit_one(
            rows, y, sw, positives[k], train, val, coef[k], intercept[k:k + 1], avg_coef[k],
            avg_intercept[k:k + 1], seeds[k], s, t0, weights_pos[k], weights_neg[k], pa)
