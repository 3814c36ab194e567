"""ALS on a Dask cluster, blocked as Spark MLlib blocks it."""
from __future__ import annotations

import time
import warnings
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from tqdm.auto import tqdm

from ..recommend import ALS as LocalALS
from ..recommend._base import fit_start
from . import _als_blocks as B
from . import _als_tasks as T
from ._engine import get_client, is_dask_collection

FIT_ATTEMPTS = 2  # a fit that loses a worker starts over once before it raises


class WorkerLostError(RuntimeError):
    """A distributed fit lost its data (a worker died) on every attempt; the model is unchanged."""


class ALS(LocalALS):
    """:class:`fastmath.recommend.ALS` fitted on a Dask cluster.

    Users and items are hashed to ``blocks`` (user id ``u`` to block
    ``u % n_user_blocks``), the interactions are stored twice, as user-major
    and item-major CSR blocks on the workers, and a plan computed once says
    which factor rows each block needs from each block of the other side.
    Each half-iteration sums the Gram matrix over blocks in a tree
    (implicit model), sends only the needed factor rows, and runs the
    single-machine half-step kernel on every block. Spark MLlib's ALS is
    built the same way.

    Starting factors are drawn on the client exactly as the in-memory fit
    draws them, so a fit with one block equals ``fastmath.recommend.ALS``
    (same parameters and threads) bit for bit; more blocks change only the
    order of floating-point sums. A fit that loses a worker starts over
    once (the result is the same); if that fails too it raises
    :class:`WorkerLostError` and the model is unchanged.

    Parameters
    ----------
    factors, regularization, alpha, iterations, implicit, solver, cg_steps, dtype, random_state,
    num_threads, show_progress
        As in :class:`fastmath.recommend.ALS` (``num_threads`` applies to
        in-process fits; workers use the thread count the worker plugin set).
    blocks : int, (int, int) or None, default None
        User and item blocks. None: as many as the cluster has Dask threads,
        for each side (each task runs the kernels on its worker's share of
        the CPUs, so more blocks than threads only add shuffling).
    client : distributed.Client, optional
        Default: the current client, else an embedded ``LocalCluster``.

    Attributes
    ----------
    user_factors, item_factors, user_bias, item_bias, global_mean, item_popularity, loss_history_
        As in :class:`fastmath.recommend.ALS`, gathered on the client.
    blocks_ : (int, int)
        The user and item block counts used.
    shuffle_rows_ : int
        Factor rows sent between blocks per iteration (both half-steps);
        times ``factors * itemsize`` it is the bytes of factors shuffled.

    Examples
    --------
    >>> import pandas as pd
    >>> import fastmath.distributed as fd
    >>> events = pd.DataFrame({"user": [0, 0, 1, 2], "item": [1, 2, 2, 0], "value": 1.0})
    >>> model = fd.ALS(factors=4, iterations=3, random_state=0, show_progress=False)
    >>> model.fit(events).to_local().item_factors.shape    # pandas: fitted in-process
    (3, 4)
    """

    _parameter_constraints = {**LocalALS._parameter_constraints,
                              "blocks": [None, Integral, tuple, list], "client": "no_validation"}

    def __init__(self, factors=100, regularization=0.01, alpha=1.0, iterations=15, implicit=True,
                 solver="cg", cg_steps=3, dtype=np.float32, random_state=None, num_threads=0,
                 show_progress=True, blocks=None, client=None):
        super().__init__(factors=factors, regularization=regularization, alpha=alpha,
                         iterations=iterations, implicit=implicit, solver=solver,
                         cg_steps=cg_steps, dtype=dtype, random_state=random_state,
                         num_threads=num_threads, show_progress=show_progress)
        self.blocks = blocks
        self.client = client

    def fit(self, interactions, user="user", item="item", value="value", *, shape=None,
            show_progress=None, callback=None):
        """Learn the factors from (user, item, value) triples or a users x items matrix.

        Parameters
        ----------
        interactions : Dask DataFrame, Dask array, pandas DataFrame or sparse matrix
            A DataFrame of triples (the columns named by ``user``, ``item``,
            ``value``; duplicates are summed), or a users x items matrix,
            a Dask array with scipy.sparse or NumPy blocks. pandas and SciPy
            input is fitted in-process, with no cluster.
        user, item, value : str
            Column names; ``value=None`` gives every pair the value 1.
        shape : (int, int), optional
            (n_users, n_items) of a DataFrame; default: the largest ids + 1.
            Ids outside it raise ``IndexError``.
        show_progress : bool, optional
        callback : callable, optional
            ``callback(iteration, elapsed_seconds, loss)``, as in-process.

        Returns
        -------
        self

        Raises
        ------
        KeyError, TypeError, ValueError, IndexError
            A missing column, non-integer or negative ids, NaN or infinite
            values, an id outside ``shape``: the message names the column
            and, for Dask input, the partition.
        WorkerLostError
            Workers died on every attempt.
        """
        self._check_params()
        blocks = self.blocks
        if blocks is not None:
            pair = (blocks, blocks) if isinstance(blocks, Integral) else tuple(blocks)
            if len(pair) != 2 or not all(isinstance(b, Integral) and b >= 1 for b in pair):
                raise ValueError(f"blocks must be a positive int or a pair of them, got {blocks!r}")
        shape = _check_shape(shape)
        if not is_dask_collection(interactions):
            matrix = _local_matrix(interactions, user, item, value, shape)
            LocalALS.fit(self, matrix, show_progress=show_progress, callback=callback)
            self.blocks_, self.shuffle_rows_, self._blocks = (1, 1), 0, None
            return self
        client = get_client(self.client)
        if blocks is None:
            threads = sum(w["nthreads"] for w in client.scheduler_info(n_workers=-1)["workers"].values())
            pair = (max(1, threads),) * 2
        progress = self.show_progress if show_progress is None else bool(show_progress)
        for attempt in range(FIT_ATTEMPTS):
            try:
                fit = _Fit(self, client, interactions, (user, item, value), shape, pair)
                result = fit.run(progress, callback)
                break
            except T.LOST_ERRORS as err:
                if attempt + 1 == FIT_ATTEMPTS:
                    raise WorkerLostError(f"the fit lost its data on the cluster {FIT_ATTEMPTS} "
                                          f"times ({type(err).__name__}: {err}); the model was "
                                          f"left unchanged") from err
                warnings.warn(f"fastmath.distributed.ALS: the fit lost data on the cluster "
                              f"({type(err).__name__}); starting over", RuntimeWarning,
                              stacklevel=2)
        self._set_fitted(*result)
        return self

    def _set_fitted(self, X, Y, bu, bi, mean, popularity, history, pair, shuffle_rows, blocks):
        if not all(np.all(np.isfinite(a)) for a in (X, Y, bu, bi) if a is not None):
            raise ValueError("ALS diverged (the factors became NaN or infinite); the model was "
                             "left unchanged. Lower the values or alpha, or the regularization.")
        self.user_factors, self.item_factors = X, Y
        self.item_popularity = popularity
        if not self.implicit:
            self.user_bias, self.item_bias, self.global_mean = bu, bi, np.float64(mean)
        self.loss_history_ = np.asarray(history, dtype=np.float64)
        self._fit_factors = (X, Y)
        self.blocks_, self.shuffle_rows_ = pair, int(shuffle_rows)
        self._blocks = blocks  # the training blocks on the cluster, for recommend_blockwise

    def _local_params(self) -> dict:
        """The parameters a :class:`fastmath.recommend.ALS` takes (no ``blocks``, ``client``)."""
        return {k: v for k, v in self.get_params().items() if k not in ("blocks", "client")}

    def to_local(self) -> LocalALS:
        """A plain :class:`fastmath.recommend.ALS` with the same parameters and factors."""
        self._check_fitted()
        local = LocalALS(**self._local_params())
        for name in self._array_names + ("_fit_factors",):
            if hasattr(self, name):
                setattr(local, name, getattr(self, name))
        return local

    def save(self, path) -> None:
        """Write the model as :meth:`to_local` would give it (no ``blocks``, no ``client``).

        ``fastmath.recommend.ALS.load`` and ``fastmath.distributed.ALS.load`` read it.

        Parameters
        ----------
        path : str, Path or file object

        Returns
        -------
        None
        """
        if self.__sklearn_is_fitted__():
            self.to_local().save(path)
        else:
            LocalALS(**self._local_params()).save(path)

    def recommend_blockwise(self, userids, N=10, filter_already_liked_items=True,
                            filter_items=None, items=None):
        """Top-N items for many users, one task per block of users.

        Liked items are those of the training interactions, which the
        workers hold (a model loaded from a file has no blocks: use
        :meth:`recommend` with ``user_items``).

        Parameters
        ----------
        userids : array-like of int
        N, filter_already_liked_items, filter_items, items
            As in :meth:`recommend`.

        Returns
        -------
        ids : ndarray of int32, shape (len(userids), N)
        scores : ndarray, same shape
        """
        self._check_fitted()
        fit = getattr(self, "_blocks", None)
        if fit is None:
            raise ValueError("recommend_blockwise needs the training blocks of a distributed fit")
        from .._validation import check_ids

        ids, _ = check_ids(userids, self.user_factors.shape[0], "userids")
        return fit.recommend(self, ids, N, filter_already_liked_items, filter_items, items)


def _check_shape(shape):
    if shape is None:
        return None
    if (len(shape) != 2 or not all(isinstance(n, Integral) and n >= 1 for n in shape)):
        raise ValueError(f"shape must be a pair of positive ints, got {shape!r}")
    return int(shape[0]), int(shape[1])


def _local_matrix(interactions, user, item, value, shape):
    """In-process input as a users x items CSR (pandas triples or any sparse matrix)."""
    if sp.issparse(interactions):
        return interactions
    if hasattr(interactions, "columns"):
        users, items, values = B.triples_from_frame(interactions, user, item, value)
        if shape is None:
            shape = (int(users.max()) + 1 if users.size else 0,
                     int(items.max()) + 1 if items.size else 0)
        B.check_range(users, items, shape)
        return sp.csr_matrix((values, (users, items)), shape=shape)
    raise TypeError(f"interactions must be a Dask or pandas DataFrame, a Dask array or a sparse "
                    f"matrix, got {type(interactions).__name__}")


class _Fit:
    """One attempt at a distributed fit: blocks and starting factors on the cluster, the loop."""

    def __init__(self, model, client, interactions, columns, shape, pair):
        self.model, self.client = model, client
        self.dtype = np.dtype(model.dtype)
        self.f = model.factors
        self.data = T.ingest(client, interactions, columns, shape, pair)
        self.pair = pair

    def run(self, progress, callback):
        m, client, d = self.model, self.client, self.data
        n_users, n_items = d.shape
        if m.implicit:
            scale = d.max_abs * max(float(m.alpha), 1.0)
            if not scale < np.finfo(self.dtype).max / (n_users + n_items):
                raise ValueError(f"user_items values up to {d.max_abs:.3g} (times alpha="
                                 f"{m.alpha}) overflow {self.dtype.name}: scale them down")
        X, Y = fit_start(m, n_users, n_items, self.dtype)
        Xb = [client.scatter(X[b::self.pair[0]], hash=False) for b in range(self.pair[0])]
        Yb = [client.scatter(Y[b::self.pair[1]], hash=False) for b in range(self.pair[1])]
        loop = T.ImplicitLoop(m, client, d, Xb, Yb) if m.implicit else \
            T.ExplicitLoop(m, client, d, Xb, Yb)
        bar = tqdm(total=m.iterations, desc="ALS", disable=not progress)
        start = time.perf_counter()
        for it in range(m.iterations):
            loop.iteration(it)
            bar.update()
            if callback is not None:
                loss = loop.history[it] if len(loop.history) > it else np.nan
                callback(it, time.perf_counter() - start, loss)
        bar.close()
        X, Y, bu, bi = loop.gather()
        popularity = B.interleave(client.gather(d.item_counts), n_items).astype(np.float64)
        return (X, Y, bu, bi, loop.mean, popularity, loop.history, self.pair,
                d.shuffle_rows, loop)
