"""Alternating least squares for implicit (Hu et al.) and explicit (ALS-WR) feedback."""
from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state
from tqdm.auto import tqdm

from .._chunks import balanced_bounds
from .._config.threads import kernel_threads, thread_limit, threads_for
from .._validation import (check_choice, check_interactions, check_non_negative,
                           check_positive_int)
from . import _als_kernels as K
from ._base import FactorModel


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

    Parameters
    ----------
    factors : int
    regularization : float
    alpha : float
        Confidence scale of the implicit model.
    iterations : int
    implicit : bool
    solver : {'cg', 'cholesky'}
        Implicit model only; explicit rows are always solved exactly.
    cg_steps : int
    dtype : {numpy.float32, numpy.float64}
    random_state : int, RandomState or None
    num_threads : int
        0 uses every core.
    show_progress : bool
        A tqdm bar over the iterations.

    Attributes
    ----------
    user_factors, item_factors : ndarray
    user_bias, item_bias : ndarray (explicit model)
    global_mean : float (explicit model)
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

    def __init__(self, factors=64, regularization=0.01, alpha=1.0, iterations=15, implicit=True,
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
        self.global_mean = 0.0

    @property
    def _rating_model(self):
        return not self.implicit

    def _params(self):
        return {"factors": self.factors, "regularization": self.regularization,
                "alpha": self.alpha, "iterations": self.iterations, "implicit": self.implicit,
                "solver": self.solver, "cg_steps": self.cg_steps,
                "dtype": np.dtype(self.dtype).name, "random_state": _json_seed(self.random_state),
                "num_threads": self.num_threads, "show_progress": self.show_progress}

    def _check_params(self):
        check_positive_int(self.factors, "factors")
        check_positive_int(self.iterations, "iterations")
        check_positive_int(self.cg_steps, "cg_steps")
        check_non_negative(self.regularization, "regularization")
        check_non_negative(self.alpha, "alpha")
        check_choice(self.solver, ("cg", "cholesky"), "solver")
        check_choice(np.dtype(self.dtype), (np.dtype(np.float32), np.dtype(np.float64)), "dtype")

    def fit(self, user_items):
        """Learn the factors from a users x items sparse matrix (any scipy format).

        Returns
        -------
        self
        """
        self._check_params()
        Cui = check_interactions(user_items)
        dtype = np.dtype(self.dtype)
        rng = check_random_state(self.random_state)
        n_users, n_items = Cui.shape
        X = (rng.random_sample((n_users, self.factors)) * 0.01).astype(dtype)
        Y = (rng.random_sample((n_items, self.factors)) * 0.01).astype(dtype)
        Ciu = Cui.T.tocsr()
        self.item_popularity = np.diff(Ciu.indptr).astype(np.float64)
        history = []
        with thread_limit(self.num_threads):
            if self.implicit:
                fit = self._fit_implicit(Cui, Ciu, X, Y, history)
            else:
                fit = self._fit_explicit(Cui, Ciu, X, Y, history)
        self.user_factors, self.item_factors = fit[0], fit[1]
        if not self.implicit:
            self.user_bias, self.item_bias, self.global_mean = fit[2], fit[3], fit[4]
        self.loss_history_ = np.asarray(history)
        return self

    def _fit_implicit(self, Cui, Ciu, X, Y, history):
        dtype = X.dtype
        user_side = _csr_arrays(Cui, dtype, self.alpha)
        item_side = _csr_arrays(Ciu, dtype, self.alpha)
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
        progress = tqdm(total=self.iterations, desc="ALS", disable=not self.show_progress)
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
            progress.update()
        progress.close()
        return X, Y

    def _fit_explicit(self, Cui, Ciu, X, Y, history):
        dtype = X.dtype
        users = _csr_arrays(Cui, dtype, 1.0)
        items = _csr_arrays(Ciu, dtype, 1.0)
        mean = float(Cui.data.mean())
        bu = np.zeros(Cui.shape[0], dtype)
        bi = np.zeros(Cui.shape[1], dtype)
        counts_u = np.diff(Cui.indptr)
        counts_i = np.diff(Ciu.indptr)
        sse = np.empty(Cui.shape[0])
        reg = float(self.regularization)
        work = Cui.nnz * (self.factors + 1) ** 2
        for _ in tqdm(range(self.iterations), desc="ALS", disable=not self.show_progress):
            with kernel_threads(work, "flops"):
                K.explicit_half_step(X, bu, Y, bi, mean, *users, reg)
                K.explicit_half_step(Y, bi, X, bu, mean, *items, reg)
                K.explicit_squared_errors(X, bu, Y, bi, mean, *users, sse)
            penalty = reg * (np.dot(counts_u, _row_sq(X, bu)) + np.dot(counts_i, _row_sq(Y, bi)))
            history.append((sse.sum() + penalty) / Cui.nnz)
        return X, Y, bu, bi, mean

    def _fold_in(self, rows):
        dtype = self.item_factors.dtype
        X = np.zeros((rows.shape[0], self.item_factors.shape[1]), dtype)
        with thread_limit(self.num_threads):
            f = X.shape[1]
            work = (rows.nnz + rows.shape[0] * f) * f * f
            with kernel_threads(work, "flops", blas="outside"):
                if self.implicit:
                    reg = np.eye(f, dtype=dtype) * dtype.type(self.regularization)
                    YtY = _gram(self.item_factors) + reg
                    arrays = _csr_arrays(rows, dtype, self.alpha)
                    bounds = _bounds(arrays[0], f, work)
                    K.implicit_half_step(X, self.item_factors, YtY, *arrays, self.cg_steps,
                                         False, bounds, np.zeros(bounds.shape[0] - 1))
                    return X, None
                bias = np.zeros(rows.shape[0], dtype)
                K.explicit_half_step(X, bias, self.item_factors, self.item_bias,
                                     self.global_mean, *_csr_arrays(rows, dtype, 1.0),
                                     float(self.regularization))
                return X, bias

    def predict(self, userids, itemids):
        """Predicted ratings (explicit model) or preference scores ``x_u . y_i`` (implicit)."""
        return self._pair_scores(userids, itemids)


def _csr_arrays(matrix, dtype, scale):
    """(indptr, indices, values * scale) as the kernels take them; indices keep their width."""
    return matrix.indptr, matrix.indices, (matrix.data * scale).astype(dtype)


def _bounds(indptr, factors, work):
    """Row chunks of equal work (a row's f x f products count as f / 2 stored values)."""
    return balanced_bounds(indptr, 16 * threads_for(work, "flops"), factors / 2.0)


def _gram(F):
    return np.ascontiguousarray(F.T @ F)


def _sq_norm(F):
    return float(np.einsum("ij,ij->", F, F, dtype=np.float64))


def _row_sq(F, bias):
    return np.einsum("ij,ij->i", F, F, dtype=np.float64) + bias.astype(np.float64) ** 2


def _json_seed(random_state):
    """An integer seed survives save/load; a RandomState object is not stored."""
    return int(random_state) if isinstance(random_state, (int, np.integer)) else None
