"""ALS and SGDMF against NumPy references of the same algorithms, and the shared API."""
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError

import fastmath as fm
import reference as ref
from fastmath.datasets import make_explicit_ratings
from fastmath.recommend import ALS, SGDMF
from fastmath.recommend._sgd_kernels import sgd_epoch

QUIET = dict(show_progress=False)


def _implicit(seed=0, n_users=40, n_items=25, density=0.2):
    m = sp.random(n_users, n_items, density=density, format="csr", random_state=seed)
    m.data = 1.0 + np.round(m.data * 4)
    return m


def _preset(model, shape_u, shape_i, seed=0):
    """Set the starting factors before fit, as implicit lets callers do; returns the item ones."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(getattr(model, "dtype", np.float32))
    model.user_factors = (rng.random(shape_u) * 0.01).astype(dtype)
    model.item_factors = (rng.random(shape_i) * 0.01).astype(dtype)
    return model.item_factors.copy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_implicit_cholesky_matches_reference(dtype):
    C = _implicit()
    f, reg, alpha = 6, 0.1, 2.0
    model = ALS(factors=f, regularization=reg, alpha=alpha, iterations=1, solver="cholesky",
                dtype=dtype, **QUIET)
    Y0 = _preset(model, (40, f), (25, f), seed=3)
    model.fit(C)
    X = ref.als_implicit_half_step(C * alpha, Y0, reg)
    Y = ref.als_implicit_half_step((C * alpha).T.tocsr(), X, reg)
    rtol = 1e-3 if dtype == np.float32 else 1e-9
    assert model.user_factors.dtype == dtype
    assert_allclose(model.user_factors, X, rtol=rtol, atol=rtol * np.abs(X).max())
    assert_allclose(model.item_factors, Y, rtol=rtol, atol=rtol * np.abs(Y).max())


def test_cg_blocks_match_row_by_row_reference():
    # rows solved in blocks of 16 (one GEMM per CG step) must match plain
    # row-by-row CG: with an empty row, negative feedback, and a row with more
    # values than the gather buffer holds (128 rows of 512 float64 factors)
    rng = np.random.default_rng(4)
    n_users, n_items, f, reg, alpha, steps = 37, 600, 512, 0.1, 2.0, 3
    C = sp.random(n_users, n_items, density=0.05, format="lil", random_state=4)
    C[0, :200] = 1.0
    C[5, :] = 0
    C = C.tocsr()
    C.eliminate_zeros()
    C.data = 1.0 + np.round(C.data * 4)
    C.data[rng.random(C.nnz) < 0.1] *= -1
    model = ALS(factors=f, regularization=reg, alpha=alpha, iterations=1, cg_steps=steps,
                dtype=np.float64, **QUIET)
    Y0 = _preset(model, (n_users, f), (n_items, f), seed=5)
    X0 = model.user_factors.copy()
    model.fit(C)
    X = ref.als_implicit_cg_half_step(C * alpha, X0, Y0, reg, steps)
    Y = ref.als_implicit_cg_half_step((C * alpha).T.tocsr(), Y0, X, reg, steps)
    assert (model.user_factors[5] == 0).all()
    assert_allclose(model.user_factors, X, rtol=1e-8, atol=1e-8 * np.abs(X).max())
    assert_allclose(model.item_factors, Y, rtol=1e-8, atol=1e-8 * np.abs(Y).max())


def test_cg_result_does_not_depend_on_the_thread_count():
    C = _implicit(seed=2, n_users=3000, n_items=400, density=0.02)
    fits = [ALS(factors=16, iterations=2, random_state=0, num_threads=t, **QUIET).fit(C)
            for t in (1, 2)]
    assert_array_equal(fits[0].user_factors, fits[1].user_factors)
    assert_array_equal(fits[0].item_factors, fits[1].item_factors)
    # what guarantees it for any BLAS: CG's row blocks never straddle a chunk
    # bound, because every interior bound is a multiple of the block size
    from fastmath.recommend import _als_kernels, als
    for threads in (1, 2):
        with fm.thread_limit(threads):
            bounds = als._bounds(C.indptr, 16, 10**9)
        assert bounds[0] == 0 and bounds[-1] == C.shape[0] and (np.diff(bounds) > 0).all()
        assert (bounds[1:-1] % _als_kernels.CG_BLOCK == 0).all()


def test_cg_converges_to_cholesky():
    C = _implicit(seed=1)
    exact = ALS(factors=8, iterations=3, solver="cholesky", dtype=np.float64, random_state=0,
                **QUIET).fit(C)
    errors = []
    for steps in (1, 3, 8, 20):
        cg = ALS(factors=8, iterations=3, cg_steps=steps, dtype=np.float64, random_state=0,
                 **QUIET).fit(C)
        errors.append(np.abs(cg.item_factors - exact.item_factors).max())
    assert errors[-1] < 1e-6 * np.abs(exact.item_factors).max()
    assert errors[0] > errors[-1]
    assert all(b <= a * 1.5 for a, b in zip(errors, errors[1:]))


def test_explicit_als_matches_reference():
    R = make_explicit_ratings(30, 20, 250, random_state=0)
    f, reg = 4, 0.05
    model = ALS(factors=f, regularization=reg, iterations=1, implicit=False, dtype=np.float64,
                **QUIET)
    Y0 = _preset(model, (30, f), (20, f), seed=5)
    model.fit(R)
    mean = R.data.astype(np.float64).mean()
    X, bu = ref.als_explicit_half_step(R, Y0, np.zeros(20), mean, reg)
    Y, bi = ref.als_explicit_half_step(R.T.tocsr(), X, bu, mean, reg)
    assert_allclose(model.user_factors, X, rtol=1e-8, atol=1e-10)
    assert_allclose(model.user_bias, bu, rtol=1e-8, atol=1e-10)
    assert_allclose(model.item_factors, Y, rtol=1e-8, atol=1e-10)
    assert_allclose(model.item_bias, bi, rtol=1e-8, atol=1e-10)
    assert_allclose(model.predict([0, 1], [2, 3]),
                    mean + bu[[0, 1]] + bi[[2, 3]] + np.einsum("ij,ij->i", X[[0, 1]], Y[[2, 3]]))


@pytest.mark.parametrize("biased", [True, False])
def test_sgd_epoch_matches_plain_loop(biased, rng):
    R = make_explicit_ratings(20, 15, 120, random_state=1).tocoo()
    users, items = R.row.astype(np.int64), R.col.astype(np.int64)
    ratings = R.data.astype(np.float32)
    P = rng.normal(0, 0.1, (20, 5)).astype(np.float32)
    Q = rng.normal(0, 0.1, (15, 5)).astype(np.float32)
    bu, bi = np.zeros(20, np.float32), np.zeros(15, np.float32)
    mean = float(ratings.mean()) if biased else 0.0
    expected = [a.astype(np.float64) for a in (P, Q, bu, bi)]
    ref.sgd_mf_epoch(users, items, ratings, *expected, mean, 0.01, 0.02, biased)
    cell_sse = np.zeros(1)
    sgd_epoch(users, items, ratings, np.array([0, len(users)]), 1, P, Q, bu, bi, mean, 0.01,
              0.02, biased, 0, 0, False, cell_sse)
    for got, want in zip((P, Q, bu, bi), expected):
        assert_allclose(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("n", [1000, 40_000])
def test_cell_shuffle_is_a_reproducible_uniform_permutation(n):
    from fastmath.recommend._sgd_kernels import _shuffle_cell

    def shuffled(seed):
        users = np.arange(n, dtype=np.int64)
        items = users * 7
        ratings = users.astype(np.float32)
        _shuffle_cell(users, items, ratings, 0, n, np.uint64(seed))
        return users, items, ratings

    users, items, ratings = shuffled(1)
    assert_array_equal(np.sort(users), np.arange(n))  # a permutation
    assert_array_equal(items, users * 7)  # of whole triples
    assert_array_equal(ratings, users.astype(np.float32))
    assert_array_equal(shuffled(1)[0], users)  # reproducible for a seed
    assert not np.array_equal(shuffled(2)[0], users)
    # where the first, a middle and the last triple land over 300 seeds: uniform
    # over ten equal ranges (chi-square, 9 degrees of freedom, p = 1e-4)
    landing = np.array([np.argsort(shuffled(seed)[0])[[0, n // 2, n - 1]] for seed in range(300)])
    for track in landing.T:
        counts = np.bincount(track * 10 // n, minlength=10)
        assert ((counts - 30.0) ** 2 / 30.0).sum() < 33.7, counts


@pytest.mark.parametrize("make", [
    lambda: ALS(factors=8, iterations=6, random_state=0, **QUIET),
    lambda: ALS(factors=8, iterations=6, solver="cholesky", random_state=0, **QUIET),
    lambda: ALS(factors=8, iterations=6, implicit=False, regularization=0.1, random_state=0,
                **QUIET),
])
def test_training_loss_decreases(make):
    model = make()
    data = make_explicit_ratings(200, 80, 3000, random_state=2)
    model.fit(data)
    history = model.loss_history_
    assert history.shape == (6,) and np.all(np.isfinite(history))
    assert history[-1] < history[0]
    assert np.all(np.diff(history) <= 1e-6 * history[0])  # ALS: each half-step is exact


def test_sgdmf_loss_history_is_its_epochs():
    """SGD makes no monotone promise; what SGDMF guarantees: epochs are deterministic
    (a shorter fit is a prefix of a longer one), and the loss falls over the fit."""
    data = make_explicit_ratings(200, 80, 3000, random_state=2)
    six = SGDMF(factors=8, epochs=6, random_state=0, **QUIET).fit(data).loss_history_
    three = SGDMF(factors=8, epochs=3, random_state=0, **QUIET).fit(data).loss_history_
    assert six.shape == (6,) and np.all(np.isfinite(six))
    assert_allclose(three, six[:3], rtol=1e-12)
    assert six[3:].mean() < six[:3].mean() and six[-1] < six[0]


def test_sgdmf_learns_low_rank_ratings():
    from fastmath.datasets import train_test_split_interactions
    from fastmath.metrics import rmse

    R = make_explicit_ratings(400, 200, 16000, noise=0.3, random_state=0)
    train, test = train_test_split_interactions(R, 0.2, random_state=0)
    model = SGDMF(factors=10, epochs=30, learning_rate=0.01, random_state=0, **QUIET).fit(train)
    baseline = np.sqrt(np.mean((test.data - train.data.mean()) ** 2))
    assert rmse(model, test) < 0.8 * baseline


@pytest.mark.parametrize("make", [
    lambda: ALS(factors=5, iterations=3, random_state=0, **QUIET),
    lambda: ALS(factors=5, iterations=3, implicit=False, random_state=0, **QUIET),
    lambda: SGDMF(factors=5, epochs=3, random_state=0, **QUIET),
])
def test_recommend_matches_brute_force(make):
    C = _implicit(seed=4)
    model = make().fit(C)
    users = np.arange(C.shape[0])
    scores = np.array([model.predict(np.full(C.shape[1], u), np.arange(C.shape[1]))
                       for u in users]) if model._rating_model else (
        model.user_factors.astype(np.float64) @ model.item_factors.astype(np.float64).T)
    ids, got = model.recommend(users, C, N=7)
    for u in users:
        want_ids, want_scores = ref.top_n(scores[u], 7, excluded=C[u].indices)
        assert_array_equal(ids[u][:len(want_ids)], want_ids)
        assert_allclose(got[u][:len(want_ids)], want_scores, rtol=1e-5, atol=1e-6)
    one_ids, one_scores = model.recommend(3, C[3], N=7)
    assert_array_equal(one_ids, ids[3])
    unfiltered, _ = model.recommend(3, C[3], N=5, filter_already_liked_items=False)
    assert_array_equal(unfiltered, ref.top_n(scores[3], 5)[0])
    subset = [1, 4, 9, 16, 20]
    sub_ids, _ = model.recommend(3, C[3], N=3, items=subset, filter_already_liked_items=False)
    assert_array_equal(sub_ids, ref.top_n(scores[3], 3, candidates=subset)[0])


def test_filtered_items_are_ranked_last_never_padded_with_fake_ids():
    """As implicit: liked and filtered items keep their place at the end, with the lowest score."""
    C = sp.csr_matrix(np.array([[1, 1, 0, 1], [0, 1, 0, 0]], dtype=np.float32))
    model = ALS(factors=2, iterations=2, random_state=0, **QUIET).fit(C)
    ids, scores = model.recommend(0, C[0], N=3)
    assert ids.dtype == np.int32 and scores.dtype == np.float32
    assert ids[0] == 2 and set(ids[1:]) <= {0, 1, 3}
    assert np.isfinite(scores[0]) and np.all(scores[1:] == np.finfo(np.float32).min)
    ids, _ = model.recommend(0, C[0], N=10)
    assert sorted(ids) == [0, 1, 2, 3]  # N is capped at the number of items
    ids, scores = model.recommend(0, C[0], N=3, items=[0, 2])
    assert list(ids) == [2, 0] and scores[1] == np.finfo(np.float32).min
    ids, scores = model.recommend(1, C[1], N=4, filter_items=[2])
    assert ids[-2:].tolist() in ([1, 2], [2, 1]) and np.all(scores[-2:] == np.finfo(np.float32).min)


def test_similar_items_and_users_are_cosine_neighbours():
    C = _implicit(seed=5)
    model = ALS(factors=6, iterations=4, random_state=0, **QUIET).fit(C)
    for table, method in ((model.item_factors, model.similar_items),
                          (model.user_factors, model.similar_users)):
        unit = table / np.linalg.norm(table, axis=1, keepdims=True)
        ids, scores = method(2, N=4)
        want_ids, want_scores = ref.top_n(unit @ unit[2], 4)
        assert ids[0] == 2
        assert_array_equal(ids, want_ids)
        assert_allclose(scores, want_scores, rtol=1e-5)
        batch_ids, _ = method([2, 3], N=4)
        assert_array_equal(batch_ids[0], ids)


def test_recalculate_user_is_an_exact_fold_in():
    C = _implicit(seed=6)
    model = ALS(factors=5, iterations=3, alpha=2.0, dtype=np.float64, random_state=0,
                **QUIET).fit(C)
    new_row = sp.csr_matrix(([1.0, 3.0], ([0, 0], [2, 7])), shape=(1, C.shape[1]))
    x = model.recalculate_user(0, new_row)
    want = ref.als_implicit_half_step(new_row * 2.0, model.item_factors, model.regularization)
    assert_allclose(x, want[0], rtol=1e-8)
    ids, _ = model.recommend(10_000, new_row, N=3, recalculate_user=True)
    want_ids, _ = ref.top_n(model.item_factors @ x, 3, excluded=[2, 7])
    assert_array_equal(ids, want_ids)
    sgd = SGDMF(factors=4, epochs=3, random_state=0, **QUIET).fit(C)
    factors, bias = sgd.recalculate_user([0], new_row)
    want_x, want_b = ref.als_explicit_half_step(new_row, sgd.item_factors, sgd.item_bias,
                                                sgd.global_mean, sgd.regularization)
    assert_allclose(factors, want_x, rtol=1e-4, atol=1e-6)
    assert_allclose(bias, want_b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: ALS(factors=4, iterations=2, random_state=0, **QUIET),
    lambda: ALS(factors=4, iterations=2, implicit=False, dtype=np.float64, random_state=0,
                **QUIET),
    lambda: SGDMF(factors=4, epochs=2, random_state=0, **QUIET),
])
def test_save_load_round_trip_is_exact(tmp_path, make):
    C = _implicit(seed=7)
    model = make().fit(C)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = type(model).load(path)
    for name in ("user_factors", "item_factors", "user_bias", "item_bias", "loss_history_"):
        a, b = getattr(model, name), getattr(loaded, name)
        assert (a is None and b is None) or (a.dtype == b.dtype and np.array_equal(a, b))
    assert loaded.global_mean == model.global_mean
    assert loaded.factors == model.factors
    assert_array_equal(loaded.recommend(1, C[1], N=4)[0], model.recommend(1, C[1], N=4)[0])
    with np.load(path, allow_pickle=False) as data:  # nothing executable inside
        assert all(data[k].dtype != object for k in data.files)
    other = SGDMF if isinstance(model, ALS) else ALS
    with pytest.raises(ValueError, match="holds a"):
        other.load(path)


def test_same_seed_same_factors():
    C = _implicit(seed=8)
    for make in (lambda s: ALS(factors=4, iterations=3, random_state=s, **QUIET),
                 lambda s: SGDMF(factors=4, epochs=3, random_state=s, num_threads=2, **QUIET)):
        a, b, c = make(1).fit(C), make(1).fit(C), make(2).fit(C)
        assert_array_equal(a.user_factors, b.user_factors)
        assert_array_equal(a.item_factors, b.item_factors)
        assert not np.array_equal(a.item_factors, c.item_factors)


def test_empty_users_and_items_stay_finite_and_get_popular_items():
    dense = np.zeros((6, 5), np.float32)
    dense[0, [0, 1]] = 1
    dense[1, [0, 2]] = 1
    dense[2, 0] = 1  # user 3..5 and item 3, 4 have nothing
    C = sp.csr_matrix(dense)
    for model in (ALS(factors=3, iterations=3, random_state=0, **QUIET),
                  ALS(factors=3, iterations=3, implicit=False, random_state=0, **QUIET),
                  SGDMF(factors=3, epochs=3, random_state=0, **QUIET)):
        model.fit(C)
        assert np.all(np.isfinite(model.user_factors)) and np.all(np.isfinite(model.item_factors))
        ids, scores = model.recommend(4, C[4], N=5)
        assert np.all(np.isfinite(scores)) and sorted(ids) == [0, 1, 2, 3, 4]
    als = ALS(factors=3, iterations=3, random_state=0, **QUIET).fit(C)
    assert als.recommend(4, C[4], N=1)[0][0] == 0  # the most popular item


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_values_raise(value):
    C = _implicit()
    C.data[3] = value
    for model in (ALS(**QUIET), SGDMF(**QUIET)):
        with pytest.raises(ValueError, match="NaN or infinite"):
            model.fit(C)


def test_bad_input():
    C = _implicit()
    with pytest.raises(ValueError, match="empty"):
        ALS(**QUIET).fit(sp.csr_matrix((5, 4)))
    bad = C.copy()
    bad.indices[0] = 999
    with pytest.raises(ValueError, match="out of range"):
        ALS(**QUIET).fit(bad)
    with pytest.raises(TypeError):
        ALS(**QUIET).fit(C.toarray())
    for bad_params, match in ((dict(factors=0), "factors"), (dict(solver="lu"), "solver"),
                              (dict(regularization=-1.0), "regularization"),
                              (dict(dtype=np.int32), "dtype"), (dict(iterations=1.5), "iterations")):
        with pytest.raises(ValueError, match=match):
            ALS(**bad_params, **QUIET).fit(C)
    model = ALS(factors=3, iterations=1, random_state=0, **QUIET).fit(C)
    with pytest.raises(IndexError, match=r"userid 40 is out of range \[0, 40\)"):
        model.recommend(40, C[0])
    with pytest.raises(IndexError, match=r"itemid -1 is out of range \[0, 25\)"):
        model.similar_items(-1)
    with pytest.raises(IndexError, match="items"):
        model.recommend(0, C[0], items=[3, 25])
    with pytest.raises(ValueError, match="rows"):
        model.recommend([0, 1], C)
    with pytest.raises(ValueError, match="N"):
        model.recommend(0, C[0], N=0)
    with pytest.raises(NotFittedError, match="not fitted"):
        ALS(**QUIET).recommend(0, C[0])
    with pytest.raises(ValueError, match="same length"):
        SGDMF(factors=2, epochs=1, **QUIET).fit(C).predict([0, 1], [0])


def test_progress_bar(capsys):
    ALS(factors=2, iterations=2, show_progress=True).fit(_implicit())
    assert "ALS" in capsys.readouterr().err


def test_any_sparse_format_is_accepted():
    C = _implicit(seed=9)
    a = ALS(factors=3, iterations=2, random_state=0, **QUIET).fit(C)
    b = ALS(factors=3, iterations=2, random_state=0, **QUIET).fit(C.tocoo())
    c = ALS(factors=3, iterations=2, random_state=0, **QUIET).fit(sp.csc_array(C))
    assert_array_equal(a.item_factors, b.item_factors)
    assert_array_equal(a.item_factors, c.item_factors)


@pytest.mark.parametrize("solver", ["cg", "cholesky"])
def test_loss_history_is_the_weighted_loss_after_each_iteration(solver):
    C = _implicit(seed=10)
    kw = dict(factors=4, regularization=0.1, alpha=2.0, solver=solver, dtype=np.float64,
              random_state=0, **QUIET)
    three = ALS(iterations=3, **kw).fit(C)
    for k in (1, 2, 3):  # the same seed retraces the first k iterations
        model = ALS(iterations=k, **kw).fit(C)
        want = ref.implicit_als_loss(C * 2.0, model.user_factors, model.item_factors, 0.1)
        assert_allclose(three.loss_history_[k - 1], want, rtol=1e-9)
