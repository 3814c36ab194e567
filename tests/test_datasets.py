"""Generators, the per-user split and the MovieLens reader."""
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal

from fastmath.datasets import (load_movielens, make_explicit_ratings, make_implicit_interactions,
                               train_test_split_interactions)


def test_split_holds_out_a_fraction_of_each_user():
    X = make_implicit_interactions(500, 200, 10000, random_state=1)
    train, test = train_test_split_interactions(X, 0.25, random_state=0)
    assert (train + test - X).nnz == 0 or abs(train + test - X).max() == 0
    assert train.multiply(test).nnz == 0
    counts = np.diff(X.indptr)
    n_test, n_train = np.diff(test.indptr), np.diff(train.indptr)
    assert np.all(n_train[counts >= 1] >= 1)
    assert np.all(n_test[counts == 1] == 0)
    many = counts >= 8
    assert np.all(np.abs(n_test[many] - 0.25 * counts[many]) <= 0.5 + 1e-9)
    again = train_test_split_interactions(X, 0.25, random_state=0)
    assert (again[1] != test).nnz == 0
    with pytest.raises(ValueError, match="test_fraction"):
        train_test_split_interactions(X, 1.0)


def test_implicit_generator_has_power_law_popularity():
    X = make_implicit_interactions(2000, 1000, 40000, random_state=0)
    assert X.shape == (2000, 1000) and X.nnz == 40000
    assert X.dtype == np.float32 and X.data.min() >= 1
    popularity = np.sort(np.diff(X.tocsc().indptr))[::-1]
    assert popularity[:10].sum() > 10 * popularity[-500:].sum() / 50  # head >> tail
    assert (make_implicit_interactions(2000, 1000, 40000, random_state=0) != X).nnz == 0


def test_explicit_generator_is_low_rank_plus_noise():
    R = make_explicit_ratings(300, 200, 20000, rank=3, noise=0.1, random_state=0)
    assert R.nnz == 20000 and 1.0 <= R.data.min() and R.data.max() <= 5.0
    with pytest.raises(ValueError, match="exceeds"):
        make_explicit_ratings(3, 3, 10)


def test_load_movielens_u_data(tmp_path):
    path = tmp_path / "u.data"
    path.write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t302\t5\t1\n")
    R, users, items = load_movielens(path)
    assert_array_equal(users, [186, 196])
    assert_array_equal(items, [242, 302])
    assert_array_equal(R.toarray(), [[0, 3], [3, 5]])
    assert sp.isspmatrix_csr(R)


def test_load_movielens_ratings_csv(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text("userId,movieId,rating,timestamp\n1,31,2.5,1\n1,1029,3.0,2\n7,31,4.5,3\n")
    R, users, items = load_movielens(path)
    assert_array_equal(users, [1, 7])
    assert_array_equal(items, [31, 1029])
    assert_array_equal(R.toarray(), [[2.5, 3.0], [4.5, 0.0]])


def test_load_movielens_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="download"):
        load_movielens(tmp_path / "missing.csv")
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2 3 4\n")
    with pytest.raises(ValueError, match="tab-separated"):
        load_movielens(bad)


def test_nearly_every_cell_of_a_large_grid_is_quick_and_distinct():
    R = make_explicit_ratings(3000, 3000, 9_000_000 - 7, random_state=0)
    assert R.nnz == 9_000_000 - 7  # distinct cells (no duplicates were summed)
    with pytest.raises(ValueError, match="exceeds"):
        make_explicit_ratings(10, 10, 101)


@pytest.mark.parametrize("kwargs, match", [
    (dict(noise=float("nan")), "noise"), (dict(rating_range=(5, 1)), "rating_range"),
    (dict(rating_range=(1, float("inf"))), "rating_range"), (dict(mean=float("inf")), "mean"),
    (dict(rank=0), "rank"), (dict(n_ratings=0), "n_ratings"),
])
def test_explicit_generator_parameters_are_checked(kwargs, match):
    args = {**dict(n_users=10, n_items=10, n_ratings=20), **kwargs}
    with pytest.raises(ValueError, match=match):
        make_explicit_ratings(**args)


@pytest.mark.parametrize("kwargs, match", [
    (dict(topic_affinity=1.5), "topic_affinity"), (dict(popularity_exponent=float("nan")),
                                                    "popularity_exponent"),
    (dict(n_topics=0), "n_topics"),
])
def test_implicit_generator_parameters_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_implicit_interactions(10, 10, 20, **kwargs)
    with pytest.raises(TypeError, match="n_users"):
        make_implicit_interactions(10.5, 10, 20)


def test_split_sums_duplicates_and_takes_numpy_fractions():
    dup = sp.csr_matrix((np.array([1.0, 2.0, 3.0, 4.0, 5.0], np.float32), np.array([0, 0, 1, 2, 3]),
                         np.array([0, 5])), shape=(1, 4))  # cell (0, 0) stored twice
    train, test = train_test_split_interactions(dup, np.float32(0.5), random_state=0)
    assert train.multiply(test).nnz == 0
    np.testing.assert_array_equal((train + test).toarray(), dup.toarray())


def test_movielens_keeps_the_latest_rating_of_a_pair(tmp_path):
    path = tmp_path / "u.data"
    path.write_text("1\t10\t4\t300\n1\t10\t5\t100\n2\t20\t3\t100\n1\t10\t2\t300\n")
    ratings, users, items = load_movielens(path)
    assert ratings[0, 0] == 2.0  # timestamp 300 twice: the later line wins; never 4 + 5 + 2
    csv = tmp_path / "ratings.csv"
    csv.write_text("userId,movieId,rating,timestamp\n1,2.5,4.0,1\n")
    with pytest.raises(ValueError, match="ids must be integers"):
        load_movielens(csv)
