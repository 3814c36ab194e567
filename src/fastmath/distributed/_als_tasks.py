"""The task graph of a distributed ALS fit: ingest, the plan, and the half-iterations.

Functions named ``*_task`` run on the workers; the rest run on the client
and submit them. Every task returns new arrays (Dask may hand the same input
to a retried task), and every half-step runs the in-memory kernels of
:mod:`fastmath.recommend._als_kernels` on one block.
"""
from __future__ import annotations

import operator
from concurrent.futures import CancelledError
from dataclasses import dataclass

import numpy as np

from .._config.threads import kernel_threads
from ..recommend import _als_kernels as K
from ..recommend.als import _bounds, _gram, _row_sq, _sq_norm
from . import _als_blocks as B
from ._engine import in_worker_threads, tree_reduce


def _lost_errors():
    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker

    return (CancelledError, KilledWorker, CommClosedError)


try:
    LOST_ERRORS = _lost_errors()
except ImportError:  # pragma: no cover - the extra is not installed
    LOST_ERRORS = (CancelledError,)


# --- ingest --------------------------------------------------------------------

def _frame_task(frame, columns, where):
    return B.triples_from_frame(frame, *columns, where=where)


def _split_task(triples, shape, pair, where):
    B.check_range(triples[0], triples[1], shape, where)
    return B.split(triples, *pair)


def _pick_task(groups, side, block):
    return groups[side][block]


def _build_task(block, n_blocks, n_rows, n_other, n_other_blocks, *pieces):
    return B.build_block(list(pieces), block, n_blocks, n_rows, n_other, n_other_blocks)


@dataclass
class Blocks:
    """What ingest leaves on the cluster (futures) and what the client knows of it."""
    shape: tuple
    pair: tuple
    users: list  # futures of user blocks (dicts of build_block)
    items: list
    user_needed: list  # user_needed[ub][ib]: future of the local item ids ub needs from ib
    item_needed: list
    item_counts: list  # futures of interactions per local item
    user_counts: list
    nnz: int
    total: float
    max_abs: float
    shuffle_rows: int


def _pieces(client, interactions, columns):
    """Futures of (users, items, values) per partition or block, and their labels."""
    import dask

    if hasattr(interactions, "columns"):
        parts = interactions.to_delayed()
        labels = [f" (partition {p})" for p in range(len(parts))]
        tasks = [dask.delayed(_frame_task)(part, columns, where)
                 for part, where in zip(parts, labels)]
        return client.compute(tasks), labels, None
    if interactions.ndim != 2 or any(np.isnan(c).any() for c in map(np.array, interactions.chunks)):
        raise ValueError(f"user_items must be a 2-D Dask array with known chunks, got shape "
                         f"{interactions.shape}")
    offsets = [np.concatenate([[0], np.cumsum(c)]).astype(int) for c in interactions.chunks]
    grid = interactions.to_delayed()
    tasks, labels = [], []
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            where = f" (block ({i}, {j}))"
            tasks.append(dask.delayed(B.triples_from_matrix)(grid[i, j], offsets[0][i],
                                                              offsets[1][j], where))
            labels.append(where)
    return client.compute(tasks), labels, tuple(int(n) for n in interactions.shape)


def ingest(client, interactions, columns, shape, pair) -> Blocks:
    """Validate the input, build both sides' blocks and the plan, on the cluster."""
    triples, labels, array_shape = _pieces(client, interactions, columns)
    if array_shape is not None:
        shape = array_shape
    if shape is None:
        summaries = client.gather(client.map(B.summary, triples, pure=False))
        shape = (max(s[0] for s in summaries) + 1, max(s[1] for s in summaries) + 1)
        if min(shape) < 1:
            raise ValueError("interactions is empty: no (user, item) pair to learn from")
    bu, bi = pair
    splits = [client.submit(_split_task, t, shape, pair, where, pure=False)
              for t, where in zip(triples, labels)]
    sides = []
    for side, (n_blocks, n_rows, n_other, n_other_blocks) in enumerate(
            ((bu, shape[0], shape[1], bi), (bi, shape[1], shape[0], bu))):
        blocks = []
        for b in range(n_blocks):
            pieces = [client.submit(_pick_task, s, side, b, pure=False) for s in splits]
            blocks.append(client.submit(_build_task, b, n_blocks, n_rows, n_other,
                                        n_other_blocks, *pieces, pure=False))
        sides.append(blocks)
    users, items = sides
    user_needed = [[client.submit(B.needed_rows, u, ib, pure=False) for ib in range(bi)]
                   for u in users]
    item_needed = [[client.submit(B.needed_rows, i, ub, pure=False) for ub in range(bu)]
                   for i in items]
    sizes = client.gather(client.map(len, [f for row in user_needed + item_needed for f in row],
                                     pure=False))
    stats = client.gather(client.map(B.block_stats, users, pure=False))
    nnz = sum(s[0] for s in stats)
    if nnz == 0:
        raise ValueError(f"interactions is empty (shape {shape}, 0 stored values)")
    return Blocks(shape=shape, pair=pair, users=users, items=items, user_needed=user_needed,
                  item_needed=item_needed,
                  item_counts=client.map(B.block_counts, items, pure=False),
                  user_counts=client.map(B.block_counts, users, pure=False),
                  nnz=nnz, total=sum(s[1] for s in stats), max_abs=max(s[2] for s in stats),
                  shuffle_rows=int(sum(sizes)))


# --- tasks of the iterations -------------------------------------------------

def _aligned(a):
    """``a`` element-aligned: an array unpickled from a Dask message may not be, and
    OpenBLAS sums misaligned float32 in another order (a different last bit)."""
    return np.require(a, requirements=["C", "A"])


def _csr_task(block, scale, dtype):
    return (_aligned(block["indptr"]), _aligned(block["indices"]),
            (block["data"] * scale).astype(dtype))


def _abs_sum_task(csr):
    return float(np.abs(csr[2]).sum())


def _factors(x):
    """The factor block of a half-step's result tuple (or a starting block)."""
    return x[0] if isinstance(x, tuple) else x


def _take_task(factors, rows):
    return _factors(factors)[rows]


@in_worker_threads
def _gram_task(F):
    F = _aligned(F)
    with kernel_threads(F.shape[0] * F.shape[1] ** 2, "flops", blas="outside"):
        return _gram(F)


def _sq_norm_task(F):
    return _sq_norm(F)


def _add_reg_task(gram, reg):
    return gram + np.eye(gram.shape[0], dtype=gram.dtype) * gram.dtype.type(reg)


def _stack(parts, f, dtype):
    return np.concatenate(parts) if parts else np.zeros((0, f), dtype)


@in_worker_threads
def _implicit_task(csr, X, gram, reg, cg_steps, use_cg, with_loss, *parts):
    """One block's implicit half-step.

    ``gram`` is the other side's Gram matrix, ``X`` the block's factors or
    the previous half-step's result. Returns the new factors, the CG loss
    terms at the old ones, with ``with_loss`` the loss terms at the new ones
    (else NaN), their squared norm, and their Gram matrix (the next
    half-step's share, computed while they are in cache).
    """
    indptr, indices, conf = (_aligned(a) for a in csr)
    gram = _aligned(gram)
    A = _add_reg_task(gram, reg)
    X = np.array(_factors(X))
    Y = _stack(parts, X.shape[1], X.dtype)
    f = X.shape[1]
    work = (indices.size * (cg_steps + 1) + (X.shape[0] + Y.shape[0]) * f) * f
    bounds = _bounds(indptr, f, work)
    loss = np.zeros(bounds.shape[0] - 1)
    with kernel_threads(work, "flops", blas="outside"):
        K.implicit_half_step(X, Y, A, indptr, indices, conf, cg_steps, use_cg, bounds, loss)
        terms = np.nan
        if with_loss:
            out = np.empty(X.shape[0])
            K.implicit_loss_terms(Y, X, gram, indptr, indices, conf, out)
            terms = float(out.sum())
        own_gram = _gram(X)
    return X, float(loss.sum()), terms, _sq_norm(X), own_gram


def _take_biased_task(factors, bias, rows):
    return factors[rows], bias[rows]


@in_worker_threads
def _explicit_task(csr, n_rows, f, mean, reg, squared_errors, *parts):
    """One block's ALS-WR half-step; also its penalty term, and with ``squared_errors`` its SSE."""
    indptr, indices, ratings = (_aligned(a) for a in csr)
    dtype = ratings.dtype
    Y = _stack([p[0] for p in parts], f, dtype)
    y_bias = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype)
    X = np.zeros((n_rows, f), dtype)
    x_bias = np.zeros(n_rows, dtype)
    with kernel_threads(indices.size * (f + 1) ** 2, "flops"):
        K.explicit_half_step(X, x_bias, Y, y_bias, mean, indptr, indices, ratings, reg)
        sse = np.nan
        if squared_errors:
            out = np.empty(n_rows)
            K.explicit_squared_errors(X, x_bias, Y, y_bias, mean, indptr, indices, ratings, out)
            sse = float(out.sum())
    penalty = float(np.dot(np.diff(indptr), _row_sq(X, x_bias)))
    return X, x_bias, penalty, sse


def _field(client, futures, k):
    return [client.submit(operator.getitem, f, k, pure=False) for f in futures]


class _Loop:
    def __init__(self, model, client, data: Blocks, Xb, Yb):
        self.model, self.client, self.data = model, client, data
        self.Xb, self.Yb = Xb, Yb
        self.history = []
        self.mean = 0.0
        self.xbias = self.ybias = None

    def gather(self):
        n_users, n_items = self.data.shape
        c = self.client
        X = B.interleave([_factors(x) for x in c.gather(self.Xb)], n_users)
        Y = B.interleave([_factors(y) for y in c.gather(self.Yb)], n_items)
        if self.xbias is None:
            return X, Y, None, None
        return X, Y, B.interleave(c.gather(self.xbias), n_users), \
            B.interleave(c.gather(self.ybias), n_items)

    def recommend(self, model, ids, N, filter_liked, filter_items, items):
        """Top-N for global user ids, one task per user block that holds some of them."""
        c, d = self.client, self.data
        n_blocks = d.pair[0]
        params = model._local_params()
        Y = c.scatter(model.item_factors, broadcast=False, hash=False)
        ybias = None if model.implicit else c.scatter(model.item_bias, hash=False)
        popularity = c.scatter(model.item_popularity, hash=False)
        jobs = []
        for b in range(n_blocks):
            where = np.flatnonzero(ids % n_blocks == b)
            if where.size:
                jobs.append((where, c.submit(
                    _recommend_task, params, d.users[b], d.user_needed[b], d.pair[1],
                    d.shape[1], self.Xb[b], None if self.xbias is None else self.xbias[b], Y,
                    ybias, popularity, model.global_mean, ids[where] // n_blocks, N,
                    filter_liked, filter_items, items, pure=False)))
        out_ids = np.zeros((0, 0), np.int32)
        out_scores = np.zeros((0, 0), model.item_factors.dtype)
        for where, job in jobs:
            block_ids, block_scores = job.result()
            if not out_ids.size:  # N capped to the candidates, as in-process
                out_ids = np.empty((ids.size, block_ids.shape[1]), block_ids.dtype)
                out_scores = np.empty((ids.size, block_ids.shape[1]), block_scores.dtype)
            out_ids[where], out_scores[where] = block_ids, block_scores
        return out_ids, out_scores


@in_worker_threads
def _recommend_task(params, block, needed, n_item_blocks, n_items, X, xbias, Y, ybias,
                    popularity, mean, local, N, filter_liked, filter_items, items):
    import scipy.sparse as sp

    from ..recommend import ALS as LocalALS

    model = LocalALS(**params)
    model.user_factors, model.item_factors, model.item_popularity = _factors(X), Y, popularity
    if xbias is not None:
        model.user_bias, model.item_bias, model.global_mean = xbias, ybias, mean
    to_global = np.concatenate([np.asarray(n, np.int64) * n_item_blocks + b
                                for b, n in enumerate(needed)])
    liked = sp.csr_matrix((block["data"], to_global[block["indices"]], block["indptr"]),
                          shape=(block["n_rows"], n_items))[local]
    return model.recommend(local, liked, N=N, filter_already_liked_items=filter_liked,
                           filter_items=filter_items, items=items)


class ImplicitLoop(_Loop):
    """Hu, Koren and Volinsky's model; the loss history as the in-memory fit keeps it."""

    def __init__(self, model, client, data, Xb, Yb):
        super().__init__(model, client, data, Xb, Yb)
        alpha, dtype = float(model.alpha), np.dtype(model.dtype)
        self.user_csr = client.map(_csr_task, data.users, scale=alpha, dtype=dtype, pure=False)
        self.item_csr = client.map(_csr_task, data.items, scale=alpha, dtype=dtype, pure=False)
        total = sum(client.gather(client.map(_abs_sum_task, self.user_csr, pure=False)))
        n_users, n_items = data.shape
        self.norm = total + n_users * n_items - data.nnz
        self.y_sq = sum(client.gather(client.map(_sq_norm_task, Yb, pure=False)))
        self.x_gram = client.map(_gram_task, Xb, pure=False)
        self.y_gram = client.map(_gram_task, Yb, pure=False)

    def _half(self, csr, own, other, other_grams, needed, with_loss):
        c, m = self.client, self.model
        gram = tree_reduce(c, other_grams, operator.add)
        out = []
        for b, block_csr in enumerate(csr):
            parts = [c.submit(_take_task, other[o], needed[b][o], pure=False)
                     for o in range(len(other))]
            out.append(c.submit(_implicit_task, block_csr, own[b], gram,
                                float(m.regularization), m.cg_steps, m.solver == "cg",
                                with_loss, *parts, pure=False))
        return out

    def iteration(self, it):
        c, m, d = self.client, self.model, self.data
        use_cg, reg, last = m.solver == "cg", float(m.regularization), it == m.iterations - 1
        users = self._half(self.user_csr, self.Xb, self.Yb, self.y_gram, d.user_needed, False)
        self.Xb, self.x_gram = users, _field(c, users, 4)
        with_loss = not use_cg or last  # a separate pass, as in-process
        items = self._half(self.item_csr, self.Yb, self.Xb, self.x_gram, d.item_needed, with_loss)
        self.Yb, self.y_gram = items, _field(c, items, 4)
        # one round trip per iteration for the scalars (the factors stay on the workers)
        user_loss, x_sq, terms, y_sq = c.gather([_field(c, users, 1), _field(c, users, 3),
                                                 _field(c, items, 2), _field(c, items, 3)])
        if use_cg and it > 0:  # the loss of the previous iteration, from this CG pass
            self.history.append((sum(user_loss) + reg * self.y_sq) / self.norm)
        self.y_sq = sum(y_sq)
        if with_loss:
            self.history.append((sum(terms) + reg * (sum(x_sq) + self.y_sq)) / self.norm)


class ExplicitLoop(_Loop):
    """ALS-WR with biases; the loss is the penalized mean squared error, as in-process."""

    def __init__(self, model, client, data, Xb, Yb):
        super().__init__(model, client, data, Xb, Yb)
        dtype = np.dtype(model.dtype)
        self.user_csr = client.map(_csr_task, data.users, scale=1.0, dtype=dtype, pure=False)
        self.item_csr = client.map(_csr_task, data.items, scale=1.0, dtype=dtype, pure=False)
        self.mean = np.float64(data.total) / data.nnz
        self.rows = (client.gather(client.map(lambda b: b["n_rows"], data.users, pure=False)),
                     client.gather(client.map(lambda b: b["n_rows"], data.items, pure=False)))
        self.xbias = [client.scatter(np.zeros(n, dtype), hash=False) for n in self.rows[0]]
        self.ybias = [client.scatter(np.zeros(n, dtype), hash=False) for n in self.rows[1]]

    def _half(self, csr, rows, other, other_bias, needed, squared_errors):
        c, m = self.client, self.model
        out = []
        for b, block_csr in enumerate(csr):
            parts = [c.submit(_take_biased_task, other[o], other_bias[o], needed[b][o],
                              pure=False) for o in range(len(other))]
            out.append(c.submit(_explicit_task, block_csr, rows[b], m.factors, self.mean,
                                float(m.regularization), squared_errors, *parts, pure=False))
        return out

    def iteration(self, it):
        c, d = self.client, self.data
        users = self._half(self.user_csr, self.rows[0], self.Yb, self.ybias, d.user_needed, False)
        self.Xb, self.xbias = _field(c, users, 0), _field(c, users, 1)
        items = self._half(self.item_csr, self.rows[1], self.Xb, self.xbias, d.item_needed, True)
        self.Yb, self.ybias = _field(c, items, 0), _field(c, items, 1)
        user_penalty, item_penalty, sse = c.gather([_field(c, users, 2), _field(c, items, 2),
                                                    _field(c, items, 3)])
        penalty = sum(user_penalty) + sum(item_penalty)
        self.history.append((sum(sse) + float(self.model.regularization) * penalty) / d.nnz)
