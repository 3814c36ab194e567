"""The most-popular baseline every recommender should beat."""
from __future__ import annotations

import numpy as np

from .._validation import check_interactions
from ._base import FactorModel, check_callback


class MostPopular(FactorModel):
    """Recommends the items with the most interactions, the same for every user.

    It shares the recommender API (``recommend`` with filtering, ``save`` /
    ``load``), so it can be evaluated with :mod:`fastmath.metrics` like the
    factor models. Its "factors" are a column of ones for users and the item
    counts for items, so the score of an item is its popularity.

    Parameters
    ----------
    None
        It has nothing to tune.

    Attributes
    ----------
    item_popularity : ndarray of float64
        Interactions per item in the training data.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from fastmath.recommend import MostPopular
    >>> user_items = sp.csr_matrix([[1, 0, 1], [0, 0, 1], [1, 0, 1]])
    >>> MostPopular().fit(user_items).recommend(1, user_items[1], N=2)[0]
    array([0, 1], dtype=int32)
    """

    _parameter_constraints = {}

    def __init__(self):
        self.user_factors = self.item_factors = None

    def _check_params(self):
        self._validate_params()

    def fit(self, user_items, show_progress=None, callback=None):
        """Count the interactions of each item (any scipy.sparse users x items matrix).

        Parameters
        ----------
        user_items : sparse matrix of shape (n_users, n_items)
        show_progress, callback
            Accepted for the recommender API; there is nothing to iterate.

        Returns
        -------
        self
        """
        check_callback(callback)
        matrix = check_interactions(user_items)
        counts = np.diff(matrix.tocsc().indptr).astype(np.float64)
        self.item_popularity = counts
        self.item_factors = counts[:, None]
        self.user_factors = np.ones((matrix.shape[0], 1))
        self.loss_history_ = np.zeros(0)
        self._fit_factors = (self.user_factors, self.item_factors)
        return self

    def _fold_in(self, rows, side):
        if side == "user":
            return np.ones((rows.shape[0], 1)), None
        return np.diff(rows.indptr).astype(np.float64)[:, None], None
