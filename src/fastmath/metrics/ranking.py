"""Ranking and rating metrics of a recommender on held-out interactions (implicit's definitions)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from tqdm.auto import tqdm

from .._config.threads import kernel_threads
from .._validation import check_int, check_interactions
from ._ranking_kernels import ranking_metrics

USERS_PER_BATCH = 4096

__all__ = ["AUC_at_k", "auc_at_k", "mae", "map_at_k", "mean_average_precision_at_k",
           "ndcg_at_k", "precision_at_k", "ranking_metrics_at_k", "recall_at_k", "rmse"]


def _checked_ids(ids, n_users: int, K: int, n_items: int) -> np.ndarray:
    """``model.recommend``'s ids, checked: one row per user, at most K distinct real item ids."""
    ids = np.asarray(ids)
    if ids.ndim != 2 or ids.shape[0] != n_users or ids.shape[1] > K:
        raise ValueError(f"model.recommend returned ids of shape {ids.shape}; expected "
                         f"({n_users}, <= {K}): one row of at most K ids per user")
    if ids.dtype.kind not in "iu":
        raise TypeError(f"model.recommend returned ids of dtype {ids.dtype}; expected integers")
    if ids.size and (ids.min() < 0 or ids.max() >= n_items):
        bad = ids.min() if ids.min() < 0 else ids.max()
        raise ValueError(f"model.recommend returned item id {bad}, outside [0, {n_items})")
    ordered = np.sort(ids, axis=1)
    if np.any(ordered[:, 1:] == ordered[:, :-1]):
        raise ValueError("model.recommend returned the same item twice for one user")
    return np.ascontiguousarray(ids, dtype=np.int64)


def ranking_metrics_at_k(model, train_user_items, test_user_items, K=10, show_progress=False,
                         num_threads=0):
    """Precision, recall, MAP, nDCG and AUC at K, over the users with test items.

    The definitions are those of ``implicit.evaluation.ranking_metrics_at_k``:
    each user's top K comes from ``model.recommend`` (any model with
    implicit's ``recommend``) with the training items filtered out;
    precision is ``sum(hits) / sum(min(K, |test items|))`` over all users;
    MAP, nDCG and AUC are per-user means (nDCG against the ideal ranking of
    ``min(K, |test items|)`` hits). Recall is the mean over users of
    ``hits / |test items|``. A model that returns fewer than K ids (fewer
    items) is scored on those.

    Parameters
    ----------
    model : recommender
        Anything with implicit's ``recommend(userids, user_items, N=...)``.
    train_user_items, test_user_items : sparse matrices of one shape (n_users, n_items)
    K : int, default 10
    show_progress : bool, default False
        A progress bar over the user batches (implicit's parameter).
    num_threads : int, default 0
        Accepted for implicit's signature; fastmath's thread count applies.

    Returns
    -------
    dict with keys 'precision', 'recall', 'map', 'ndcg', 'auc'

    Raises
    ------
    ValueError
        The matrices disagree, there is nothing to evaluate, or
        ``model.recommend`` returns ids that are not one row of at most K
        distinct real items per user.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from fastmath.metrics import ranking_metrics_at_k
    >>> from fastmath.recommend import MostPopular
    >>> train = sp.csr_matrix([[1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 0, 0]])
    >>> test = sp.csr_matrix([[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    >>> ranking_metrics_at_k(MostPopular().fit(train), train, test, K=1)["precision"]
    1.0
    """
    K = check_int(K, "K", low=1)
    check_int(num_threads, "num_threads", low=0)
    per_user = per_user_metrics(model, train_user_items, test_user_items, K,
                                show_progress=show_progress)
    if per_user.shape[0] == 0:
        raise ValueError("test_user_items has no interactions to evaluate")
    return summarize(column_sums(per_user), per_user.shape[0])


def per_user_metrics(model, train_user_items, test_user_items, K, *, first_user=0,
                     show_progress=False):
    """The per-user terms of :func:`ranking_metrics_at_k` for the users with test items.

    The matrices may be a block of rows: row ``r`` is user ``first_user + r``
    (the id passed to ``model.recommend``). Columns: hits, ``min(K, |test|)``,
    recall, average precision, nDCG, AUC.
    """
    train = check_interactions(train_user_items, "train_user_items", allow_empty=True)
    test = check_interactions(test_user_items, "test_user_items", allow_empty=True)
    if train.shape != test.shape:
        raise ValueError(f"train_user_items and test_user_items must have the same shape, got "
                         f"{train.shape} and {test.shape}")
    if not hasattr(model, "recommend"):
        raise TypeError(f"model must have a recommend method, got {type(model).__name__}")
    n_items = test.shape[1]
    test = test.copy()
    test.sort_indices()
    users = np.flatnonzero(np.diff(test.indptr) > 0).astype(np.int64)
    per_user = np.empty((users.shape[0], 6))
    indptr, indices = test.indptr, test.indices
    batches = range(0, users.shape[0], USERS_PER_BATCH)
    for start in tqdm(batches, desc="ranking metrics", disable=not show_progress):
        batch = users[start:start + USERS_PER_BATCH]
        ids, _ = model.recommend(batch + first_user, train[batch], N=K,
                                 filter_already_liked_items=True)
        ids = _checked_ids(ids, batch.shape[0], K, n_items)
        with kernel_threads(batch.shape[0] * K, "rows"):
            ranking_metrics(ids, batch, indptr, indices, n_items,
                            per_user[start:start + batch.shape[0]])
    return per_user


def column_sums(per_user) -> np.ndarray:
    """Each column summed on its own (the order of sums ``np.mean`` of a column uses)."""
    return np.array([per_user[:, j].sum() for j in range(per_user.shape[1])])


def summarize(sums, n_users) -> dict:
    """The metrics from the column sums of :func:`per_user_metrics` over ``n_users`` users."""
    return {
        "precision": float(sums[0] / sums[1]),
        "recall": float(sums[2] / n_users),
        "map": float(sums[3] / n_users),
        "ndcg": float(sums[4] / n_users),
        "auc": float(sums[5] / n_users),
    }


def _metric(name, public_name):
    def metric(model, train_user_items, test_user_items, K=10, show_progress=False,
               num_threads=0):
        return ranking_metrics_at_k(model, train_user_items, test_user_items, K, show_progress,
                                    num_threads)[name]

    metric.__name__ = public_name
    metric.__doc__ = f"""The '{name}' entry of :func:`ranking_metrics_at_k`, as implicit's ``{public_name}``.

    Parameters
    ----------
    model, train_user_items, test_user_items, K, show_progress, num_threads
        As in :func:`ranking_metrics_at_k`.

    Returns
    -------
    float

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from fastmath.metrics import {public_name}
    >>> from fastmath.recommend import MostPopular
    >>> train = sp.csr_matrix([[1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 0, 0]])
    >>> test = sp.csr_matrix([[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    >>> 0.0 <= {public_name}(MostPopular().fit(train), train, test, K=2) <= 1.0
    True
    """
    return metric


precision_at_k = _metric("precision", "precision_at_k")
recall_at_k = _metric("recall", "recall_at_k")
ndcg_at_k = _metric("ndcg", "ndcg_at_k")
map_at_k = _metric("map", "map_at_k")
mean_average_precision_at_k = _metric("map", "mean_average_precision_at_k")
auc_at_k = _metric("auc", "auc_at_k")
AUC_at_k = _metric("auc", "AUC_at_k")


def _errors(model_or_true, test_or_pred):
    """(y_true, y_pred) from either form: arrays, or a model and its test ratings."""
    if hasattr(model_or_true, "predict") and sp.issparse(test_or_pred):
        test = check_interactions(test_or_pred, "test_user_items").tocoo()
        return test.data.astype(np.float64), model_or_true.predict(test.row, test.col)
    return model_or_true, test_or_pred


def rmse(y_true, y_pred, *, sample_weight=None):
    """Root mean squared error: of arrays, as scikit-learn's ``root_mean_squared_error``, or of
    a rating model's predictions on test ratings (``rmse(model, test_user_items)``).

    Parameters
    ----------
    y_true : array-like, or a model with ``predict(userids, itemids)``
    y_pred : array-like, or a sparse matrix of test ratings
    sample_weight : array-like, optional

    Returns
    -------
    float

    Examples
    --------
    >>> from fastmath.metrics import rmse
    >>> rmse([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    1.1547005383792515
    """
    from sklearn.metrics import root_mean_squared_error

    return float(root_mean_squared_error(*_errors(y_true, y_pred), sample_weight=sample_weight))


def mae(y_true, y_pred, *, sample_weight=None):
    """Mean absolute error: of arrays, as scikit-learn's ``mean_absolute_error``, or of a rating
    model's predictions on test ratings (``mae(model, test_user_items)``).

    Parameters
    ----------
    y_true : array-like, or a model with ``predict(userids, itemids)``
    y_pred : array-like, or a sparse matrix of test ratings
    sample_weight : array-like, optional

    Returns
    -------
    float

    Examples
    --------
    >>> from fastmath.metrics import mae
    >>> mae([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    0.6666666666666666
    """
    from sklearn.metrics import mean_absolute_error

    return float(mean_absolute_error(*_errors(y_true, y_pred), sample_weight=sample_weight))
