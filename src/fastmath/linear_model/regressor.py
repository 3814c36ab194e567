"""SGDRegressor: linear regression trained by SGD, a drop-in for scikit-learn's."""
from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils._param_validation import StrOptions

from .._estimator_state import unchanged_on_error
from .._validation import check_sample_weight
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
    _pa_loss = "epsilon_insensitive"
    _parameter_constraints: dict = {
        **BaseSGD._parameter_constraints,
        "loss": [StrOptions(set(REGRESSION_LOSSES))],
    }

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

        A fit that raises (bad input, divergence) leaves a fitted model as it was.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        coef_init : ndarray of shape (n_features,), optional
        intercept_init : ndarray of shape (1,), optional
        sample_weight : array-like of shape (n_samples,) or float, optional
            Negative weights are allowed, as in scikit-learn; NaN and Inf are not.

        Returns
        -------
        self
        """
        with unchanged_on_error(self):
            coef_init, intercept_init = self._start_fit(coef_init, intercept_init)
            self.t_ = 1.0
            return self._fit(X, y, sample_weight, coef_init, intercept_init, partial=False,
                             reset=True)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``X``, continuing from the current model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,) or float, optional

        Returns
        -------
        self
        """
        with unchanged_on_error(self):
            first = not hasattr(self, "coef_")
            self._check_params(partial=first)
            if first:
                self.t_ = 1.0
            return self._fit(X, y, sample_weight, None, None, partial=True, reset=first)

    def _fit(self, X, y, sample_weight, coef_init, intercept_init, partial, reset):
        X, y = self._validate_X_y(X, y, reset=reset)
        y = np.asarray(y, dtype=np.float64)
        sw = check_sample_weight(sample_weight, X.shape[0])
        coef, intercept, avg_coef, avg_intercept = self._initial_state(
            1, X.shape[1], X.dtype, coef_init, intercept_init, reset)
        n_iter = self._run(X, y, sw, [-1], coef, intercept, avg_coef, avg_intercept, [1.0],
                           [1.0], partial)
        self._store(coef[0], intercept, avg_coef[0], avg_intercept, n_iter, X.shape[0])
        return self

    def predict(self, X):
        """Predicted target of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return linear_decision(self._validate_X(X), self.coef_, self.intercept_)[:, 0]
