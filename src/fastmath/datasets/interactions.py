"""Generated interaction matrices and the per-user train/test split."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

from .._validation import check_int, check_interactions, check_real

MAX_GENERATED = 200_000_000  # stored values a generator builds in memory at most


def _check_sizes(n_users, n_items, n, name):
    check_int(n_users, "n_users", low=1)
    check_int(n_items, "n_items", low=1)
    check_int(n, name, low=1, high=MAX_GENERATED)
    if n > n_users * n_items:
        raise ValueError(f"{name}={n} exceeds n_users * n_items = {n_users * n_items}")
    return int(n_users), int(n_items), int(n)


def _distinct_cells(rng, n_cells, n):
    """``n`` distinct uniform cell numbers of ``range(n_cells)``, in random order.

    Beyond half the grid, the cells left out are drawn instead (they are the
    fewer), so asking for nearly every cell of a large grid is as fast as
    asking for few; below, small grids are permuted and large ones sampled
    with rejection (which converges fast at most half full).
    """
    if n > n_cells // 2:
        keep = np.ones(n_cells, np.bool_)
        keep[_distinct_cells(rng, n_cells, n_cells - n)] = False
        return rng.permutation(np.flatnonzero(keep))
    if n_cells <= 1_000_000:
        return rng.choice(n_cells, size=n, replace=False)
    cells = np.unique(rng.randint(0, n_cells, size=int(n * 1.05) + 10, dtype=np.int64))
    while cells.shape[0] < n:
        extra = rng.randint(0, n_cells, size=n - cells.shape[0] + 10, dtype=np.int64)
        cells = np.unique(np.concatenate([cells, extra]))
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

    Parameters
    ----------
    n_users, n_items : int
        At least 1.
    n_interactions : int
        Draws before repeated pairs are dropped; at most ``n_users * n_items``.
    popularity_exponent : float >= 0, default 1.0
        Zipf exponent of item popularity (0: uniform).
    n_topics : int >= 1, default 20
    topic_affinity : float in [0, 1], default 0.7
        Probability that an interaction stays in the user's topic.
    random_state : int, RandomState, Generator or None

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
    n_users, n_items, n_interactions = _check_sizes(n_users, n_items, n_interactions,
                                                    "n_interactions")
    popularity_exponent = check_real(popularity_exponent, "popularity_exponent", low=0.0)
    n_topics = check_int(n_topics, "n_topics", low=1)
    topic_affinity = check_real(topic_affinity, "topic_affinity", low=0.0, high=1.0)
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

    Parameters
    ----------
    n_users, n_items : int
        At least 1.
    n_ratings : int
        Distinct cells rated; at most ``n_users * n_items``.
    rank : int >= 1, default 10
        Rank of the latent model.
    noise : float >= 0, default 0.5
        Standard deviation of the Gaussian noise ``e``.
    mean : float, default 3.5
    rating_range : (float, float), default (1.0, 5.0)
    random_state : int, RandomState, Generator or None

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
    n_users, n_items, n_ratings = _check_sizes(n_users, n_items, n_ratings, "n_ratings")
    rank = check_int(rank, "rank", low=1)
    noise = check_real(noise, "noise", low=0.0)
    mean = check_real(mean, "mean")
    try:
        low, high = (check_real(v, "rating_range") for v in rating_range)
    except (TypeError, ValueError):
        raise ValueError(f"rating_range must be two finite numbers (low, high), got "
                         f"{rating_range!r}") from None
    if not low < high:
        raise ValueError(f"rating_range must have low < high, got {rating_range!r}")
    rng = check_random_state(random_state)
    cells = _distinct_cells(rng, n_users * n_items, n_ratings)
    users, items = cells // n_items, cells % n_items
    P = rng.normal(0.0, 1.0 / np.sqrt(rank), (n_users, rank))
    Q = rng.normal(0.0, 1.0 / np.sqrt(rank), (n_items, rank))
    bu = rng.normal(0.0, 0.3, n_users)
    bi = rng.normal(0.0, 0.5, n_items)
    values = (mean + bu[users] + bi[items] + np.einsum("ij,ij->i", P[users], Q[items])
              + rng.normal(0.0, noise, users.shape[0]))
    values = np.clip(values, low, high).astype(np.float32)
    return sp.csr_matrix((values, (users, items)), shape=(n_users, n_items))


def train_test_split_interactions(user_items, test_fraction=0.2, random_state=None):
    """Hold out a fraction of each user's interactions.

    Every user with at least two interactions keeps at least one in train and
    gives ``round(test_fraction * count)`` (at least one) to test; users with
    one interaction keep it in train. Duplicate entries are summed first
    (SciPy's view of the matrix), so a cell is never in both parts.

    Parameters
    ----------
    user_items : sparse matrix of shape (n_users, n_items)
    test_fraction : float in (0, 1), default 0.2
    random_state : int, RandomState or None

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
    test_fraction = check_real(test_fraction, "test_fraction", low=0.0, high=1.0,
                               closed="neither")
    matrix = check_interactions(user_items, "user_items", allow_empty=True)
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
