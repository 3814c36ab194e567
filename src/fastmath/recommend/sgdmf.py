"""Biased matrix factorization trained by parallel block SGD."""
from __future__ import annotations

import time
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from tqdm.auto import tqdm

from . import _als_kernels
from .._config.threads import kernel_threads, thread_limit
from .._validation import check_interactions
from ._base import FactorModel, check_callback, csr_arrays, fit_start
from ._sgd_kernels import sgd_epoch

BLOCKS_PER_THREAD = 2  # grid side = threads * this: smaller cells balance the load


class SGDMF(FactorModel):
    """Koren's biased matrix factorization, ``mean + b_u + b_i + p_u . q_i``, by SGD.

    The update of each rating is ``surprise.SVD``'s; the ratings are split into
    a grid of user blocks x item blocks and the cells of one diagonal of the
    grid run in parallel, so no two threads touch the same user or item (the
    block schedule of FPSGD). Factors are float32.

    The recommender API is :class:`fastmath.recommend.ALS`'s (implicit's);
    factors set before ``fit`` are its starting point.

    Parameters
    ----------
    factors : int, default 100
    epochs : int, default 20
        0 leaves the initial factors.
    learning_rate : float, default 0.005
    regularization : float, default 0.02
    biased : bool, default True
        Learn the global mean and the biases (False: ``p_u . q_i`` only).
    init_std : float, default 0.1
        Factors start from N(0, init_std^2), biases from 0.
    random_state : int, RandomState or None
        With the same seed and thread count, the same factors.
    num_threads : int, default 0
        Threads for this model (0: fastmath's thread count).
    show_progress : bool, default True

    Attributes
    ----------
    user_factors, item_factors, user_bias, item_bias : ndarray
    global_mean : float
    loss_history_ : ndarray
        Mean squared error of the predictions made during each epoch (before
        each update), plus the penalty, as SGD libraries report it.

    Examples
    --------
    >>> from fastmath.datasets import make_explicit_ratings
    >>> from fastmath.recommend import SGDMF
    >>> ratings = make_explicit_ratings(200, 100, 4000, random_state=0)
    >>> model = SGDMF(factors=10, epochs=5, random_state=0, show_progress=False).fit(ratings)
    >>> model.predict([0, 1], [3, 4]).shape
    (2,)
    """

    _array_names = FactorModel._array_names + ("user_bias", "item_bias", "global_mean")
    _rating_model = True
    _parameter_constraints = {
        "factors": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 0, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="left")],
        "regularization": [Interval(Real, 0, None, closed="left")],
        "biased": ["boolean"],
        "init_std": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "num_threads": [Interval(Integral, 0, None, closed="left")],
        "show_progress": ["boolean"],
    }

    def __init__(self, factors=100, epochs=20, learning_rate=0.005, regularization=0.02,
                 biased=True, init_std=0.1, random_state=None, num_threads=0,
                 show_progress=True):
        self.factors = factors
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.biased = biased
        self.init_std = init_std
        self.random_state = random_state
        self.num_threads = num_threads
        self.show_progress = show_progress
        self.user_factors = self.item_factors = None
        self.user_bias = self.item_bias = None
        self.global_mean = np.float64(0.0)

    def _check_params(self):
        self._validate_params()

    _factor_dtype = np.float32

    def fit(self, user_items, show_progress=None, callback=None):
        """Learn from a users x items sparse matrix of ratings (any scipy format).

        Parameters
        ----------
        user_items : sparse matrix of shape (n_users, n_items)
            Finite ratings; duplicate entries are summed, as SciPy views them.
        show_progress : bool, optional
            Overrides the ``show_progress`` parameter for this fit.
        callback : callable, optional
            Called as ``callback(epoch, elapsed_seconds, loss)`` after each epoch.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            SGD diverged (use a smaller ``learning_rate``); the model is then unchanged.
        """
        self._validate_params()
        check_callback(callback)
        ratings_csr = check_interactions(user_items)
        R = ratings_csr.tocoo()
        n_users, n_items = R.shape
        rng = check_random_state(self.random_state)
        gen = np.random.default_rng(rng.randint(np.iinfo(np.int32).max))  # fast float32 normals

        def normal(_, shape, dtype):
            return gen.standard_normal(shape, dtype=np.float32) * np.float32(self.init_std)

        P, Q = fit_start(self, n_users, n_items, np.float32, init=normal)
        bu = np.zeros(n_users, np.float32)
        bi = np.zeros(n_items, np.float32)
        mean = np.float64(R.data.astype(np.float64).mean()) if self.biased else np.float64(0.0)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        history = []
        progress = self.show_progress if show_progress is None else bool(show_progress)
        start = time.perf_counter()
        work = R.nnz * self.factors
        with thread_limit(self.num_threads), kernel_threads(work, "flops") as threads:
            n_blocks = threads * BLOCKS_PER_THREAD
            users, items, ratings, cell_ptr = _grid(R, n_blocks, rng)
            cell_sse = np.zeros(n_blocks * n_blocks)
            for epoch in tqdm(range(self.epochs), desc="SGDMF", disable=not progress):
                sgd_epoch(users, items, ratings, cell_ptr, n_blocks, P, Q, bu, bi, float(mean),
                          float(self.learning_rate), float(self.regularization),
                          bool(self.biased), seed, epoch, True, cell_sse)
                penalty = self.regularization * (_sq(P) + _sq(Q) + _sq(bu) + _sq(bi))
                history.append((cell_sse.sum() + penalty) / R.nnz)
                if callback is not None:
                    callback(epoch, time.perf_counter() - start, history[-1])
        if not (np.all(np.isfinite(history)) and np.all(np.isfinite(P)) and np.all(np.isfinite(Q))):
            raise ValueError("SGD diverged (non-finite loss or factors); the model was left "
                             "unchanged. Use a smaller learning_rate.")
        counts_u = np.diff(ratings_csr.indptr)
        counts_i = np.bincount(R.col, minlength=n_items)
        P[counts_u == 0] = 0.0  # users/items never seen keep no random signal
        Q[counts_i == 0] = 0.0
        self.user_factors, self.item_factors = P, Q
        self.user_bias, self.item_bias, self.global_mean = bu, bi, mean
        self.item_popularity = counts_i.astype(np.float64)
        self.loss_history_ = np.asarray(history, dtype=np.float64)
        self._fit_factors = (self.user_factors, self.item_factors)
        return self

    def _fold_in(self, rows, side):
        """Ridge solve of these rows' factors and biases (the SGD objective, the other side fixed)."""
        other = self.item_factors if side == "user" else self.user_factors
        other_bias = self.item_bias if side == "user" else self.user_bias
        X = np.zeros((rows.shape[0], other.shape[1]), np.float32)
        bias = np.zeros(rows.shape[0], np.float32)
        with thread_limit(self.num_threads), kernel_threads(rows.nnz * self.factors ** 2, "flops"):
            _als_kernels.explicit_half_step(X, bias, other, other_bias,
                                            np.float64(self.global_mean),
                                            *csr_arrays(rows, np.float32, 1.0),
                                            float(self.regularization))
        return X, bias

    def predict(self, userids, itemids):
        """Predicted ratings ``mean + b_u + b_i + p_u . q_i``.

        Parameters
        ----------
        userids, itemids : array-like of int, same length

        Returns
        -------
        ndarray of float64

        Examples
        --------
        >>> from fastmath.datasets import make_explicit_ratings
        >>> from fastmath.recommend import SGDMF
        >>> ratings = make_explicit_ratings(60, 40, 800, random_state=0)
        >>> model = SGDMF(factors=4, epochs=3, random_state=0, show_progress=False).fit(ratings)
        >>> model.predict([0, 1], [2, 3]).shape
        (2,)
        """
        return self._pair_scores(userids, itemids)


def _grid(R, n_blocks, rng):
    """Ratings sorted by grid cell; users and items spread over blocks at random."""
    user_block = rng.randint(n_blocks, size=R.shape[0])
    item_block = rng.randint(n_blocks, size=R.shape[1])
    cell = (user_block[R.row] * n_blocks + item_block[R.col]).astype(
        np.uint16 if n_blocks * n_blocks <= 65536 else np.int64)
    order = np.argsort(cell, kind="stable")  # a radix sort for small integer keys
    cell_ptr = np.zeros(n_blocks * n_blocks + 1, np.int64)
    np.cumsum(np.bincount(cell, minlength=n_blocks * n_blocks), out=cell_ptr[1:])
    return (R.row[order].astype(np.int64), R.col[order].astype(np.int64),
            R.data[order].astype(np.float32), cell_ptr)


def _sq(a):
    flat = a.ravel()
    return float(np.dot(flat, flat))  # float32 BLAS dot: plenty for a loss report
