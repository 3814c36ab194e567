"""Ranking and rating metrics of a fitted recommender on held-out interactions."""
from __future__ import annotations

import numpy as np

from .._config.threads import kernel_threads
from .._validation import check_interactions, check_positive_int
from ._ranking_kernels import ranking_metrics

USERS_PER_BATCH = 4096


def ranking_metrics_at_k(model, train_user_items, test_user_items, K=10):
    """Precision, recall, MAP, nDCG and AUC at K, over the users with test items.

    The definitions are those of ``implicit.evaluation.ranking_metrics_at_k``:
    each user's top K comes from ``model.recommend`` with the training items
    filtered out; precision is ``sum(hits) / sum(min(K, |test items|))`` over
    all users; MAP, nDCG and AUC are per-user means (nDCG against the ideal
    ranking of ``min(K, |test items|)`` hits). Recall is the mean over users of
    ``hits / |test items|``. A K above the number of items counts as that number.

    Returns
    -------
    dict with keys 'precision', 'recall', 'map', 'ndcg', 'auc'
    """
    K = check_positive_int(K, "K")
    train = check_interactions(train_user_items, "train_user_items", allow_empty=True)
    test = check_interactions(test_user_items, "test_user_items", allow_empty=True)
    if train.shape != test.shape:
        raise ValueError(f"train_user_items and test_user_items must have the same shape, got "
                         f"{train.shape} and {test.shape}")
    n_users, n_items = test.shape
    fitted = getattr(model, "item_factors", None)
    if fitted is None or fitted.shape[0] != n_items or model.user_factors.shape[0] != n_users:
        raise ValueError(f"the model must be fitted on {n_users} users x {n_items} items")
    test = test.copy()
    test.sort_indices()
    users = np.flatnonzero(np.diff(test.indptr) > 0).astype(np.int64)
    if users.size == 0:
        raise ValueError("test_user_items has no interactions to evaluate")
    per_user = np.empty((users.shape[0], 6))
    indptr, indices = test.indptr.astype(np.int64), test.indices.astype(np.int64)
    for start in range(0, users.shape[0], USERS_PER_BATCH):
        batch = users[start:start + USERS_PER_BATCH]
        ids, _ = model.recommend(batch, train[batch], N=K, filter_already_liked_items=True)
        with kernel_threads(batch.shape[0] * K, "rows"):
            ranking_metrics(np.ascontiguousarray(ids, dtype=np.int64), batch, indptr, indices,
                            n_items, per_user[start:start + batch.shape[0]])
    return {
        "precision": per_user[:, 0].sum() / per_user[:, 1].sum(),
        "recall": per_user[:, 2].mean(),
        "map": per_user[:, 3].mean(),
        "ndcg": per_user[:, 4].mean(),
        "auc": per_user[:, 5].mean(),
    }


def _metric(name):
    def metric(model, train_user_items, test_user_items, K=10):
        return ranking_metrics_at_k(model, train_user_items, test_user_items, K)[name]

    metric.__name__ = f"{name}_at_k"
    metric.__doc__ = (f"The '{name}' entry of :func:`ranking_metrics_at_k` "
                      f"(implicit's signature: model, train, test, K).")
    return metric


precision_at_k = _metric("precision")
recall_at_k = _metric("recall")
ndcg_at_k = _metric("ndcg")
map_at_k = _metric("map")
auc_at_k = _metric("auc")


def _rating_errors(model, test_user_items):
    test = check_interactions(test_user_items, "test_user_items").tocoo()
    return model.predict(test.row, test.col) - test.data


def rmse(model, test_user_items):
    """Root mean squared error of ``model.predict`` on the stored test ratings."""
    return float(np.sqrt(np.mean(_rating_errors(model, test_user_items) ** 2)))


def mae(model, test_user_items):
    """Mean absolute error of ``model.predict`` on the stored test ratings."""
    return float(np.mean(np.abs(_rating_errors(model, test_user_items))))
