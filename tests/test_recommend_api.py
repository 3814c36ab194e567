"""The recommenders as drop-ins for implicit's models, and as scikit-learn estimators."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from fastmath.datasets import make_explicit_ratings, make_implicit_interactions
from fastmath.recommend import ALS, SGDMF, MostPopular

QUIET = dict(show_progress=False)
C = make_implicit_interactions(60, 30, 600, random_state=3)


@pytest.fixture(scope="module")
def model():
    return ALS(factors=5, iterations=4, random_state=0, **QUIET).fit(C)


@pytest.fixture(scope="module")
def implicit_twin(model):
    """implicit's ALS holding the same factors as ``model``: the same queries must agree."""
    als = pytest.importorskip("implicit.cpu.als")
    peer = als.AlternatingLeastSquares(factors=5, iterations=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer.fit(C, show_progress=False)
    peer.user_factors = model.user_factors.copy()
    peer.item_factors = model.item_factors.copy()
    peer._user_norms = peer._item_norms = None
    return peer


def _same_ranking(ours, theirs):
    """Equal ids and scores, allowing any order among exactly tied scores."""
    (a_ids, a_scores), (b_ids, b_scores) = ours, theirs
    assert a_ids.shape == b_ids.shape
    assert_allclose(a_scores, b_scores, rtol=1e-5, atol=1e-6)
    for a, b, s in zip(np.atleast_2d(a_ids), np.atleast_2d(b_ids), np.atleast_2d(a_scores)):
        for value in np.unique(s):
            assert set(a[s == value]) == set(b[s == value])


@pytest.mark.parametrize("kwargs", [
    dict(N=5), dict(N=30), dict(N=4, filter_items=[0, 3]), dict(N=3, items=[1, 4, 7, 9]),
    dict(N=5, filter_already_liked_items=False),
])
def test_recommend_agrees_with_implicit(model, implicit_twin, kwargs):
    ours = model.recommend(7, C[7], **kwargs)
    theirs = implicit_twin.recommend(7, C[7], **kwargs)
    assert ours[0].dtype == np.int32 and ours[1].dtype == np.float32
    _same_ranking(ours, theirs)
    users = np.array([1, 4, 9])
    _same_ranking(model.recommend(users, C[users], N=5),
                  implicit_twin.recommend(users, C[users], N=5))


@pytest.mark.parametrize("kwargs", [dict(N=4), dict(N=4, filter_items=[2]),
                                    dict(N=2, items=[0, 5, 8, 11])])
def test_similar_items_agrees_with_implicit(model, implicit_twin, kwargs):
    _same_ranking(model.similar_items(5, **kwargs), implicit_twin.similar_items(5, **kwargs))


@pytest.mark.parametrize("kwargs", [dict(N=4), dict(N=3, filter_users=[2]),
                                    dict(N=2, users=[0, 5, 8, 11])])
def test_similar_users_agrees_with_implicit(model, implicit_twin, kwargs):
    _same_ranking(model.similar_users(5, **kwargs), implicit_twin.similar_users(5, **kwargs))


def test_works_inside_implicit_evaluation(model):
    evaluation = pytest.importorskip("implicit.evaluation")
    from fastmath import metrics

    test = make_implicit_interactions(60, 30, 300, random_state=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = evaluation.precision_at_k(model, C, test, K=5, show_progress=False)
    assert theirs == pytest.approx(metrics.precision_at_k(model, C, test, K=5))


def test_ids_are_always_real_items(model):
    ids, scores = model.recommend(0, C[0], N=1000)
    assert ids.shape == (30,) and sorted(ids) == list(range(30))
    liked = set(C[0].indices)
    assert set(ids[-len(liked):]) == liked  # liked items come last
    names = np.array([f"item{i}" for i in range(30)])
    assert set(names[ids]) == set(names)


def test_user_items_is_checked_only_when_used(model):
    ids, _ = model.recommend(3, C, N=4, filter_already_liked_items=False)  # whole matrix, unused
    assert_array_equal(ids, model.recommend(3, C[3], N=4, filter_already_liked_items=False)[0])
    with pytest.raises(ValueError, match="1 row for every id"):
        model.recommend(3, C, N=4)


def test_recalculate_item_and_similar_items_from_rows(model):
    item_users = C.T.tocsr()
    factor = model.recalculate_item(4, item_users[4])
    assert factor.shape == (5,)
    ids, _ = model.similar_items(4, N=3, recalculate_item=True, item_users=item_users[4])
    assert ids.shape == (3,)


def test_partial_fit_users_and_items_grow_the_model():
    m = ALS(factors=4, iterations=3, random_state=0, **QUIET).fit(C)
    before = m.item_factors.copy()
    rows = C[[2, 5]]
    m.partial_fit_users([2, 61], rows)
    assert m.user_factors.shape == (62, 4)
    assert_allclose(m.user_factors[61], m.recalculate_user(5, C[5]), rtol=1e-6)
    assert_array_equal(m.user_factors[60], 0)  # ids in between are empty users
    assert_array_equal(m.item_factors, before)
    item_rows = sp.hstack([C.T.tocsr()[[3]], sp.csr_matrix((1, 2))]).tocsr()  # 62 users now
    m.partial_fit_items([30], item_rows)
    assert m.item_factors.shape == (31, 4) and m.item_popularity.shape == (31,)
    ids, _ = m.recommend(0, sp.csr_matrix((1, 31)), N=31)
    assert sorted(ids) == list(range(31))
    with pytest.raises(ValueError, match="repeat"):
        m.partial_fit_users([1, 1], C[[1, 2]])


def test_fit_callback_and_show_progress(capsys):
    seen = []
    ALS(factors=3, iterations=3, random_state=0, show_progress=False).fit(
        C, show_progress=True, callback=lambda it, elapsed, loss: seen.append((it, elapsed)))
    assert [it for it, _ in seen] == [0, 1, 2] and all(e >= 0 for _, e in seen)
    assert "ALS" in capsys.readouterr().err
    losses = []
    SGDMF(factors=3, epochs=2, random_state=0, **QUIET).fit(
        C, callback=lambda it, elapsed, loss: losses.append(loss))
    assert len(losses) == 2 and np.all(np.isfinite(losses))
    with pytest.raises(TypeError, match="callback must be callable"):
        ALS(**QUIET).fit(C, callback=3)


def test_zero_iterations_keep_the_initial_factors():
    m = ALS(factors=3, iterations=0, random_state=0, **QUIET).fit(C)
    assert m.user_factors.shape == (60, 3) and m.loss_history_.shape == (0,)
    preset = np.full((30, 3), 0.5, np.float32)
    m = ALS(factors=3, iterations=0, **QUIET)
    m.item_factors = preset
    m.fit(C)
    assert_array_equal(m.item_factors, preset)
    refit = clone(m).fit(C)  # a refit of a fitted model starts afresh, as scikit-learn expects
    assert not np.array_equal(refit.item_factors, preset)


def test_scikit_learn_estimator_conventions():
    m = ALS(factors=7, num_threads=1)
    assert m.get_params()["factors"] == 7
    assert clone(m).get_params() == m.get_params()
    assert m.set_params(factors=3).factors == 3
    for cls in (ALS, SGDMF, MostPopular):
        with pytest.raises(NotFittedError):
            cls().recommend(0, C[0])
    with pytest.raises(ValueError, match="factors"):
        ALS(factors=0, **QUIET).fit(C)
    with pytest.raises(ValueError, match="regularization"):
        ALS(regularization=float("nan"), **QUIET).fit(C)
    with pytest.raises(TypeError, match="dtype"):
        ALS(dtype="half-precision", **QUIET).fit(C)


def test_save_unfitted_and_fitted_models(tmp_path):
    path = tmp_path / "unfitted.npz"
    ALS(factors=6, **QUIET).save(path)
    loaded = ALS.load(path)
    assert loaded.factors == 6 and loaded.user_factors is None
    ratings = make_explicit_ratings(40, 20, 300, random_state=0)
    for m in (SGDMF(factors=4, epochs=3, random_state=0, **QUIET),
              ALS(factors=4, iterations=2, implicit=False, random_state=0, **QUIET)):
        m.fit(ratings)
        m.save(tmp_path / "m.npz")
        back = type(m).load(tmp_path / "m.npz")
        users, items = np.arange(40) % 40, np.arange(40) % 20
        assert_array_equal(back.predict(users, items), m.predict(users, items))  # exact


def _tamper(tmp_path, model, **changes):
    path = tmp_path / "model.npz"
    model.save(path)
    with np.load(path) as data:
        fields = {k: data[k] for k in data.files}
    fields.update(changes)
    fields = {k: v for k, v in fields.items() if v is not None}
    np.savez(path, **fields)
    return path


@pytest.mark.parametrize("change, message", [
    (dict(item_bias=np.zeros(3, np.float32)), "item_bias"),
    (dict(user_factors=None), "user_factors is missing"),
    (dict(item_factors=np.zeros((20, 9), np.float32)), "disagree"),
    (dict(global_mean=np.array("x")), "global_mean"),
    (dict(item_popularity=-np.ones(20)), "item_popularity"),
    (dict(user_bias=np.full(40, np.nan, np.float32)), "NaN"),
    (dict(__params__=np.array('{"class": "SGDMF", "params": {"factors": -2}}')), "factors"),
    (dict(__params__=np.array("not json")), "__params__"),
    (dict(extra=np.zeros(2)), "unknown fields"),
])
def test_tampered_model_files_are_refused(tmp_path, change, message):
    m = SGDMF(factors=4, epochs=2, random_state=0, **QUIET).fit(
        make_explicit_ratings(40, 20, 300, random_state=0))
    path = _tamper(tmp_path, m, **change)
    with pytest.raises(ValueError, match=message):
        SGDMF.load(path)


def test_duplicate_entries_are_summed_as_scipy_views_them():
    rows, cols = np.array([0, 0, 1, 2]), np.array([1, 1, 2, 0])
    dup = sp.coo_matrix((np.array([1.0, 2.0, 1.0, 1.0]), (rows, cols)), shape=(3, 3)).tocsr()
    dup = sp.csr_matrix((dup.data, dup.indices, dup.indptr), shape=dup.shape)
    raw = sp.csr_matrix((np.array([1.0, 2.0, 1.0, 1.0], np.float32), cols,
                         np.array([0, 2, 3, 4])), shape=(3, 3))  # (0, 1) stored twice
    summed = sp.csr_matrix(raw.toarray())
    a = ALS(factors=2, iterations=3, random_state=0, **QUIET).fit(raw)
    b = ALS(factors=2, iterations=3, random_state=0, **QUIET).fit(summed)
    assert_allclose(a.item_factors, b.item_factors, rtol=1e-6)
    assert dup.nnz == 3


def test_huge_values_or_regularization_do_not_give_nan_factors():
    huge = C.copy().astype(np.float32)
    huge.data[:] = 3e38
    with pytest.raises(ValueError, match="overflow"):
        ALS(factors=3, iterations=2, **QUIET).fit(huge)
    m = ALS(factors=3, iterations=2, **QUIET)
    with pytest.raises(ValueError, match="diverged|overflow"):
        ALS(factors=3, iterations=2, regularization=1e300, dtype=np.float32, **QUIET).fit(C)
    assert m.user_factors is None  # the failed fit left nothing behind
