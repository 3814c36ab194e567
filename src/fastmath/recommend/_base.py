"""What ALS and SGDMF share: input checks, top-N, similar items, save/load."""
from __future__ import annotations

import json

import numpy as np
import scipy.sparse as sp

from .._config.threads import kernel_threads
from .._validation import check_ids, check_interactions, check_positive_int
from ._topn import select_top_n

SCORE_BLOCK_ROWS = 1024  # users scored per BLAS call when recommending


class FactorModel:
    """Recommendation, similarity and persistence over learned factors.

    Subclasses set ``user_factors``, ``item_factors`` and, for rating models,
    ``user_bias``, ``item_bias`` and ``global_mean``, and implement
    ``_fold_in(rows)`` returning ``(factors, bias)`` for those users (bias
    None for implicit models). Rating models score ``mean + b_u + b_i +
    p_u . q_i`` through augmented vectors ``[p_u, 1, mean + b_u]`` and
    ``[q_i, b_i, 1]``.
    """

    _array_names = ("user_factors", "item_factors", "item_popularity", "loss_history_")
    _rating_model = False

    # --- scores -------------------------------------------------------------
    def _check_fitted(self):
        if getattr(self, "item_factors", None) is None:
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit first")

    def _user_side(self, factors, bias):
        if not self._rating_model:
            return factors
        ones = np.ones((factors.shape[0], 1), factors.dtype)
        return np.hstack([factors, ones, (self.global_mean + bias)[:, None].astype(factors.dtype)])

    def _item_side(self):
        if not self._rating_model:
            return self.item_factors
        ones = np.ones((self.item_factors.shape[0], 1), self.item_factors.dtype)
        return np.hstack([self.item_factors, self.item_bias[:, None].astype(ones.dtype), ones])

    def _user_rows(self, userid, user_items, recalculate_user):
        """User vectors for ``userid`` and the CSR rows of those users (or None)."""
        n_users, n_items = self.user_factors.shape[0], self.item_factors.shape[0]
        rows = None
        if user_items is not None:
            rows = check_interactions(user_items, "user_items", allow_empty=True)
            if rows.shape[1] != n_items:
                raise ValueError(f"user_items must have {n_items} columns (items), got "
                                 f"{rows.shape[1]}")
        if recalculate_user:
            if rows is None:
                raise ValueError("recalculate_user=True needs user_items")
            ids, scalar = np.atleast_1d(np.asarray(userid)), np.ndim(userid) == 0
            if rows.shape[0] != ids.shape[0]:
                raise ValueError(f"user_items must have one row per user id: {ids.shape[0]} "
                                 f"ids, {rows.shape[0]} rows")
            return self._user_side(*self._fold_in(rows)), rows, scalar
        ids, scalar = check_ids(userid, n_users, "userid")
        if rows is not None and rows.shape[0] != ids.shape[0]:
            raise ValueError(f"user_items must hold the rows of the requested users "
                             f"({ids.shape[0]} rows, got {rows.shape[0]}): pass "
                             f"user_items[userid]")
        return self._user_vectors(ids), rows, scalar

    def _user_vectors(self, ids):
        bias = self.user_bias[ids] if self._rating_model else None
        return self._user_side(self.user_factors[ids], bias)

    def recommend(self, userid, user_items=None, N=10, filter_already_liked_items=True,
                  items=None, recalculate_user=False):
        """Top-N items for one user or an array of users.

        Parameters
        ----------
        userid : int or array-like of int
        user_items : sparse matrix of shape (len(userid), n_items), optional
            The interactions of those users (implicit >= 0.5 convention); needed
            to filter liked items and to recalculate users.
        N : int
        filter_already_liked_items : bool
            Leave out the items in ``user_items``.
        items : array-like of int, optional
            Rank only these item ids.
        recalculate_user : bool
            Compute the users' factors from ``user_items`` instead of using the
            stored ones (new or changed users).

        Returns
        -------
        ids, scores : ndarray of shape (N,) or (len(userid), N)
            Best first. When fewer than N items remain, the tail holds id -1
            and score -inf. A user with no learned signal (an all-zero implicit
            factor) gets the most popular items.
        """
        self._check_fitted()
        N = check_positive_int(N, "N")
        vectors, rows, scalar = self._user_rows(userid, user_items, recalculate_user)
        if filter_already_liked_items and rows is None:
            raise ValueError("filter_already_liked_items=True needs user_items")
        n_items = self.item_factors.shape[0]
        candidates = np.arange(n_items, dtype=np.int64) if items is None else np.unique(
            check_ids(items, n_items, "items")[0])
        excl = rows if filter_already_liked_items else sp.csr_matrix((vectors.shape[0], n_items))
        ids, scores = self._top_n(vectors, candidates, excl, N, self._item_side(),
                                  popularity_fallback=True)
        return (ids[0], scores[0]) if scalar else (ids, scores)

    def _top_n(self, vectors, candidates, excluded, N, table, popularity_fallback):
        m = vectors.shape[0]
        N = min(N, max(1, candidates.shape[0]))
        ids = np.empty((m, N), np.int64)
        scores = np.empty((m, N), np.float64)
        excl_indptr = excluded.indptr.astype(np.int64)
        excl_indices = excluded.indices.astype(np.int64)
        cold = ~np.any(vectors != 0, axis=1) if popularity_fallback and not self._rating_model \
            else np.zeros(m, bool)
        for start in range(0, m, SCORE_BLOCK_ROWS):
            stop = min(m, start + SCORE_BLOCK_ROWS)
            with kernel_threads((stop - start) * table.shape[0] * table.shape[1], "flops",
                                blas="outside"):
                block = np.asarray(vectors[start:stop] @ table.T, dtype=np.float64)
            if np.any(cold[start:stop]):
                block[cold[start:stop]] = self.item_popularity
            with kernel_threads((stop - start) * candidates.shape[0], "elementwise"):
                select_top_n(block, candidates, excl_indptr, excl_indices, start,
                             ids[start:stop], scores[start:stop])
        return ids, scores

    def _pair_scores(self, userids, itemids):
        """``p_u . q_i`` for matching id arrays (checked), plus the biases of rating models."""
        self._check_fitted()
        u, _ = check_ids(userids, self.user_factors.shape[0], "userids")
        i, _ = check_ids(itemids, self.item_factors.shape[0], "itemids")
        if u.shape != i.shape:
            raise ValueError(f"userids and itemids must have the same length, got "
                             f"{u.shape[0]} and {i.shape[0]}")
        scores = np.einsum("ij,ij->i", self.user_factors[u].astype(np.float64),
                           self.item_factors[i].astype(np.float64))
        if self._rating_model:
            scores += self.global_mean + self.user_bias[u] + self.item_bias[i]
        return scores

    def _similar(self, table, ids, N, name):
        self._check_fitted()
        N = check_positive_int(N, "N")
        ids, scalar = check_ids(ids, table.shape[0], name)
        norms = np.linalg.norm(table.astype(np.float64), axis=1)
        unit = table / np.where(norms > 0, norms, 1.0)[:, None]
        candidates = np.arange(table.shape[0], dtype=np.int64)
        none = sp.csr_matrix((ids.shape[0], table.shape[0]))
        out_ids, out_scores = self._top_n(unit[ids], candidates, none, N, unit,
                                          popularity_fallback=False)
        return (out_ids[0], out_scores[0]) if scalar else (out_ids, out_scores)

    def similar_items(self, itemid, N=10):
        """The N items with the most similar factors (cosine), the item itself first."""
        return self._similar(self.item_factors, itemid, N, "itemid")

    def similar_users(self, userid, N=10):
        """The N users with the most similar factors (cosine), the user itself first."""
        return self._similar(self.user_factors, userid, N, "userid")

    def recalculate_user(self, userid, user_items):
        """Factors of users computed from ``user_items`` (one row per id), model unchanged.

        Folds in a new or changed user without refitting: the user's side of
        one exact ALS step with the item factors held fixed. Returns the
        factors, shape (factors,) or (len(userid), factors); rating models
        return ``(factors, user_bias)``.
        """
        self._check_fitted()
        rows = check_interactions(user_items, "user_items", allow_empty=True)
        if rows.shape[1] != self.item_factors.shape[0]:
            raise ValueError(f"user_items must have {self.item_factors.shape[0]} columns, got "
                             f"{rows.shape[1]}")
        scalar = np.ndim(userid) == 0
        if rows.shape[0] != np.atleast_1d(userid).shape[0]:
            raise ValueError("user_items must have one row per user id")
        factors, bias = self._fold_in(rows)
        if scalar:
            factors, bias = factors[0], (None if bias is None else bias[0])
        return factors if bias is None else (factors, bias)

    # --- persistence --------------------------------------------------------
    def save(self, path) -> None:
        """Write parameters and learned arrays to one ``.npz`` file (no pickles)."""
        self._check_fitted()
        arrays = {name: getattr(self, name) for name in self._array_names
                  if getattr(self, name, None) is not None}
        params = json.dumps({"class": type(self).__name__, "params": self._params()})
        np.savez(path, __params__=np.array(params), **arrays)

    @classmethod
    def load(cls, path):
        """Read a model written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["__params__"]))
            if meta["class"] != cls.__name__:
                raise ValueError(f"{path} holds a {meta['class']}, not a {cls.__name__}")
            params = meta["params"]
            if "dtype" in params:
                params["dtype"] = np.dtype(params["dtype"])
            model = cls(**params)
            for name in cls._array_names:
                if name in data:
                    value = data[name]
                    setattr(model, name, value[()] if value.ndim == 0 else value)
        return model
