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
    dense = test.toarray()
    rows, cols = np.nonzero(dense)
    # an independent prediction: mean + biases + dot product, straight from the learned arrays
    pred = [model.global_mean + model.user_bias[u] + model.item_bias[i]
            + float(np.dot(model.user_factors[u].astype(float), model.item_factors[i]))
            for u, i in zip(rows, cols)]
    err = np.array(pred) - dense[rows, cols]
    assert_allclose(rmse(model, test), np.sqrt(np.mean(err ** 2)), rtol=1e-6)
    assert_allclose(mae(model, test), np.mean(np.abs(err)), rtol=1e-6)


def test_error_metrics_also_take_arrays_as_scikit_learn():
    from sklearn import metrics as skm

    y, p = [1.0, 2.0, 3.0, 4.0], [1.5, 2.0, 2.0, 4.5]
    assert rmse(y, p) == skm.root_mean_squared_error(y, p)
    assert mae(y, p, sample_weight=[1, 2, 1, 1]) == skm.mean_absolute_error(
        y, p, sample_weight=[1, 2, 1, 1])


class _Model:
    """A duck-typed recommender returning whatever ``ids`` it is given."""

    def __init__(self, make):
        self.make = make

    def recommend(self, userids, user_items, N=10, filter_already_liked_items=True):
        ids = self.make(len(userids), N)
        return ids, np.zeros(np.shape(ids))


@pytest.mark.parametrize("make, match", [
    (lambda m, n: np.zeros((m - 1, n), np.int32), "shape"),  # a row missing
    (lambda m, n: np.zeros((m, n + 3), np.int32), "shape"),  # extra columns
    (lambda m, n: np.zeros((m, n)) + 0.5, "dtype"),  # float ids
    (lambda m, n: np.full((m, n), 10_000), "outside"),  # out of range
    (lambda m, n: np.full((m, n), -1), "outside"),  # implicit-style padding
    (lambda m, n: np.zeros((m, n), np.int64), "same item twice"),
])
def test_what_model_recommend_returns_is_checked(fitted, make, match):
    _, train, test = fitted
    with pytest.raises((ValueError, TypeError), match=match):
        ranking_metrics_at_k(_Model(make), train, test, K=5)


def test_a_duck_typed_model_with_more_users_works(fitted):
    model, train, test = fitted

    class Wrapper:
        user_factors = np.zeros((10_000, 2))  # more rows than users: not trusted, not needed

        def recommend(self, *args, **kwargs):
            return model.recommend(*args, **kwargs)

    assert ranking_metrics_at_k(Wrapper(), train, test, K=5) == ranking_metrics_at_k(
        model, train, test, K=5)


def test_implicit_names_and_progress(fitted, capsys):
    from fastmath.metrics import AUC_at_k, mean_average_precision_at_k

    model, train, test = fitted
    got = ranking_metrics_at_k(model, train, test, K=5, show_progress=True)
    assert "ranking metrics" in capsys.readouterr().err
    assert mean_average_precision_at_k(model, train, test, K=5) == got["map"]
    assert AUC_at_k(model, train, test, K=5) == got["auc"]


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
