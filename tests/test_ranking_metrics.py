"""Ranking metrics against a brute-force transcription of implicit's definitions."""
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

import reference as ref
from fastmath.datasets import (make_explicit_ratings, make_implicit_interactions,
                               train_test_split_interactions)
from fastmath.metrics import (auc_at_k, mae, map_at_k, ndcg_at_k, precision_at_k,
                              ranking_metrics_at_k, recall_at_k, rmse)
from fastmath.recommend import ALS, SGDMF


@pytest.fixture(scope="module")
def fitted():
    X = make_implicit_interactions(300, 120, 6000, random_state=0)
    train, test = train_test_split_interactions(X, 0.25, random_state=0)
    model = ALS(factors=8, iterations=5, random_state=0, show_progress=False).fit(train)
    return model, train, test


@pytest.mark.parametrize("K", [1, 5, 10, 200])
def test_metrics_match_brute_force(fitted, K):
    model, train, test = fitted
    users = [u for u in range(test.shape[0]) if test[u].nnz]
    recs = [model.recommend(u, train[u], N=K)[0] for u in users]
    want = ref.ranking_metrics(recs, [test[u].indices for u in users], test.shape[1], K)
    got = ranking_metrics_at_k(model, train, test, K=K)
    for name in want:
        assert_allclose(got[name], want[name], rtol=1e-12, err_msg=name)
    for fn, name in ((precision_at_k, "precision"), (recall_at_k, "recall"), (map_at_k, "map"),
                     (ndcg_at_k, "ndcg"), (auc_at_k, "auc")):
        assert fn(model, train, test, K=K) == got[name]


def test_learned_model_beats_random_and_metrics_are_bounded(fitted):
    model, train, test = fitted
    got = ranking_metrics_at_k(model, train, test, K=10)
    assert all(0.0 <= v <= 1.0 for v in got.values())
    assert got["auc"] > 0.5


def test_rating_errors():
    R = make_explicit_ratings(100, 40, 1500, random_state=0)
    train, test = train_test_split_interactions(R, 0.2, random_state=0)
    model = SGDMF(factors=4, epochs=5, random_state=0, show_progress=False).fit(train)
    coo = test.tocoo()
    err = model.predict(coo.row, coo.col) - coo.data
    assert_allclose(rmse(model, test), np.sqrt(np.mean(err ** 2)))
    assert_allclose(mae(model, test), np.mean(np.abs(err)))


def test_bad_input(fitted):
    model, train, test = fitted
    with pytest.raises(ValueError, match="K"):
        precision_at_k(model, train, test, K=0)
    with pytest.raises(ValueError, match="same shape"):
        precision_at_k(model, train, test[:10])
    with pytest.raises(ValueError, match="no interactions"):
        precision_at_k(model, train, sp.csr_matrix(test.shape))
    bad = test.copy()
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ndcg_at_k(model, train, bad)
