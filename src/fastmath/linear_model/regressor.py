"""SGDRegressor: linear regression trained by SGD, a drop-in for scikit-learn's."""
from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils import check_random_state

from ._base import REGRESSION_LOSSES, BaseSGD
from .prediction import linear_decision


class SGDRegressor(RegressorMixin, BaseSGD):
    """Linear regression (least squares, huber, SVR losses) trained by SGD.

    The parameters, attributes and update rules are scikit-learn's
    :class:`sklearn.linear_model.SGDRegressor`; each fit runs in one compiled
    call and sparse rows cost O(nnz). See :class:`SGDClassifier` for the
    meaning of the shared parameters.

    Parameters
    ----------
    loss : {'squared_error', 'huber', 'epsilon_insensitive', 'squared_epsilon_insensitive'}
    penalty : {'l2', 'l1', 'elasticnet', None}
    alpha, l1_ratio, fit_intercept, max_iter, tol, shuffle, verbose, epsilon, \
random_state, learning_rate, eta0, power_t, early_stopping, validation_fraction, \
n_iter_no_change, warm_start, average
        As in :class:`SGDClassifier`; the default schedule is
        ``learning_rate='invscaling'`` with ``eta0=0.01, power_t=0.25``, and
        early stopping scores R^2 on the held-out rows.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : ndarray of shape (1,)
    n_iter_ : int
    t_ : float
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from fastmath.linear_model import SGDRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 3))
    >>> y = X @ np.array([1.0, -2.0, 0.5]) + 3.0
    >>> reg = SGDRegressor(random_state=0).fit(X, y)
    >>> np.round(reg.coef_, 1), np.round(reg.intercept_, 1)
    (array([ 1. , -2. ,  0.5]), array([3.]))
    """

    _losses = REGRESSION_LOSSES

    def __init__(self, loss="squared_error", *, penalty="l2", alpha=0.0001, l1_ratio=0.15,
                 fit_intercept=True, max_iter=1000, tol=1e-3, shuffle=True, verbose=0,
                 epsilon=0.1, random_state=None, learning_rate="invscaling", eta0=0.01,
                 power_t=0.25, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, warm_start=False, average=False):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.epsilon = epsilon
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.average = average

    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit the model by SGD over ``max_iter`` epochs at most.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        coef_init : ndarray of shape (n_features,), optional
        intercept_init : ndarray of shape (1,), optional
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        coef_init, intercept_init = self._start_fit(coef_init, intercept_init)
        return self._fit(X, y, sample_weight, coef_init, intercept_init, self.max_iter,
                         self.early_stopping, reset=True)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``X``, continuing from the current model."""
        self._check_params()
        first = not hasattr(self, "coef_")
        if first:
            self.t_ = 1.0
        return self._fit(X, y, sample_weight, None, None, 1, False, reset=first)

    def _fit(self, X, y, sample_weight, coef_init, intercept_init, max_iter, early_stopping,
             reset):
        X, y = self._validate_X_y(X, y, reset=reset)
        y = np.asarray(y, dtype=np.float64)
        n, d = X.shape
        sw = self._sample_weight(sample_weight, n)
        if reset:
            coef = np.zeros((1, d), dtype=X.dtype)
            intercept = np.zeros(1)
            if coef_init is not None:
                coef_init = np.asarray(coef_init, dtype=X.dtype).reshape(-1)
                if coef_init.shape != (d,):
                    raise ValueError(f"coef_init must have shape ({d},), got {coef_init.shape}")
                coef[0] = coef_init
            if intercept_init is not None:
                intercept[:] = np.asarray(intercept_init, dtype=np.float64).reshape(-1)[:1]
            avg_coef, avg_intercept = coef.copy(), intercept.copy()
        else:
            coef = np.array(self._standard_coef, dtype=X.dtype, ndmin=2, order="C")
            intercept = np.array(self._standard_intercept, dtype=np.float64).reshape(1)
            avg_coef = np.array(self._average_coef, dtype=X.dtype, ndmin=2, order="C")
            avg_intercept = np.array(self._average_intercept, dtype=np.float64).reshape(1)
        n_iter = self._run(X, y, sw, [-1], coef, intercept, avg_coef, avg_intercept, [1.0],
                           [1.0], max_iter, early_stopping,
                           check_random_state(self.random_state), self._threads())
        self._store(coef[0], intercept, avg_coef[0], avg_intercept, n_iter, n)
        return self

    def predict(self, X):
        """Predicted target of each row."""
        return linear_decision(self._validate_X(X), self.coef_, self.intercept_)[:, 0]
