"""SGD linear models trained on Dask collections through ``partial_fit``."""
from __future__ import annotations

import copy
from numbers import Integral

import numpy as np

from ._engine import get_client, in_worker_threads, is_dask_collection

__all__ = ["fit_incremental"]

# Learned arrays that data-parallel training averages over blocks.
_AVERAGED = ("coef_", "intercept_", "_standard_coef", "_standard_intercept", "_average_coef",
             "_average_intercept")


@in_worker_threads
def _partial_fit_task(model, X, y, sample_weight, fit_params):
    model = copy.deepcopy(model)  # a retried task must not see a half-updated model
    kwargs = dict(fit_params)
    if sample_weight is not None:
        kwargs["sample_weight"] = sample_weight
    return model.partial_fit(X, y, **kwargs), X.shape[0]


def _average_task(start_t, *fitted):
    models = [m for m, _ in fitted]
    rows = np.array([n for _, n in fitted], dtype=np.float64)
    out = copy.deepcopy(models[0])
    for name in _AVERAGED:
        if hasattr(out, name):
            value = np.tensordot(rows / rows.sum(), np.stack([getattr(m, name) for m in models]),
                                 axes=1)
            setattr(out, name, value.astype(getattr(out, name).dtype))
    if hasattr(out, "t_"):
        out.t_ = start_t + rows.sum()
    return out


def _blocks(client, name, a, chunks):
    import dask.array as da

    if a is None:
        return None
    if hasattr(a, "to_dask_array"):
        a = a.to_dask_array(lengths=True)
    elif not is_dask_collection(a):
        a = da.from_array(np.asarray(a))
    if a.shape[0] != sum(chunks):
        raise ValueError(f"{name} has {a.shape[0]} rows, X has {sum(chunks)}")
    a = a.rechunk({0: chunks, **{i: -1 for i in range(1, a.ndim)}})
    return client.compute(list(a.to_delayed().ravel()))


def fit_incremental(estimator, X, y, *, classes=None, sample_weight=None, epochs=1,
                    mode="sequential", client=None):
    """Train a scikit-learn-style estimator with ``partial_fit`` over the row blocks of ``X``.

    ``mode='sequential'`` (default) passes the model from block to block,
    each update running on the worker that holds the block, as dask-ml's
    ``Incremental`` does: the result equals calling ``partial_fit`` on the
    blocks in order in-process. ``mode='average'`` updates a copy of the
    model on every block at once and averages the learned weights (weighted
    by rows) after each epoch: parallel, and an approximation of sequential
    SGD (iterate averaging; Zinkevich et al. 2010) whose result depends on
    the chunking.

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        e.g. :class:`fastmath.linear_model.SGDClassifier`; left unchanged.
    X : dask.array.Array or Dask DataFrame of shape (n, d)
    y : Dask array or Series of shape (n,), chunked like ``X`` or not
    classes : array-like, optional
        All classes (classifiers need them on the first ``partial_fit``).
    sample_weight : Dask array of shape (n,), optional
    epochs : int, default 1
        Passes over the blocks.
    mode : {'sequential', 'average'}, default 'sequential'
    client : distributed.Client, optional

    Returns
    -------
    estimator
        A fitted copy of ``estimator``.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from fastmath.linear_model import SGDClassifier
    >>> import fastmath.distributed as fd
    >>> X = np.random.default_rng(0).standard_normal((200, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> model = fd.fit_incremental(SGDClassifier(random_state=0), da.from_array(X, chunks=(50, 3)),
    ...                            da.from_array(y, chunks=50), classes=[0, 1], epochs=3)
    >>> float(model.score(X, y)) > 0.9
    True
    """
    if not hasattr(estimator, "partial_fit"):
        raise TypeError(f"{type(estimator).__name__} has no partial_fit")
    if mode not in ("sequential", "average"):
        raise ValueError(f"mode must be 'sequential' or 'average', got {mode!r}")
    if not isinstance(epochs, Integral) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    fit_params = {} if classes is None else {"classes": np.asarray(classes)}
    model = copy.deepcopy(estimator)
    if not is_dask_collection(X):
        for _ in range(epochs):
            model.partial_fit(X, y, **fit_params,
                              **({} if sample_weight is None else {"sample_weight": sample_weight}))
        return model
    from .blockwise import _rows_chunked

    client = get_client(client)
    X = _rows_chunked(X, "X")
    chunks = X.chunks[0]
    xs = client.compute(list(X.to_delayed().ravel()))
    ys = _blocks(client, "y", y, chunks)
    ws = _blocks(client, "sample_weight", sample_weight, chunks) or [None] * len(xs)
    current = client.scatter(model, hash=False)
    for _ in range(epochs):
        if mode == "sequential":
            for xb, yb, wb in zip(xs, ys, ws):
                step = client.submit(_partial_fit_task, current, xb, yb, wb, fit_params,
                                     pure=False)
                current = client.submit(_first, step, pure=False)
        else:
            start_t = float(getattr(current.result(), "t_", 0.0) or 0.0)
            fitted = [client.submit(_partial_fit_task, current, xb, yb, wb, fit_params,
                                    pure=False) for xb, yb, wb in zip(xs, ys, ws)]
            current = client.submit(_average_task, start_t, *fitted, pure=False)
    return current.result()


def _first(pair):
    return pair[0]
