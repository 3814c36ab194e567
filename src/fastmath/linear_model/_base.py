"""What SGDClassifier and SGDRegressor share: parameter checks, data
preparation and the call into the compiled fit."""
from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._config.threads import get_num_threads, kernel_threads, max_threads, thread_limit, \
    threads_for
from .._validation import check_sparse_structure
from . import _kernels as K
from . import _sgd_losses as L
from ._sgd_rows import CsrRows, DenseRows

MAX_INT = np.iinfo(np.int32).max
SPARSE_INTERCEPT_DECAY = 0.01  # scikit-learn's damping of the intercept on sparse data
PIPELINE_BLOCK_ROWS = 4096  # rows per double-buffer block of the two-thread dense fit
PIPELINE_MIN_FEATURES = 16  # narrower rows are cheap to visit in shuffled order: no pipeline

LOSS_CODES = {
    "hinge": (L.HINGE, 1.0),
    "perceptron": (L.HINGE, 0.0),
    "log_loss": (L.LOG, 0.0),
    "modified_huber": (L.MODIFIED_HUBER, 0.0),
    "squared_hinge": (L.SQUARED_HINGE, 1.0),
    "squared_error": (L.SQUARED_ERROR, 0.0),
    "huber": (L.HUBER, None),  # None: the ``epsilon`` parameter
    "epsilon_insensitive": (L.EPSILON_INSENSITIVE, None),
    "squared_epsilon_insensitive": (L.SQUARED_EPSILON_INSENSITIVE, None),
}
REGRESSION_LOSSES = ("squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive")
PENALTIES = {None: L.PENALTY_NONE, "l2": L.PENALTY_L2, "l1": L.PENALTY_L1,
             "elasticnet": L.PENALTY_ELASTICNET}
LEARNING_RATES = {"constant": L.LR_CONSTANT, "optimal": L.LR_OPTIMAL,
                  "invscaling": L.LR_INVSCALING, "adaptive": L.LR_ADAPTIVE,
                  "pa1": L.LR_PA1, "pa2": L.LR_PA2}


_SCHEDULES = StrOptions(set(LEARNING_RATES))


class BaseSGD(BaseEstimator):
    """Parameters, validation and the compiled fit shared by the SGD estimators."""

    _losses: tuple = ()
    # scikit-learn's constraints for SGDClassifier/SGDRegressor (checked by _validate_params)
    _parameter_constraints: dict = {
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "shuffle": ["boolean"],
        "verbose": ["verbose"],
        "epsilon": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "learning_rate": [_SCHEDULES],
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, None, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "average": [Interval(Integral, 0, None, closed="neither"), "boolean"],
    }

    # --- parameters -------------------------------------------------------
    def _check_params(self, partial: bool = False) -> None:
        """scikit-learn's parameter constraints, then the rules that join two parameters."""
        self._validate_params()
        if self.loss not in self._losses:  # subclasses list their losses in _losses
            raise ValueError(f"loss must be one of {list(self._losses)}, got {self.loss!r}")
        if partial and self.early_stopping:
            raise ValueError("early_stopping should be False with partial_fit")
        if self.learning_rate == "optimal" and self.alpha == 0:
            raise ValueError("alpha must be > 0 with learning_rate='optimal' "
                             "(the schedule is 1 / (alpha * (t0 + t)))")
        if self.learning_rate in ("pa1", "pa2") and self.loss != self._pa_loss:
            raise ValueError(f"Learning rate {self.learning_rate!r} only works with loss "
                             f"{self._pa_loss!r}.")
        if self.penalty == "elasticnet" and self.l1_ratio is None:
            raise ValueError("l1_ratio must be set when penalty is 'elasticnet'")

    def _settings(self, dtype, sparse: bool, max_iter: int, early_stopping: bool) -> L.SGDSettings:
        code, param = LOSS_CODES[self.loss]
        return L.SGDSettings(
            loss=code, loss_param=float(self.epsilon if param is None else param),
            penalty=PENALTIES[self.penalty], alpha=float(self.alpha),
            l1_ratio=0.0 if self.l1_ratio is None else float(self.l1_ratio),
            learning_rate=LEARNING_RATES[self.learning_rate],
            eta0=float(self.eta0), power_t=float(self.power_t),
            fit_intercept=bool(self.fit_intercept),
            intercept_decay=SPARSE_INTERCEPT_DECAY if sparse else 1.0,
            max_iter=int(max_iter), tol=-np.inf if self.tol is None else float(self.tol),
            n_iter_no_change=int(self.n_iter_no_change), early_stopping=bool(early_stopping),
            shuffle=bool(self.shuffle), average=int(self.average),
            classifier=is_classifier(self),
            wscale_floor=1e-6 if dtype == np.float32 else 1e-9,
        )

    def _start_fit(self, coef_init, intercept_init):
        """Check the parameters; ``warm_start`` starts from the previous weights."""
        self._check_params()
        if self.warm_start and hasattr(self, "coef_"):
            coef_init = self.coef_ if coef_init is None else coef_init
            intercept_init = self.intercept_ if intercept_init is None else intercept_init
        return coef_init, intercept_init

    def _initial_state(self, k, d, dtype, coef_init, intercept_init, reset):
        """Fresh copies of the weights the kernel updates, shape (k, d) and (k,)."""
        if not reset:
            coef = np.array(self._standard_coef, dtype=dtype, ndmin=2, order="C")
            intercept = np.array(self._standard_intercept, dtype=np.float64).reshape(k)
            avg_coef = np.array(self._average_coef, dtype=dtype, ndmin=2, order="C")
            avg_intercept = np.array(self._average_intercept, dtype=np.float64).reshape(k)
            return coef, intercept, avg_coef, avg_intercept
        coef = np.zeros((k, d), dtype=dtype)
        intercept = np.zeros(k, dtype=np.float64)
        if coef_init is not None:
            coef[:] = _init_array(coef_init, "coef_init", (k, d), dtype)
        if intercept_init is not None:
            intercept[:] = _init_array(intercept_init, "intercept_init", (k,), np.float64)
        return coef, intercept, coef.copy(), intercept.copy()

    # --- data ---------------------------------------------------------------
    def _validate_X_y(self, X, y, reset: bool):
        if sp.issparse(X):  # before SciPy converts it: a malformed matrix must not reach C code
            check_sparse_structure(X, "X")
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32],
                             order="C", reset=reset, y_numeric=False, multi_output=False)
        return X, y

    def _validate_X(self, X):
        check_is_fitted(self, "coef_")
        if sp.issparse(X):
            check_sparse_structure(X, "X")
        return validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32],
                             reset=False)

    @staticmethod
    def _kernel_rows(X):
        """Dense X as :class:`DenseRows`, a CSR matrix as :class:`CsrRows`.

        A sparse X was checked in its own format before scikit-learn converted
        it (``_validate_X_y``), so its arrays are used as they are, not checked
        again. Index arrays are int32 (scipy's default, no copy) unless the
        matrix needs int64.
        """
        if sp.issparse(X):
            index = np.int32 if X.indptr.dtype == X.indices.dtype == np.int32 else np.int64
            return CsrRows(np.ascontiguousarray(X.indptr, dtype=index),
                           np.ascontiguousarray(X.indices, dtype=index),
                           np.ascontiguousarray(X.data, dtype=X.dtype))
        return DenseRows(np.ascontiguousarray(X))

    def _split(self, y, n: int, early_stopping: bool, random_state):
        """Training and validation row indices (validation only with early stopping)."""
        all_rows = np.arange(n, dtype=np.int64)
        if not early_stopping:
            return all_rows, np.zeros(0, np.int64)
        from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

        splitter = StratifiedShuffleSplit if is_classifier(self) else ShuffleSplit
        cv = splitter(test_size=self.validation_fraction, random_state=random_state)
        try:
            train, val = next(cv.split(np.zeros((n, 1)), y))
        except ValueError as exc:
            raise ValueError(f"the validation split (validation_fraction="
                             f"{self.validation_fraction}) of {n} samples failed: {exc}") from exc
        if val.shape[0] == 0 or train.shape[0] == 0:
            raise ValueError(f"validation_fraction={self.validation_fraction} leaves an empty "
                             f"training or validation set with {n} samples")
        return np.sort(train).astype(np.int64), np.sort(val).astype(np.int64)

    # --- the compiled fit -------------------------------------------------------
    def _run(self, X, y_codes, sw, positives, coef, intercept, avg_coef, avg_intercept,
             weights_pos, weights_neg, partial):
        """Fit every sub-problem in place (one epoch if ``partial``); returns the epochs run.

        Raises on divergence; warns as scikit-learn does when ``fit`` used every epoch.
        """
        max_iter = 1 if partial else self.max_iter
        early_stopping = self.early_stopping and not partial
        random_state = check_random_state(self.random_state)
        n_threads = self._threads()
        rows = self._kernel_rows(X)
        sparse = isinstance(rows, CsrRows)
        train, val = self._split(y_codes, X.shape[0], early_stopping, random_state)
        seeds = random_state.randint(MAX_INT, size=len(positives)).astype(np.uint64)
        settings = self._settings(X.dtype, sparse, max_iter, early_stopping)
        pa = True if self.learning_rate in ("pa1", "pa2") else None  # a separate compilation
        k = len(positives)
        n_iter = np.zeros(k, np.int64)
        status = np.zeros(k, np.int64)
        t_end = np.zeros(k, np.float64)
        w_pos = np.asarray(weights_pos, np.float64)
        w_neg = np.asarray(weights_neg, np.float64)
        work = (X.nnz if sparse else X.size) * max_iter * k
        with thread_limit(max(1, min(n_threads, max_threads()))):
            threads = threads_for(work, "flops")
        if k == 1 and threads >= 2 and not sparse and self.shuffle \
                and X.shape[1] >= PIPELINE_MIN_FEATURES \
                and train.shape[0] >= 8 * PIPELINE_BLOCK_ROWS:
            # one problem: a second thread feeds the shuffled rows (same result)
            with thread_limit(2), kernel_threads(work, "flops"):
                n_iter[0], status[0], t_end[0] = K.fit_one_pipelined(
                    rows.X, y_codes, sw, int(positives[0]), train, val, coef[0], intercept[0:1],
                    avg_coef[0], avg_intercept[0:1], seeds[0], settings, float(self.t_),
                    w_pos[0], w_neg[0], PIPELINE_BLOCK_ROWS, pa)
        else:
            with thread_limit(min(threads, k)), kernel_threads(work, "flops"):
                K.fit_many(rows, y_codes, sw, np.asarray(positives, np.int64), train, val, coef,
                           intercept, avg_coef, avg_intercept, seeds, settings, float(self.t_),
                           w_pos, w_neg, n_iter, status, t_end, pa)
        if np.any(status == L.DIVERGED):
            bad = int(np.argmax(status == L.DIVERGED))
            raise ValueError(
                f"SGD diverged (the weights became NaN or infinite) during epoch "
                f"{int(n_iter[bad])}; the model was left unchanged. Use a smaller learning rate "
                f"(eta0, or a larger alpha with learning_rate='optimal'), or scale the features "
                f"(e.g. sklearn.preprocessing.StandardScaler).")
        n = int(n_iter.max())
        if not partial and self.tol is not None and n == max_iter:
            warnings.warn("Maximum number of iteration reached before convergence. Consider "
                          "increasing max_iter to improve the fit.", ConvergenceWarning,
                          stacklevel=3)
        return n

    def _threads(self) -> int:
        n_jobs = getattr(self, "n_jobs", None)
        if n_jobs is None:
            return get_num_threads()
        if n_jobs < 0:
            return max(1, max_threads() + 1 + n_jobs)
        return max(1, int(n_jobs))

    def _store(self, coef, intercept, avg_coef, avg_intercept, n_iter, n_samples):
        """Set the fitted attributes (only after a successful fit)."""
        self._standard_coef, self._standard_intercept = coef, intercept
        self._average_coef, self._average_intercept = avg_coef, avg_intercept
        self.t_ += n_iter * n_samples
        self.n_iter_ = n_iter
        use_average = self.average > 0 and self.average <= self.t_ - 1
        self.coef_ = avg_coef if use_average else coef
        self.intercept_ = (avg_intercept if use_average else intercept).astype(coef.dtype)

    def sparsify(self):
        """Store ``coef_`` as a scipy.sparse CSR matrix (pays off when most weights are zero).

        Predictions work either way; :meth:`densify` converts back.

        Returns
        -------
        self
        """
        check_is_fitted(self, "coef_")
        self.coef_ = sp.csr_matrix(self.coef_)
        return self

    def densify(self):
        """Store ``coef_`` as a dense array again (the form a fit produces).

        Returns
        -------
        self
        """
        check_is_fitted(self, "coef_")
        if sp.issparse(self.coef_):
            self.coef_ = self.coef_.toarray()
            if not is_classifier(self):
                self.coef_ = self.coef_.ravel()
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _init_array(value, name, shape, dtype):
    """``coef_init`` / ``intercept_init`` as scikit-learn accepts them, in ``shape``.

    One problem (``shape[0] == 1``) takes any array of its size, as scikit-learn
    ravels it; several take exactly ``shape``.
    """
    if sp.issparse(value):
        value = value.toarray()
    value = np.asarray(value)
    if value.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {value.dtype}")
    if shape[0] == 1 and value.size == int(np.prod(shape)) and value.ndim <= len(shape):
        if len(shape) == 1 or value.ndim <= 1 or 1 in value.shape:
            value = value.reshape(shape)
    if value.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {value.shape}")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{name} must be finite")
    return value.astype(dtype)
