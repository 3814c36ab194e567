"""The most-popular baseline every recommender should beat."""
from __future__ import annotations

import numpy as np

from .._validation import check_interactions
from ._base import FactorModel


class MostPopular(FactorModel):
    """Recommends the items with the most interactions, the same for every user.

    It shares the recommender API (``recommend`` with filtering, ``save`` /
    ``load``), so it can be evaluated with :mod:`fastmath.metrics` like the
    factor models. Its "factors" are a column of ones for users and the item
    counts for items, so the score of an item is its popularity.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from fastmath.recommend import MostPopular
    >>> user_items = sp.csr_matrix([[1, 0, 1], [0, 0, 1], [1, 0, 1]])
    >>> MostPopular().fit(user_items).recommend(1, user_items[1], N=2)[0]
    array([0, 1])
    """

    def __init__(self):
        self.user_factors = self.item_factors = None

    def _params(self):
        return {}

    def fit(self, user_items):
        """Count the interactions of each item (any scipy.sparse users x items matrix)."""
        counts = np.diff(check_interactions(user_items).tocsc().indptr).astype(np.float64)
        n_users = user_items.shape[0]
        self.item_popularity = counts
        self.item_factors = counts[:, None]
        self.user_factors = np.ones((n_users, 1))
        self.loss_history_ = np.zeros(0)
        return self

    def _fold_in(self, rows):
        return np.ones((rows.shape[0], 1)), None
