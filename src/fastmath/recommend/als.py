"""Alternating least squares for implicit (Hu et al.) and explicit (ALS-WR) feedback."""
from __future__ import annotations

import time
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from tqdm.auto import tqdm

from .._chunks import balanced_bounds
from .._config.threads import kernel_threads, thread_limit, threads_for
from .._validation import check_interactions
from . import _als_kernels as K
from ._base import FactorModel, csr_arrays, fit_start, check_dtype, check_callback


class ALS(FactorModel):
    """Matrix factorization by alternating least squares.

    ``implicit=True`` (default) fits the confidence-weighted model of Hu, Koren
    and Volinsky (2008) the way the ``implicit`` library does: an observed
    value ``r`` gets confidence ``alpha * r`` and preference 1, everything else
    confidence 1 and preference 0. ``solver='cg'`` runs ``cg_steps`` conjugate
    gradient steps per row warm-started from the previous factors (Takacs et
    al. 2011); ``solver='cholesky'`` solves each row exactly. ``YtY`` is
    computed once per half-iteration and shared by all rows.

    ``implicit=False`` fits explicit ratings with ALS-WR (Zhou et al. 2008): a
    global mean, user and item biases and factors, each row solved exactly with
    the ridge penalty ``regularization * (number of ratings of the row)``.

    The parameters and methods are those of
    ``implicit.als.AlternatingLeastSquares`` (``fit``, ``recommend``,
    ``similar_items``, ``similar_users``, ``recalculate_user``/``_item``,
    ``partial_fit_users``/``_items``, ``save``/``load``); factors set before
    ``fit`` (``model.item_factors = ...``) are its starting point, as in
    implicit. ``get_params``, ``set_params`` and ``clone`` work as for any
    scikit-learn estimator.

    Parameters
    ----------
    factors : int, default 100
    regularization : float, default 0.01
    alpha : float, default 1.0
        Confidence scale of the implicit model.
    iterations : int, default 15
        0 leaves the (random or preset) initial factors.
    implicit : bool, default True
    solver : {'cg', 'cholesky'}, default 'cg'
        Implicit model only; explicit rows are always solved exactly.
    cg_steps : int, default 3
    dtype : {numpy.float32, numpy.float64}, default numpy.float32
    random_state : int, RandomState or None
    num_threads : int, default 0
        Threads for this model (0: fastmath's thread count; see
        :func:`fastmath.set_num_threads`); implicit's name for it.
    show_progress : bool, default True
        A tqdm bar over the iterations (``fit(show_progress=...)`` overrides it).

    Attributes
    ----------
    user_factors, item_factors : ndarray
    user_bias, item_bias : ndarray (explicit model)
    global_mean : numpy.float64 (explicit model)
    item_popularity : ndarray
        Interactions per item in the training data (ranks cold users' items).
    loss_history_ : ndarray
        Training loss after each iteration: implicit's normalized weighted loss,
        or the explicit model's penalized mean squared error.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from fastmath.recommend import ALS
    >>> user_items = sp.random(50, 30, density=0.2, format="csr", random_state=0)
    >>> model = ALS(factors=8, iterations=5, random_state=0, show_progress=False)
    >>> model = model.fit(user_items)
    >>> ids, scores = model.recommend(0, user_items[0], N=3)
    >>> ids.shape, bool(np.all(np.diff(scores) <= 0))
    ((3,), True)
    """

    _array_names = FactorModel._array_names + ("user_bias", "item_bias", "global_mean")
    _parameter_constraints = {
        "factors": [Interval(Integral, 1, None, closed="left")],
        "regularization": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "iterations": [Interval(Integral, 0, None, closed="left")],
        "implicit": ["boolean"],
        "solver": [StrOptions({"cg", "cholesky"})],
        "cg_steps": [Interval(Integral, 1, None, closed="left")],
        "dtype": "no_validation",  # checked by check_dtype: float32 or float64
        "random_state": ["random_state"],
        "num_threads": [Interval(Integral, 0, None, closed="left")],
        "show_progress": ["boolean"],
    }

    def __init__(self, factors=100, regularization=0.01, alpha=1.0, iterations=15, implicit=True,
                 solver="cg", cg_steps=3, dtype=np.float32, random_state=None, num_threads=0,
                 show_progress=True):
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.implicit = implicit
        self.solver = solver
        self.cg_steps = cg_steps
        self.dtype = dtype
        self.random_state = random_state
        self.num_threads = num_threads
        self.show_progress = show_progress
        self.user_factors = self.item_factors = None
        self.user_bias = self.item_bias = None
        self.global_mean = np.float64(0.0)

    @property
    def _rating_model(self):
        return not self.implicit

    def _check_params(self):
        self._validate_params()
        check_dtype(self.dtype)

    @property
    def _factor_dtype(self):
        return self.dtype

    def fit(self, user_items, show_progress=None, callback=None):
        """Learn the factors from a users x items sparse matrix (any scipy format).

        Parameters
        ----------
        user_items : sparse matrix of shape (n_users, n_items)
            Finite values; duplicate entries are summed, as SciPy views them.
        show_progress : bool, optional
            Overrides the ``show_progress`` parameter for this fit.
        callback : callable, optional
            Called as ``callback(iteration, elapsed_seconds, loss)`` after each
            iteration (``loss`` is NaN while the CG solver has not computed it yet).

        Returns
        -------
        self

        Raises
        ------
        ValueError
            The values (times ``alpha``) overflow the dtype, or the factors
            diverge (huge values or ``regularization``); the model is then
            unchanged.
        """
        self._check_params()
        check_callback(callback)
        Cui = check_interactions(user_items)
        dtype = np.dtype(self.dtype)
        scale = float(np.abs(Cui.data).max()) * max(float(self.alpha), 1.0)
        if not scale < np.finfo(dtype).max / (Cui.shape[0] + Cui.shape[1]):
            raise ValueError(f"user_items values up to {float(np.abs(Cui.data).max()):.3g} "
                             f"(times alpha={self.alpha}) overflow {dtype.name}: scale them down")
        n_users, n_items = Cui.shape
        X, Y = fit_start(self, n_users, n_items, dtype)
        Ciu = Cui.T.tocsr()
        history = []
        progress = self.show_progress if show_progress is None else bool(show_progress)
        with thread_limit(self.num_threads):
            if self.implicit:
                fit = self._fit_implicit(Cui, Ciu, X, Y, history, progress, callback)
            else:
                fit = self._fit_explicit(Cui, Ciu, X, Y, history, progress, callback)
        if not all(np.all(np.isfinite(a)) for a in fit[:4] if a is not None):
            raise ValueError("ALS diverged (the factors became NaN or infinite); the model was "
                             "left unchanged. Lower the values or alpha, or the regularization.")
        self.user_factors, self.item_factors = fit[0], fit[1]
        self.item_popularity = np.diff(Ciu.indptr).astype(np.float64)
        if not self.implicit:
            self.user_bias, self.item_bias, self.global_mean = fit[2], fit[3], np.float64(fit[4])
        self.loss_history_ = np.asarray(history, dtype=np.float64)
        self._fit_factors = (self.user_factors, self.item_factors)
        return self

    def _fit_implicit(self, Cui, Ciu, X, Y, history, progress, callback):
        dtype = X.dtype
        user_side = csr_arrays(Cui, dtype, self.alpha)
        item_side = csr_arrays(Ciu, dtype, self.alpha)
        reg = np.eye(self.factors, dtype=dtype) * dtype.type(self.regularization)
        use_cg = self.solver == "cg"
        total_conf = float(np.abs(user_side[2]).sum())
        n_users, n_items = Cui.shape
        norm = total_conf + n_users * n_items - Cui.nnz
        work = (Cui.nnz * (self.cg_steps + 1) + (n_users + n_items) * self.factors) * self.factors
        user_bounds = _bounds(user_side[0], self.factors, work)
        item_bounds = _bounds(item_side[0], self.factors, work)
        user_loss = np.zeros(user_bounds.shape[0] - 1)
        item_loss = np.zeros(item_bounds.shape[0] - 1)
        terms = np.empty(n_items)
        bar = tqdm(total=self.iterations, desc="ALS", disable=not progress)
        start = time.perf_counter()
        for it in range(self.iterations):
            with kernel_threads(work, "flops", blas="outside"):
                K.implicit_half_step(X, Y, _gram(Y) + reg, *user_side, self.cg_steps, use_cg,
                                     user_bounds, user_loss)
                if use_cg and it > 0:  # the loss of the previous iteration, from this CG pass
                    history.append((user_loss.sum() + self.regularization * _sq_norm(Y)) / norm)
                XtX = _gram(X)
                K.implicit_half_step(Y, X, XtX + reg, *item_side, self.cg_steps, use_cg,
                                     item_bounds, item_loss)
                if not use_cg or it == self.iterations - 1:  # a separate pass
                    K.implicit_loss_terms(X, Y, XtX, *item_side, terms)
                    penalty = self.regularization * (_sq_norm(X) + _sq_norm(Y))
                    history.append((terms.sum() + penalty) / norm)
            bar.update()
            if callback is not None:
                loss = history[it] if len(history) > it else np.nan
                callback(it, time.perf_counter() - start, loss)
        bar.close()
        return X, Y

    def _fit_explicit(self, Cui, Ciu, X, Y, history, progress, callback):
        dtype = X.dtype
        users = csr_arrays(Cui, dtype, 1.0)
        items = csr_arrays(Ciu, dtype, 1.0)
        mean = np.float64(Cui.data.astype(np.float64).mean())
        bu = np.zeros(Cui.shape[0], dtype)
        bi = np.zeros(Cui.shape[1], dtype)
        counts_u = np.diff(Cui.indptr)
        counts_i = np.diff(Ciu.indptr)
        sse = np.empty(Cui.shape[0])
        reg = float(self.regularization)
        work = Cui.nnz * (self.factors + 1) ** 2
        start = time.perf_counter()
        for it in tqdm(range(self.iterations), desc="ALS", disable=not progress):
            with kernel_threads(work, "flops"):
                K.explicit_half_step(X, bu, Y, bi, mean, *users, reg)
                K.explicit_half_step(Y, bi, X, bu, mean, *items, reg)
                K.explicit_squared_errors(X, bu, Y, bi, mean, *users, sse)
            penalty = reg * (np.dot(counts_u, _row_sq(X, bu)) + np.dot(counts_i, _row_sq(Y, bi)))
            history.append((sse.sum() + penalty) / Cui.nnz)
            if callback is not None:
                callback(it, time.perf_counter() - start, history[-1])
        return X, Y, bu, bi, mean

    def _fold_in(self, rows, side):
        """One exact half-step for these rows with the other side's factors fixed."""
        other = self.item_factors if side == "user" else self.user_factors
        other_bias = None if self.implicit else (self.item_bias if side == "user"
                                                 else self.user_bias)
        dtype = other.dtype
        X = np.zeros((rows.shape[0], other.shape[1]), dtype)
        with thread_limit(self.num_threads):
            f = X.shape[1]
            work = (rows.nnz + rows.shape[0] * f) * f * f
            with kernel_threads(work, "flops", blas="outside"):
                if self.implicit:
                    reg = np.eye(f, dtype=dtype) * dtype.type(self.regularization)
                    arrays = csr_arrays(rows, dtype, self.alpha)
                    bounds = _bounds(arrays[0], f, work)
                    K.implicit_half_step(X, other, _gram(other) + reg, *arrays, self.cg_steps,
                                         False, bounds, np.zeros(bounds.shape[0] - 1))
                    return X, None
                bias = np.zeros(rows.shape[0], dtype)
                K.explicit_half_step(X, bias, other, other_bias, np.float64(self.global_mean),
                                     *csr_arrays(rows, dtype, 1.0), float(self.regularization))
                return X, bias

    def predict(self, userids, itemids):
        """Predicted ratings (explicit model) or preference scores ``x_u . y_i`` (implicit).

        Parameters
        ----------
        userids, itemids : array-like of int, same length

        Returns
        -------
        ndarray of float64

        Examples
        --------
        >>> from fastmath.datasets import make_explicit_ratings
        >>> from fastmath.recommend import ALS
        >>> ratings = make_explicit_ratings(60, 40, 800, random_state=0)
        >>> model = ALS(factors=4, implicit=False, iterations=5, random_state=0,
        ...             show_progress=False).fit(ratings)
        >>> model.predict([0, 1], [2, 3]).shape
        (2,)
        """
        return self._pair_scores(userids, itemids)


def _bounds(indptr, factors, work):
    """Row chunks of about equal work (a row's f x f products count as f / 2 stored
    values), cut at multiples of ``CG_BLOCK`` so that CG's row blocks, and the
    result, do not depend on the thread count."""
    bounds = balanced_bounds(indptr, 16 * threads_for(work, "flops"), factors / 2.0)
    n_rows = indptr.shape[0] - 1
    return np.unique(np.concatenate(([0], bounds // K.CG_BLOCK * K.CG_BLOCK, [n_rows])))


def _gram(F):
    return np.ascontiguousarray(F.T @ F)


def _sq_norm(F):
    return float(np.einsum("ij,ij->", F, F, dtype=np.float64))


def _row_sq(F, bias):
    return np.einsum("ij,ij->i", F, F, dtype=np.float64) + bias.astype(np.float64) ** 2
