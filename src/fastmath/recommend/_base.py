"""What ALS, SGDMF and MostPopular share: implicit's recommender API on scikit-learn's base.

The methods and their semantics are those of ``implicit``'s matrix
factorization models (``recommend``, ``similar_items``, ``similar_users``,
``recalculate_user``/``_item``, ``partial_fit_users``/``_items``, ``save``
/``load``): ids come back as int32 and scores in the factors' dtype, items
left out by ``filter_already_liked_items`` or ``filter_items`` are ranked last
with the lowest score rather than dropped, and N never exceeds the number of
candidates, so an id is always a real item. The estimator side is
scikit-learn's (``get_params``/``set_params``/``clone``, ``check_is_fitted``
raising ``NotFittedError``).
"""
from __future__ import annotations

import json

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._config.threads import kernel_threads
from .._validation import check_ids, check_int, check_interactions
from .._version import __version__
from ._topn import select_top_n

SCORE_BLOCK_ROWS = 1024  # users scored per BLAS call when recommending
FILE_FORMAT = 1  # version of the .npz layout written by save()


def json_seed(random_state):
    """An integer seed survives save/load; a RandomState object is not stored."""
    return int(random_state) if isinstance(random_state, (int, np.integer)) else None


def csr_arrays(matrix, dtype, scale):
    """(indptr, indices, values * scale) as the kernels take them; indices keep their width."""
    return matrix.indptr, matrix.indices, (matrix.data * scale).astype(dtype)


def check_dtype(dtype) -> np.dtype:
    """The ``dtype`` parameter: float32 or float64."""
    try:
        d = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be numpy.float32 or numpy.float64, got {dtype!r}") from None
    if d not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be numpy.float32 or numpy.float64, got {d}")
    return d


def check_callback(callback) -> None:
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")


def _uniform_init(rng, shape, dtype):
    return (rng.random_sample(shape) * 0.01).astype(dtype)


def fit_start(model, n_users, n_items, dtype, init=_uniform_init):
    """The factors a fit starts from: those the caller set (implicit's convention), else new ones.

    Factors left by a previous ``fit`` do not count as set: a refit starts
    afresh, as scikit-learn expects. New factors come from
    ``init(rng, shape, dtype)`` with ``random_state``, users first.
    """
    from sklearn.utils import check_random_state

    rng = check_random_state(model.random_state)
    fitted = getattr(model, "_fit_factors", (None, None))
    start = []
    for name, n, previous in (("user_factors", n_users, fitted[0]),
                              ("item_factors", n_items, fitted[1])):
        fresh = init(rng, (n, model.factors), dtype)
        preset = getattr(model, name, None)
        if preset is not None and preset is not previous:
            preset = np.asarray(preset)
            if preset.shape != (n, model.factors) or preset.dtype.kind not in "fiu":
                raise ValueError(f"{name} set before fit must have shape ({n}, {model.factors}), "
                                 f"got {preset.shape} of {preset.dtype}")
            if not np.all(np.isfinite(preset)):
                raise ValueError(f"{name} set before fit holds NaN or infinite values")
            fresh = np.array(preset, dtype=dtype, order="C")
        start.append(fresh)
    return start[0], start[1]


def _as_id_array(ids, name):
    """Optional ids (items=, filter_items=, users=) as a sorted int64 array, or None."""
    if ids is None:
        return None
    arr = np.asarray(ids)
    if arr.size == 0:
        return np.zeros(0, np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer ids, got dtype {arr.dtype}")
    return np.unique(arr.astype(np.int64).ravel())


class FactorModel(BaseEstimator):
    """Recommendation, similarity and persistence over learned factors.

    Subclasses set ``user_factors``, ``item_factors`` and, for rating models,
    ``user_bias``, ``item_bias`` and ``global_mean``, and implement
    ``_fold_in(rows, side)`` returning ``(factors, bias)`` for those rows of
    the users x items (``side="user"``) or items x users (``"item"``)
    matrix (bias None for implicit models). Rating models score
    ``mean + b_u + b_i + p_u . q_i`` through augmented vectors
    ``[p_u, 1, mean + b_u]`` and ``[q_i, b_i, 1]``.
    """

    _array_names = ("user_factors", "item_factors", "item_popularity", "loss_history_")
    _rating_model = False

    def __sklearn_is_fitted__(self):
        return getattr(self, "item_factors", None) is not None and \
            getattr(self, "user_factors", None) is not None

    def _check_fitted(self):
        check_is_fitted(self)

    # --- scores ---------------------------------------------------------------
    def _user_side(self, factors, bias):
        if not self._rating_model:
            return factors
        ones = np.ones((factors.shape[0], 1), factors.dtype)
        mean = np.float64(self.global_mean)
        return np.hstack([factors, ones, (mean + bias.astype(np.float64))[:, None].astype(
            factors.dtype)])

    def _item_side(self):
        if not self._rating_model:
            return self.item_factors
        ones = np.ones((self.item_factors.shape[0], 1), self.item_factors.dtype)
        return np.hstack([self.item_factors, self.item_bias[:, None].astype(ones.dtype), ones])

    def _rows(self, matrix, name, n_cols, n_rows_expected=None):
        rows = check_interactions(matrix, name, allow_empty=True)
        if rows.shape[1] != n_cols:
            raise ValueError(f"{name} must have {n_cols} columns, got {rows.shape[1]}")
        if n_rows_expected is not None and rows.shape[0] != n_rows_expected:
            raise ValueError(f"{name} must contain 1 row for every id: {n_rows_expected} ids, "
                             f"{rows.shape[0]} rows (pass {name}[ids])")
        return rows

    def recommend(self, userid, user_items=None, N=10, filter_already_liked_items=True,
                  filter_items=None, recalculate_user=False, items=None):
        """Top-N items for one user or an array of users, as implicit's ``recommend``.

        Parameters
        ----------
        userid : int or array-like of int
        user_items : sparse matrix of shape (len(userid), n_items), optional
            The users' interactions, one row per user; used (and checked)
            only to filter liked items and to recalculate users.
        N : int, default 10
            At most the number of candidate items.
        filter_already_liked_items : bool, default True
            Rank the items in ``user_items`` last.
        filter_items : array-like of int, optional
            Items to rank last for every user.
        recalculate_user : bool, default False
            Compute the users' factors from ``user_items`` instead of using
            the stored ones (new or changed users).
        items : array-like of int, optional
            Rank only these item ids (not with ``filter_items``).

        Returns
        -------
        ids : ndarray of int32, shape (N,) or (len(userid), N)
            Best first; every id is a real item.
        scores : ndarray, same shape, in the factors' dtype
            Items ranked last by a filter score the dtype's lowest value. A
            user with no learned signal (an all-zero implicit factor) gets
            the most popular items.

        Examples
        --------
        >>> import scipy.sparse as sp
        >>> from fastmath.recommend import MostPopular
        >>> user_items = sp.csr_matrix([[1, 0, 1], [0, 0, 1], [1, 0, 1]])
        >>> ids, scores = MostPopular().fit(user_items).recommend(1, user_items[1], N=3)
        >>> ids
        array([0, 1, 2], dtype=int32)
        """
        self._check_fitted()
        n_users, n_items = self.user_factors.shape[0], self.item_factors.shape[0]
        scalar = np.ndim(userid) == 0
        n_ids = 1 if scalar else np.atleast_1d(np.asarray(userid)).shape[0]
        rows = None
        if filter_already_liked_items or recalculate_user:
            if user_items is None:
                raise ValueError("user_items is needed to filter liked items or recalculate "
                                 "users (or pass filter_already_liked_items=False)")
            rows = self._rows(user_items, "user_items", n_items, n_ids)
        if recalculate_user:
            factors, bias = self._fold_in(rows, "user")
            vectors = self._user_side(factors, bias)
        else:
            ids, _ = check_ids(userid, n_users, "userid")
            vectors = self._user_side(self.user_factors[ids],
                                      self.user_bias[ids] if self._rating_model else None)
        items = _as_id_array(items, "items")
        filter_items = _as_id_array(filter_items, "filter_items")
        if items is not None and filter_items is not None and filter_items.size:
            raise ValueError("Can't set both items and filter_items in recommend call")
        check_ids(items if items is not None else [], n_items, "items")
        check_ids(filter_items if filter_items is not None else [], n_items, "filter_items")
        liked = rows if filter_already_liked_items else None
        out = self._top_n(vectors, self._item_side(), N, candidates=items, liked=liked,
                          filtered=filter_items, popularity_fallback=True)
        return (out[0][0], out[1][0]) if scalar else out

    def _top_n(self, vectors, table, N, *, candidates=None, liked=None, filtered=None,
               popularity_fallback=False, norms=None):
        """Best N of ``vectors @ table.T`` per row, excluded items ranked last (implicit's rule)."""
        N = check_int(N, "N", low=1)
        n_items = table.shape[0]
        cand = np.arange(n_items, dtype=np.int64) if candidates is None else candidates
        m = vectors.shape[0]
        N = min(N, cand.shape[0])
        dtype = self.item_factors.dtype
        ids = np.zeros((m, N), np.int32)
        scores = np.zeros((m, N), np.float64)
        if N == 0 or m == 0:
            return ids, scores.astype(dtype)
        excluded = liked if liked is not None else sp.csr_matrix((m, n_items), dtype=np.float32)
        always = np.zeros(n_items, np.bool_)
        if filtered is not None:
            always[filtered] = True
        cold = ~np.any(vectors != 0, axis=1) if popularity_fallback and not self._rating_model \
            else np.zeros(m, bool)
        lowest = float(np.finfo(dtype).min)
        for start in range(0, m, SCORE_BLOCK_ROWS):
            stop = min(m, start + SCORE_BLOCK_ROWS)
            with kernel_threads((stop - start) * table.shape[0] * table.shape[1], "flops",
                                blas="outside"):
                block = np.asarray(vectors[start:stop] @ table.T, dtype=np.float64)
            if norms is not None:
                block /= norms[start:stop, None]
            if np.any(cold[start:stop]):
                block[cold[start:stop]] = self.item_popularity
            with kernel_threads((stop - start) * cand.shape[0], "elementwise"):
                select_top_n(block, cand, excluded.indptr, excluded.indices, start, always,
                             lowest, ids[start:stop], scores[start:stop])
        return ids, scores.astype(dtype)

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
            scores += (np.float64(self.global_mean) + self.user_bias[u].astype(np.float64)
                       + self.item_bias[i].astype(np.float64))
        return scores

    # --- similarity --------------------------------------------------------------
    def _similar(self, table, query, N, restrict, filtered):
        """Cosine top-N of ``query`` rows against ``table`` (zero norms count as 1e-10, as implicit)."""
        norms = np.linalg.norm(table.astype(np.float64), axis=1)
        norms[norms == 0] = 1e-10
        q_norms = np.linalg.norm(query.astype(np.float64), axis=1)
        q_norms[q_norms == 0] = 1e-10
        unit = table / norms[:, None].astype(table.dtype)
        return self._top_n(query, unit, N, candidates=restrict, filtered=filtered, norms=q_norms)

    def similar_items(self, itemid, N=10, recalculate_item=False, item_users=None,
                      filter_items=None, items=None):
        """The N items whose factors are most similar (cosine), as implicit's ``similar_items``.

        Parameters
        ----------
        itemid : int or array-like of int
        N : int, default 10
        recalculate_item : bool, default False
            Compute the items' factors from ``item_users`` (one row per item).
        item_users : sparse matrix of shape (len(itemid), n_users), optional
        filter_items : array-like of int, optional
            Items ranked last.
        items : array-like of int, optional
            Compare with these items only.

        Returns
        -------
        ids : ndarray of int32, scores : ndarray
            The item itself first (cosine 1) unless filtered or restricted away.

        Examples
        --------
        >>> import scipy.sparse as sp
        >>> from fastmath.recommend import ALS
        >>> user_items = sp.random(50, 30, density=0.2, format="csr", random_state=0)
        >>> model = ALS(factors=8, iterations=3, random_state=0, show_progress=False).fit(user_items)
        >>> int(model.similar_items(4, N=3)[0][0])
        4
        """
        self._check_fitted()
        n_items = self.item_factors.shape[0]
        scalar = np.ndim(itemid) == 0
        items = _as_id_array(items, "items")
        filter_items = _as_id_array(filter_items, "filter_items")
        if items is not None and filter_items is not None and filter_items.size:
            raise ValueError("Can't set both items and filter_items in similar_items call")
        check_ids(items if items is not None else [], n_items, "items")
        check_ids(filter_items if filter_items is not None else [], n_items, "filter_items")
        if recalculate_item:
            if item_users is None:
                raise ValueError("recalculate_item=True needs item_users")
            n_ids = 1 if scalar else np.atleast_1d(np.asarray(itemid)).shape[0]
            rows = self._rows(item_users, "item_users", self.user_factors.shape[0], n_ids)
            query = self._fold_in(rows, "item")[0]
        else:
            ids, _ = check_ids(itemid, n_items, "itemid")
            query = self.item_factors[ids]
        out = self._similar(self.item_factors, query, N, items, filter_items)
        return (out[0][0], out[1][0]) if scalar else out

    def similar_users(self, userid, N=10, filter_users=None, users=None):
        """The N users whose factors are most similar (cosine), as implicit's ``similar_users``.

        Parameters
        ----------
        userid : int or array-like of int
        N : int, default 10
        filter_users : array-like of int, optional
            Users ranked last.
        users : array-like of int, optional
            Compare with these users only.

        Returns
        -------
        ids : ndarray of int32, scores : ndarray
            The user itself first unless filtered or restricted away.

        Examples
        --------
        >>> import scipy.sparse as sp
        >>> from fastmath.recommend import ALS
        >>> user_items = sp.random(50, 30, density=0.2, format="csr", random_state=0)
        >>> model = ALS(factors=8, iterations=3, random_state=0, show_progress=False).fit(user_items)
        >>> int(model.similar_users(7, N=2)[0][0])
        7
        """
        self._check_fitted()
        n_users = self.user_factors.shape[0]
        users = _as_id_array(users, "users")
        filter_users = _as_id_array(filter_users, "filter_users")
        if users is not None and filter_users is not None and filter_users.size:
            raise ValueError("Can't set both users and filter_users in similar_users call")
        check_ids(users if users is not None else [], n_users, "users")
        check_ids(filter_users if filter_users is not None else [], n_users, "filter_users")
        ids, scalar = check_ids(userid, n_users, "userid")
        out = self._similar(self.user_factors, self.user_factors[ids], N, users, filter_users)
        return (out[0][0], out[1][0]) if scalar else out

    # --- folding in new or changed rows -------------------------------------------
    def _recalculate(self, ids, matrix, side):
        self._check_fitted()
        n_cols = self.item_factors.shape[0] if side == "user" else self.user_factors.shape[0]
        name = "user_items" if side == "user" else "item_users"
        scalar = np.ndim(ids) == 0
        n_ids = 1 if scalar else np.atleast_1d(np.asarray(ids)).shape[0]
        rows = self._rows(matrix, name, n_cols, n_ids)
        factors, bias = self._fold_in(rows, side)
        if scalar:
            factors, bias = factors[0], (None if bias is None else bias[0])
        return factors if bias is None else (factors, bias)

    def recalculate_user(self, userid, user_items):
        """Factors of users computed from ``user_items`` (one row per id); the model is unchanged.

        The user side of one exact ALS step with the item factors held fixed.

        Parameters
        ----------
        userid : int or array-like of int
        user_items : sparse matrix of shape (len(userid), n_items)

        Returns
        -------
        ndarray of shape (factors,) or (len(userid), factors)
            Rating models return ``(factors, user_bias)``.

        Examples
        --------
        >>> import scipy.sparse as sp
        >>> from fastmath.recommend import ALS
        >>> user_items = sp.random(50, 30, density=0.2, format="csr", random_state=0)
        >>> model = ALS(factors=8, iterations=3, random_state=0, show_progress=False).fit(user_items)
        >>> model.recalculate_user(0, user_items[0]).shape
        (8,)
        """
        return self._recalculate(userid, user_items, "user")

    def recalculate_item(self, itemid, item_users):
        """Factors of items computed from ``item_users`` (one row per id); the model is unchanged.

        Parameters
        ----------
        itemid : int or array-like of int
        item_users : sparse matrix of shape (len(itemid), n_users)

        Returns
        -------
        ndarray of shape (factors,) or (len(itemid), factors)
            Rating models return ``(factors, item_bias)``.

        Examples
        --------
        >>> import scipy.sparse as sp
        >>> from fastmath.recommend import ALS
        >>> user_items = sp.random(50, 30, density=0.2, format="csr", random_state=0)
        >>> model = ALS(factors=8, iterations=3, random_state=0, show_progress=False).fit(user_items)
        >>> model.recalculate_item(2, user_items.T.tocsr()[2]).shape
        (8,)
        """
        return self._recalculate(itemid, item_users, "item")

    def _partial_fit(self, ids, matrix, side):
        self._check_fitted()
        ids = np.atleast_1d(np.asarray(ids))
        if ids.dtype.kind not in "iu" or ids.ndim != 1 or (ids.size and ids.min() < 0):
            raise ValueError(f"{side}ids must be non-negative integer ids, got {ids!r}")
        if np.unique(ids).shape[0] != ids.shape[0]:
            raise ValueError(f"{side}ids must not repeat an id")
        n_cols = self.item_factors.shape[0] if side == "user" else self.user_factors.shape[0]
        name = "user_items" if side == "user" else "item_users"
        rows = self._rows(matrix, name, n_cols, ids.shape[0])
        factors, bias = self._fold_in(rows, side)
        table = "user_factors" if side == "user" else "item_factors"
        current = getattr(self, table)
        grown = max(current.shape[0], int(ids.max()) + 1 if ids.size else 0)
        new = np.zeros((grown, current.shape[1]), current.dtype)
        new[:current.shape[0]] = current
        new[ids] = factors
        setattr(self, table, new)
        if bias is not None:
            name_b = "user_bias" if side == "user" else "item_bias"
            old_b = getattr(self, name_b)
            new_b = np.zeros(grown, old_b.dtype)
            new_b[:old_b.shape[0]] = old_b
            new_b[ids] = bias
            setattr(self, name_b, new_b)
        if side == "item":
            popularity = np.zeros(grown)
            popularity[:self.item_popularity.shape[0]] = self.item_popularity
            popularity[ids] = np.diff(rows.indptr)
            self.item_popularity = popularity
        self._fit_factors = (self.user_factors, self.item_factors)
        return self

    def partial_fit_users(self, userids, user_items):
        """Refit the factors of these users from their rows (new ids grow the model), items fixed.

        Parameters
        ----------
        userids : array-like of int
            Distinct ids; ids beyond the current users add users.
        user_items : sparse matrix of shape (len(userids), n_items)

        Returns
        -------
        self

        Examples
        --------
        >>> import scipy.sparse as sp
        >>> from fastmath.recommend import ALS
        >>> user_items = sp.random(50, 30, density=0.2, format="csr", random_state=0)
        >>> model = ALS(factors=8, iterations=3, random_state=0, show_progress=False).fit(user_items)
        >>> model.partial_fit_users([50], user_items[[3]]).user_factors.shape
        (51, 8)
        """
        return self._partial_fit(userids, user_items, "user")

    def partial_fit_items(self, itemids, item_users):
        """Refit the factors of these items from their rows (new ids grow the model), users fixed.

        Parameters
        ----------
        itemids : array-like of int
        item_users : sparse matrix of shape (len(itemids), n_users)

        Returns
        -------
        self
        """
        return self._partial_fit(itemids, item_users, "item")

    # --- persistence --------------------------------------------------------------
    def save(self, path) -> None:
        """Write the parameters and learned arrays to one ``.npz`` file (no pickles).

        An unfitted model saves its parameters only.

        Parameters
        ----------
        path : str, Path or file object

        Returns
        -------
        None
        """
        arrays = {name: np.asarray(getattr(self, name)) for name in self._array_names
                  if getattr(self, name, None) is not None} if self.__sklearn_is_fitted__() else {}
        params = {k: (np.dtype(v).name if k == "dtype" else
                      json_seed(v) if k == "random_state" else v)
                  for k, v in self.get_params().items()}
        meta = json.dumps({"class": type(self).__name__, "format": FILE_FORMAT,
                           "fastmath": __version__, "params": params})
        np.savez(path, __params__=np.array(meta), **arrays)

    @classmethod
    def load(cls, path):
        """Read a model written by :meth:`save`, checking every field.

        Raises
        ------
        ValueError
            The file holds another class, or a field is missing, malformed or
            inconsistent (a tampered file), naming the field.
        """
        with np.load(path, allow_pickle=False) as data:
            files = {name: data[name] for name in data.files}
        if "__params__" not in files:
            raise ValueError(f"{path} is not a fastmath model file: no __params__ field")
        try:
            meta = json.loads(str(files.pop("__params__")))
            name, params = meta["class"], dict(meta["params"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: the __params__ field is malformed ({exc})") from None
        if name != cls.__name__:
            raise ValueError(f"{path} holds a {name}, not a {cls.__name__}")
        valid = set(cls().get_params())
        unknown = set(params) - valid
        if unknown:
            raise ValueError(f"{path}: unknown parameters {sorted(unknown)} in __params__")
        if "dtype" in params:
            try:
                params["dtype"] = np.dtype(params["dtype"])
            except TypeError:
                raise ValueError(f"{path}: parameter dtype is not a dtype: "
                                 f"{params['dtype']!r}") from None
        model = cls(**params)
        model._check_params()
        unknown = set(files) - set(cls._array_names)
        if unknown:
            raise ValueError(f"{path}: unknown fields {sorted(unknown)}")
        if files:
            model._restore(files, path)
        return model

    def _check_params(self):
        """Subclasses validate their parameters here (scikit-learn's constraints)."""
        self._validate_params()

    def _restore(self, files, path):
        """Set the learned arrays from a file after checking shapes, dtypes and values."""
        def field(name, ndim, dtype_kinds="f"):
            if name not in files:
                raise ValueError(f"{path}: field {name} is missing")
            value = files[name]
            if value.ndim != ndim or value.dtype.kind not in dtype_kinds:
                raise ValueError(f"{path}: field {name} must be a {ndim}-D array of "
                                 f"{'floats' if dtype_kinds == 'f' else dtype_kinds}, got "
                                 f"{value.ndim}-D of {value.dtype}")
            if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
                raise ValueError(f"{path}: field {name} holds NaN or infinite values")
            return value

        users, items = field("user_factors", 2), field("item_factors", 2)
        if users.shape[1] != items.shape[1] or users.dtype != items.dtype:
            raise ValueError(f"{path}: user_factors {users.shape} {users.dtype} and item_factors "
                             f"{items.shape} {items.dtype} disagree")
        self._check_restored_factors(users, items, path)
        popularity = field("item_popularity", 1)
        if popularity.shape != (items.shape[0],) or np.any(popularity < 0):
            raise ValueError(f"{path}: field item_popularity must hold {items.shape[0]} "
                             f"non-negative counts, got shape {popularity.shape}")
        self.user_factors, self.item_factors, self.item_popularity = users, items, popularity
        if "loss_history_" in files:
            self.loss_history_ = field("loss_history_", 1)
        if self._rating_model:
            user_bias, item_bias = field("user_bias", 1), field("item_bias", 1)
            if user_bias.shape != (users.shape[0],) or item_bias.shape != (items.shape[0],):
                raise ValueError(f"{path}: user_bias {user_bias.shape} and item_bias "
                                 f"{item_bias.shape} must match {users.shape[0]} users and "
                                 f"{items.shape[0]} items")
            mean = field("global_mean", 0)
            self.user_bias, self.item_bias, self.global_mean = user_bias, item_bias, \
                np.float64(mean)
        self._fit_factors = (self.user_factors, self.item_factors)

    #: dtype of the factors a fit produces; None where the model has no factor parameters
    _factor_dtype = None

    def _check_restored_factors(self, users, items, path):
        """Loaded factors must have the count and dtype the parameters say."""
        if self._factor_dtype is None:
            return
        dtype = np.dtype(self._factor_dtype)
        if users.shape[1] != self.factors or users.dtype != dtype:
            raise ValueError(f"{path}: the factors are {users.shape[1]} of {users.dtype}, the "
                             f"parameters say {self.factors} of {dtype}")
