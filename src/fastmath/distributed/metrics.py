"""Binary ranking metrics over Dask arrays, combined exactly from per-block counts.

ROC AUC and average precision depend on the data only through, for each
label, the total weight at each distinct score. Each block counts those on
a worker; the counts merge in a tree (summing the weights of equal scores);
the in-memory metric then runs on the merged counts, so ties, weights,
``max_fpr``, ``pos_label`` and the one-class warning behave exactly as
in-process.
"""
from __future__ import annotations

import numpy as np

from ._engine import get_client, in_worker_threads, is_dask_collection, tree_reduce

__all__ = ["average_precision_score", "ranking_metrics_at_k", "roc_auc_score"]


def _counts(y_true, y_score, sample_weight, where):
    """{label: (distinct scores, total weight of each)} of one block."""
    from sklearn.utils import check_array

    try:
        y_true = check_array(np.asarray(y_true), ensure_2d=False, dtype=None, input_name="y_true")
        y_score = check_array(np.asarray(y_score), ensure_2d=False, input_name="y_score")
        if sample_weight is not None:
            sample_weight = check_array(np.asarray(sample_weight), ensure_2d=False,
                                        input_name="sample_weight")
    except ValueError as err:
        raise ValueError(f"{err}{where}") from None
    if y_true.ndim != 1 or y_score.ndim != 1:
        raise ValueError(f"y_true and y_score must be 1-D (binary problems only on Dask "
                         f"collections), got shapes {y_true.shape} and {y_score.shape}{where}")
    if y_score.shape != y_true.shape or (sample_weight is not None
                                         and sample_weight.shape != y_true.shape):
        raise ValueError(f"y_true, y_score and sample_weight must have the same length{where}")
    weights = np.ones(y_true.shape[0]) if sample_weight is None else sample_weight
    out = {}
    for label in np.unique(y_true):
        mask = y_true == label
        scores, inverse = np.unique(y_score[mask], return_inverse=True)
        out[label.item()] = (scores, np.bincount(inverse, weights[mask], minlength=scores.size))
    return out


def _merge(a, b):
    out = dict(a)
    for label, (scores, weights) in b.items():
        if label in out:
            both = np.concatenate([out[label][0], scores])
            merged, inverse = np.unique(both, return_inverse=True)
            total = np.bincount(inverse, np.concatenate([out[label][1], weights]),
                                minlength=merged.size)
            out[label] = (merged, total)
        else:
            out[label] = (scores, weights)
    return out


def _merged_counts(y_true, y_score, sample_weight, client):
    import dask
    import dask.array as da

    arrays = [y_true, y_score] + ([] if sample_weight is None else [sample_weight])
    arrays = [a.to_dask_array(lengths=True) if hasattr(a, "to_dask_array") else
              (a if is_dask_collection(a) else da.from_array(np.asarray(a))) for a in arrays]
    if len({a.shape[0] for a in arrays}) != 1:
        raise ValueError(f"y_true, y_score and sample_weight must have the same length, got "
                         f"{[a.shape[0] for a in arrays]}")
    chunks = arrays[0].chunks[0]
    arrays = [a.rechunk({0: chunks, **{i: -1 for i in range(1, a.ndim)}}) for a in arrays]
    blocks = [list(a.to_delayed().ravel()) for a in arrays]
    if sample_weight is None:
        blocks.append([None] * len(blocks[0]))
    tasks = [dask.delayed(_counts)(t, s, w, f" (block {i})")
             for i, (t, s, w) in enumerate(zip(*blocks))]
    client = get_client(client)
    return tree_reduce(client, client.compute(tasks), _merge).result()


def _expand(counts):
    labels, scores, weights = [], [], []
    for label, (s, w) in counts.items():
        labels.append(np.full(s.size, label, dtype=object if isinstance(label, str) else None))
        scores.append(s)
        weights.append(w)
    return np.concatenate(labels), np.concatenate(scores), np.concatenate(weights)


def roc_auc_score(y_true, y_score, *, sample_weight=None, max_fpr=None, client=None):
    """:func:`fastmath.metrics.roc_auc_score` of a binary problem held in Dask arrays.

    Parameters
    ----------
    y_true, y_score : dask.array.Array or Dask Series of shape (n,), or array-like
    sample_weight : same, optional
    max_fpr : float in (0, 1], optional
    client : distributed.Client, optional

    Returns
    -------
    float

    Examples
    --------
    >>> import dask.array as da
    >>> import fastmath.distributed as fd
    >>> y = da.from_array([0, 0, 1, 1], chunks=2)
    >>> fd.roc_auc_score(y, da.from_array([0.1, 0.4, 0.35, 0.8], chunks=2))
    0.75
    """
    from ..metrics import roc_auc_score as metric

    if not any(is_dask_collection(a) for a in (y_true, y_score, sample_weight)):
        return metric(y_true, y_score, sample_weight=sample_weight, max_fpr=max_fpr)
    labels, scores, weights = _expand(_merged_counts(y_true, y_score, sample_weight, client))
    return metric(labels, scores, sample_weight=weights, max_fpr=max_fpr)


def average_precision_score(y_true, y_score, *, pos_label=1, sample_weight=None, client=None):
    """:func:`fastmath.metrics.average_precision_score` of a binary problem in Dask arrays.

    Parameters
    ----------
    y_true, y_score : dask.array.Array or Dask Series of shape (n,), or array-like
    pos_label : int or str, default 1
    sample_weight : same, optional
    client : distributed.Client, optional

    Returns
    -------
    float

    Examples
    --------
    >>> import dask.array as da
    >>> import fastmath.distributed as fd
    >>> y = da.from_array([0, 0, 1, 1], chunks=2)
    >>> round(fd.average_precision_score(y, da.from_array([0.1, 0.4, 0.35, 0.8], chunks=2)), 4)
    0.8333
    """
    from ..metrics import average_precision_score as metric

    if not any(is_dask_collection(a) for a in (y_true, y_score, sample_weight)):
        return metric(y_true, y_score, pos_label=pos_label, sample_weight=sample_weight)
    labels, scores, weights = _expand(_merged_counts(y_true, y_score, sample_weight, client))
    return metric(labels, scores, pos_label=pos_label, sample_weight=weights)


@in_worker_threads
def _ranking_block(model, train, test, K, first_user):
    from ..metrics.ranking import column_sums, per_user_metrics

    per_user = per_user_metrics(model, train, test, K, first_user=first_user)
    return column_sums(per_user), per_user.shape[0]


def _add_sums(a, b):
    return a[0] + b[0], a[1] + b[1]


def ranking_metrics_at_k(model, train_user_items, test_user_items, K=10, client=None):
    """:func:`fastmath.metrics.ranking_metrics_at_k` over row blocks of users.

    Each block of users is scored on a worker (the model is sent once to
    each worker); the per-user terms are summed per block and the sums
    merged, so the result equals the in-memory metrics up to the order of
    the sums.

    Parameters
    ----------
    model : fitted recommender
        e.g. :class:`fastmath.recommend.ALS` or :class:`fastmath.distributed.ALS`.
    train_user_items, test_user_items : dask.array.Array of shape (n_users, n_items)
        Blocks are scipy.sparse matrices; both are split into the same row blocks.
    K : int, default 10
    client : distributed.Client, optional

    Returns
    -------
    dict with keys 'precision', 'recall', 'map', 'ndcg', 'auc'

    Examples
    --------
    >>> import scipy.sparse as sp, dask.array as da
    >>> import fastmath.distributed as fd
    >>> from fastmath.recommend import MostPopular
    >>> train = sp.csr_matrix([[1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 0, 0]])
    >>> test = sp.csr_matrix([[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    >>> blocks = lambda m: da.from_array(m, chunks=(2, 4), asarray=False)
    >>> fd.ranking_metrics_at_k(MostPopular().fit(train), blocks(train), blocks(test), K=1)["precision"]
    1.0
    """
    from ..metrics.ranking import ranking_metrics_at_k as metric, summarize
    from .._validation import check_int

    if not (is_dask_collection(train_user_items) or is_dask_collection(test_user_items)):
        return metric(model, train_user_items, test_user_items, K=K)
    K = check_int(K, "K", low=1)
    if not hasattr(model, "recommend"):
        raise TypeError(f"model must have a recommend method, got {type(model).__name__}")
    if train_user_items.shape != test_user_items.shape:
        raise ValueError(f"train_user_items and test_user_items must have the same shape, got "
                         f"{train_user_items.shape} and {test_user_items.shape}")
    train = train_user_items.rechunk({1: -1})
    test = test_user_items.rechunk({0: train.chunks[0], 1: -1})
    starts = np.concatenate([[0], np.cumsum(train.chunks[0])[:-1]]).astype(np.int64)
    client = get_client(client)
    shipped = client.scatter(model, broadcast=True, hash=False)
    train_blocks = client.compute(list(train.to_delayed().ravel()))
    test_blocks = client.compute(list(test.to_delayed().ravel()))
    parts = [client.submit(_ranking_block, shipped, a, b, K, int(s), pure=False)
             for a, b, s in zip(train_blocks, test_blocks, starts)]
    sums, n_users = tree_reduce(client, parts, _add_sums).result()
    if n_users == 0:
        raise ValueError("test_user_items has no interactions to evaluate")
    return summarize(sums, n_users)
