"""Generated interaction matrices and the per-user train/test split."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

from .._validation import as_csr, check_positive_int


def _check_sizes(n_users, n_items, n):
    for name, value in (("n_users", n_users), ("n_items", n_items), ("n_interactions", n)):
        check_positive_int(value, name)
    if n > n_users * n_items:
        raise ValueError(f"n_interactions={n} exceeds n_users * n_items = {n_users * n_items}")


def _distinct_cells(rng, n_cells, n):
    """``n`` distinct uniform cell numbers from a large range, without a permutation of it."""
    cells = np.unique(rng.randint(0, n_cells, size=int(n * 1.05) + 10, dtype=np.int64))
    while cells.shape[0] < n:
        cells = np.unique(np.concatenate([cells, rng.randint(0, n_cells, size=n, dtype=np.int64)]))
    return rng.permutation(cells)[:n]


def make_implicit_interactions(n_users=1000, n_items=500, n_interactions=20000, *,
                               popularity_exponent=1.0, n_topics=20, topic_affinity=0.7,
                               random_state=None):
    """Implicit feedback (interaction counts) with power-law item popularity.

    Each item belongs to a topic and has a Zipf weight ``rank**-exponent``;
    each user has a favourite topic. An interaction picks, with probability
    ``topic_affinity``, an item of the user's topic, else any item, by weight.
    User activity is log-normal. Repeated pairs are dropped, so the result has
    up to ``n_interactions`` stored values (counts >= 1).

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_users, n_items), float32

    Examples
    --------
    >>> from fastmath.datasets import make_implicit_interactions
    >>> X = make_implicit_interactions(100, 50, 1000, random_state=0)
    >>> X.shape, X.nnz <= 1000
    ((100, 50), True)
    """
    _check_sizes(n_users, n_items, n_interactions)
    rng = check_random_state(random_state)
    weight = (1.0 + rng.permutation(n_items)) ** -float(popularity_exponent)
    topic = rng.randint(n_topics, size=n_items)
    user_topic = rng.randint(n_topics, size=n_users)
    activity = rng.lognormal(0.0, 1.0, n_users)
    global_cdf = np.cumsum(weight) / weight.sum()
    order = np.argsort(topic, kind="stable")
    bounds = np.searchsorted(topic[order], np.arange(n_topics + 1))
    topic_cdfs = [np.cumsum(weight[order[lo:hi]]) / weight[order[lo:hi]].sum() if hi > lo
                  else None for lo, hi in zip(bounds[:-1], bounds[1:])]

    def draw(n):
        users = rng.choice(n_users, size=n, p=activity / activity.sum())
        items = np.searchsorted(global_cdf, rng.random_sample(n))
        on_topic = rng.random_sample(n) < topic_affinity
        for t, cdf in enumerate(topic_cdfs):
            pick = on_topic & (user_topic[users] == t)
            if cdf is not None and pick.any():
                items[pick] = order[bounds[t] + np.searchsorted(cdf, rng.random_sample(pick.sum()))]
        return users, np.minimum(items, n_items - 1)

    counts = sp.csr_matrix((n_users, n_items), dtype=np.float32)
    for _ in range(20):  # popular pairs repeat: draw more until enough distinct pairs
        missing = n_interactions - counts.nnz
        if missing <= 0:
            break
        users, items = draw(int(missing * 1.3) + 10)
        counts = counts + sp.csr_matrix((np.ones(users.shape[0], np.float32), (users, items)),
                                        shape=(n_users, n_items))
    if counts.nnz > n_interactions:  # keep a random subset of exactly the size asked for
        coo = counts.tocoo()
        keep = np.sort(rng.choice(coo.nnz, n_interactions, replace=False))
        counts = sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])),
                               shape=(n_users, n_items))
    return counts


def make_explicit_ratings(n_users=1000, n_items=500, n_ratings=20000, *, rank=10, noise=0.5,
                          mean=3.5, rating_range=(1.0, 5.0), random_state=None):
    """Ratings from a low-rank model plus noise: ``mean + b_u + b_i + p_u . q_i + e``.

    ``n_ratings`` distinct (user, item) cells are drawn uniformly; values are
    clipped to ``rating_range``.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_users, n_items), float32

    Examples
    --------
    >>> from fastmath.datasets import make_explicit_ratings
    >>> R = make_explicit_ratings(100, 50, 1000, random_state=0)
    >>> float(R.data.min()) >= 1.0 and float(R.data.max()) <= 5.0
    True
    """
    _check_sizes(n_users, n_items, n_ratings)
    rng = check_random_state(random_state)
    cells = rng.choice(n_users * n_items, size=n_ratings, replace=False) \
        if n_users * n_items <= 20_000_000 else _distinct_cells(rng, n_users * n_items, n_ratings)
    users, items = cells // n_items, cells % n_items
    P = rng.normal(0.0, 1.0 / np.sqrt(rank), (n_users, rank))
    Q = rng.normal(0.0, 1.0 / np.sqrt(rank), (n_items, rank))
    bu = rng.normal(0.0, 0.3, n_users)
    bi = rng.normal(0.0, 0.5, n_items)
    values = (mean + bu[users] + bi[items] + np.einsum("ij,ij->i", P[users], Q[items])
              + rng.normal(0.0, noise, users.shape[0]))
    values = np.clip(values, *rating_range).astype(np.float32)
    return sp.csr_matrix((values, (users, items)), shape=(n_users, n_items))


def train_test_split_interactions(user_items, test_fraction=0.2, random_state=None):
    """Hold out a fraction of each user's interactions.

    Every user with at least two interactions keeps at least one in train and
    gives ``round(test_fraction * count)`` (at least one) to test; users with
    one interaction keep it in train.

    Returns
    -------
    train, test : scipy.sparse.csr_matrix, same shape as ``user_items``

    Examples
    --------
    >>> from fastmath.datasets import make_implicit_interactions, train_test_split_interactions
    >>> X = make_implicit_interactions(100, 50, 1000, random_state=0)
    >>> train, test = train_test_split_interactions(X, 0.2, random_state=0)
    >>> train.nnz + test.nnz == X.nnz and train.multiply(test).nnz == 0
    True
    """
    if not (isinstance(test_fraction, (float, int)) and 0.0 < test_fraction < 1.0):
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    csr = as_csr(user_items, "user_items")
    matrix = sp.csr_matrix((csr.data, csr.indices, csr.indptr), shape=csr.shape)
    rng = check_random_state(random_state)
    counts = np.diff(matrix.indptr)
    n_test = np.where(counts >= 2, np.clip(np.rint(test_fraction * counts), 1, counts - 1), 0)
    # a random rank for every stored value within its row; the lowest ranks go to test
    row = np.repeat(np.arange(matrix.shape[0]), counts)
    key = rng.random_sample(matrix.nnz) + row
    order = np.argsort(key, kind="stable")
    rank = np.empty(matrix.nnz, np.int64)
    rank[order] = np.arange(matrix.nnz) - np.repeat(matrix.indptr[:-1], counts)
    in_test = rank < n_test[row]
    coo = matrix.tocoo()
    parts = []
    for mask in (~in_test, in_test):
        parts.append(sp.csr_matrix((coo.data[mask], (coo.row[mask], coo.col[mask])),
                                   shape=matrix.shape))
    return parts[0], parts[1]
