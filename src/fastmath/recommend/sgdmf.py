"""Biased matrix factorization trained by parallel block SGD."""
from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state
from tqdm.auto import tqdm

from . import _als_kernels
from .._config.threads import kernel_threads, thread_limit
from .._validation import check_interactions, check_non_negative, check_positive_int
from ._base import FactorModel
from ._sgd_kernels import sgd_epoch
from .als import _csr_arrays, _json_seed

BLOCKS_PER_THREAD = 2  # grid side = threads * this: smaller cells balance the load


class SGDMF(FactorModel):
    """Koren's biased matrix factorization, ``mean + b_u + b_i + p_u . q_i``, by SGD.

    The update of each rating is ``surprise.SVD``'s; the ratings are split into
    a grid of user blocks x item blocks and the cells of one diagonal of the
    grid run in parallel, so no two threads touch the same user or item (the
    block schedule of FPSGD). Factors are float32.

    Parameters
    ----------
    factors : int
    epochs : int
    learning_rate : float
    regularization : float
    biased : bool
        Learn the global mean and the biases (False: ``p_u . q_i`` only).
    init_std : float
        Factors start from N(0, init_std^2), biases from 0.
    random_state : int, RandomState or None
        With the same seed and thread count, the same factors.
    num_threads : int
        0 uses every core.
    show_progress : bool

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
        self.global_mean = 0.0

    def _params(self):
        return {"factors": self.factors, "epochs": self.epochs,
                "learning_rate": self.learning_rate, "regularization": self.regularization,
                "biased": self.biased, "init_std": self.init_std,
                "random_state": _json_seed(self.random_state), "num_threads": self.num_threads,
                "show_progress": self.show_progress}

    def fit(self, user_items):
        """Learn from a users x items sparse matrix of ratings (any scipy format).

        Returns
        -------
        self
        """
        check_positive_int(self.factors, "factors")
        check_positive_int(self.epochs, "epochs")
        check_non_negative(self.learning_rate, "learning_rate")
        check_non_negative(self.regularization, "regularization")
        check_non_negative(self.init_std, "init_std")
        ratings_csr = check_interactions(user_items)
        R = ratings_csr.tocoo()
        n_users, n_items = R.shape
        rng = check_random_state(self.random_state)
        gen = np.random.default_rng(rng.randint(np.iinfo(np.int32).max))  # fast float32 normals
        P = gen.standard_normal((n_users, self.factors), dtype=np.float32)
        Q = gen.standard_normal((n_items, self.factors), dtype=np.float32)
        P *= np.float32(self.init_std)
        Q *= np.float32(self.init_std)
        bu = np.zeros(n_users, np.float32)
        bi = np.zeros(n_items, np.float32)
        mean = float(R.data.mean()) if self.biased else 0.0
        seed = int(rng.randint(np.iinfo(np.int32).max))
        history = []
        work = R.nnz * self.factors
        with thread_limit(self.num_threads), kernel_threads(work, "flops") as threads:
            n_blocks = threads * BLOCKS_PER_THREAD
            users, items, ratings, cell_ptr = _grid(R, n_blocks, rng)
            cell_sse = np.zeros(n_blocks * n_blocks)
            for epoch in tqdm(range(self.epochs), desc="SGDMF", disable=not self.show_progress):
                sgd_epoch(users, items, ratings, cell_ptr, n_blocks, P, Q, bu, bi, mean,
                          float(self.learning_rate), float(self.regularization),
                          bool(self.biased), seed, epoch, True, cell_sse)
                penalty = self.regularization * (_sq(P) + _sq(Q) + _sq(bu) + _sq(bi))
                history.append((cell_sse.sum() + penalty) / R.nnz)
        if not np.all(np.isfinite(history)):
            raise ValueError("SGD diverged (non-finite loss); use a smaller learning_rate")
        counts_u = np.diff(ratings_csr.indptr)
        counts_i = np.bincount(R.col, minlength=n_items)
        P[counts_u == 0] = 0.0  # users/items never seen keep no random signal
        Q[counts_i == 0] = 0.0
        self.user_factors, self.item_factors = P, Q
        self.user_bias, self.item_bias, self.global_mean = bu, bi, mean
        self.item_popularity = counts_i.astype(np.float64)
        self.loss_history_ = np.asarray(history)
        return self

    def _fold_in(self, rows):
        """Ridge solve of the users' factors and biases (the SGD objective, items fixed)."""
        X = np.zeros((rows.shape[0], self.item_factors.shape[1]), np.float32)
        bias = np.zeros(rows.shape[0], np.float32)
        with thread_limit(self.num_threads), kernel_threads(rows.nnz * self.factors ** 2, "flops"):
            _als_kernels.explicit_half_step(X, bias, self.item_factors, self.item_bias,
                                            self.global_mean, *_csr_arrays(rows, np.float32, 1.0),
                                            float(self.regularization))
        return X, bias

    def predict(self, userids, itemids):
        """Predicted ratings ``mean + b_u + b_i + p_u . q_i``."""
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
