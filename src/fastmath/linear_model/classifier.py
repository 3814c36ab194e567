"""SGDClassifier: linear classifiers trained by SGD, a drop-in for scikit-learn's."""
from __future__ import annotations

from numbers import Integral

import numpy as np
from scipy.special import expit
from sklearn.base import ClassifierMixin
from sklearn.utils import compute_class_weight
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .._estimator_state import unchanged_on_error
from .._validation import check_sample_weight
from ._base import LOSS_CODES, BaseSGD
from .prediction import linear_decision


class SGDClassifier(ClassifierMixin, BaseSGD):
    """Linear classifier (SVM, logistic regression, ...) trained by SGD.

    The parameters, attributes and update rules are scikit-learn's
    :class:`sklearn.linear_model.SGDClassifier`; each fit runs in one compiled
    call, sparse rows cost O(nnz), and the one-vs-rest problems of a multiclass
    fit are trained in parallel.

    Parameters
    ----------
    loss : {'hinge', 'log_loss', 'modified_huber', 'squared_hinge', 'perceptron', \
'squared_error', 'huber', 'epsilon_insensitive', 'squared_epsilon_insensitive'}
    penalty : {'l2', 'l1', 'elasticnet', None}
    alpha : float
        Regularization strength (also sets the 'optimal' learning rate).
    l1_ratio : float in [0, 1] or None
        Elastic-net mixing: 0 is pure L2, 1 pure L1. ``None`` only when
        ``penalty`` is not 'elasticnet'.
    fit_intercept : bool
    max_iter : int
        Maximum number of epochs.
    tol : float or None
        Stop when the objective (or, with early stopping, the validation score)
        has not improved by ``tol`` for ``n_iter_no_change`` epochs. ``None``
        runs ``max_iter`` epochs.
    shuffle : bool
        Shuffle the rows before each epoch (seeded by ``random_state``).
    verbose : int
        Accepted for compatibility; nothing is printed.
    epsilon : float
        Width of the huber and epsilon-insensitive losses.
    n_jobs : int or None
        Threads for the one-vs-rest problems; ``None`` uses fastmath's thread
        count (:func:`fastmath.set_num_threads`), -1 all cores.
    random_state : int, RandomState or None
    learning_rate : {'optimal', 'constant', 'invscaling', 'adaptive', 'pa1', 'pa2'}
        ``eta = 1 / (alpha (t0 + t))``, ``eta0``, ``eta0 / t**power_t`` and
        ``eta0`` divided by 5 whenever the fit stalls; 'pa1' and 'pa2' are the
        passive-aggressive steps ``min(eta0, loss / |x|^2)`` and
        ``loss / (|x|^2 + 1 / (2 eta0))`` (hinge loss only; for the regressor,
        epsilon_insensitive only).
    eta0, power_t : float
    early_stopping : bool
        Hold out ``validation_fraction`` of the rows (stratified) and stop on
        their accuracy.
    validation_fraction : float in (0, 1)
    n_iter_no_change : int
    class_weight : dict, 'balanced' or None
    warm_start : bool
        Start ``fit`` from the previous solution.
    average : bool or int
        Averaged SGD: ``coef_`` is the average of the iterates from sample
        ``average`` on (``True`` means 1).

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : int
        Epochs run (the most over the one-vs-rest problems).
    classes_ : ndarray of shape (n_classes,)
    t_ : float
        Number of weight updates performed, plus one.
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from fastmath.linear_model import SGDClassifier
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> clf = SGDClassifier(loss="log_loss", random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    >>> clf.score(X, y) > 0.8
    True
    """

    def __init__(self, loss="hinge", *, penalty="l2", alpha=0.0001, l1_ratio=0.15,
                 fit_intercept=True, max_iter=1000, tol=1e-3, shuffle=True, verbose=0,
                 epsilon=0.1, n_jobs=None, random_state=None, learning_rate="optimal",
                 eta0=0.01, power_t=0.5, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, class_weight=None, warm_start=False, average=False):
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
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.average = average

    _losses = tuple(LOSS_CODES)
    _pa_loss = "hinge"
    _parameter_constraints: dict = {
        **BaseSGD._parameter_constraints,
        "loss": [StrOptions(set(LOSS_CODES))],
        "n_jobs": [Integral, None],
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    # --- fitting ----------------------------------------------------------------
    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit the model by SGD over ``max_iter`` epochs at most.

        A fit that raises (bad input, divergence) leaves a fitted model as it was.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        coef_init : ndarray of shape (n_classes, n_features), optional
            ``(n_features,)`` for two classes.
        intercept_init : ndarray of shape (n_classes,), optional
        sample_weight : array-like of shape (n_samples,) or float, optional
            Negative weights are allowed, as in scikit-learn; NaN and Inf are not.

        Returns
        -------
        self
        """
        with unchanged_on_error(self):
            coef_init, intercept_init = self._start_fit(coef_init, intercept_init)
            self.t_ = 1.0
            return self._fit(X, y, None, sample_weight, coef_init, intercept_init,
                             partial=False, reset=True)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``X``, continuing from the current model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), optional
            Every class that will ever appear; required on the first call.
        sample_weight : array-like of shape (n_samples,) or float, optional

        Returns
        -------
        self

        Notes
        -----
        ``tol`` does not apply; ``early_stopping`` and ``class_weight='balanced'``
        are refused, as in scikit-learn (compute the weights with
        :func:`sklearn.utils.compute_class_weight` and pass a dict).
        """
        with unchanged_on_error(self):
            first = not hasattr(self, "coef_")
            self._check_params(partial=first)
            if first:
                if self.class_weight == "balanced":
                    raise ValueError(
                        "class_weight 'balanced' is not supported for partial_fit: compute "
                        "the weights with sklearn.utils.compute_class_weight('balanced', "
                        "classes=classes, y=y) on a large enough sample of y and pass them "
                        "as a dict")
                if classes is None:
                    raise ValueError("classes must be passed on the first call to partial_fit")
                self.t_ = 1.0
            elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(f"classes={classes!r} is not the same as on the first call "
                                 f"to partial_fit: {self.classes_!r}")
            return self._fit(X, y, classes, sample_weight, None, None, partial=True,
                             reset=first)

    def _fit(self, X, y, classes, sample_weight, coef_init, intercept_init, partial, reset):
        X, y = self._validate_X_y(X, y, reset=reset)
        check_classification_targets(y)
        if reset:
            self.classes_ = np.unique(y if classes is None else np.asarray(classes))
        codes = np.searchsorted(self.classes_, y)
        if np.any(codes >= len(self.classes_)) or np.any(self.classes_[np.minimum(
                codes, len(self.classes_) - 1)] != y):
            raise ValueError(f"y contains labels not in classes {self.classes_!r}")
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(f"The number of classes has to be greater than one; got "
                             f"{n_classes} class")
        sw = check_sample_weight(sample_weight, X.shape[0])
        cw = self._class_weights(y)
        k = 1 if n_classes == 2 else n_classes
        coef, intercept, avg_coef, avg_intercept = self._initial_state(
            k, X.shape[1], X.dtype, coef_init, intercept_init, reset)
        if n_classes == 2:
            positives, w_pos, w_neg = [1], [cw[1]], [cw[0]]
        else:
            positives, w_pos, w_neg = list(range(k)), list(cw), [1.0] * k
        n_iter = self._run(X, codes.astype(np.float64), sw, positives, coef, intercept,
                           avg_coef, avg_intercept, w_pos, w_neg, partial)
        self._store(coef, intercept, avg_coef, avg_intercept, n_iter, X.shape[0])
        return self

    def _class_weights(self, y) -> np.ndarray:
        if self.class_weight is None:
            return np.ones(len(self.classes_))
        if isinstance(self.class_weight, dict):
            unknown = set(self.class_weight) - set(self.classes_.tolist())
            if unknown:
                raise ValueError(f"class_weight has labels {sorted(unknown)!r} that are not "
                                 f"classes: {self.classes_!r}")
        return compute_class_weight(self.class_weight, classes=self.classes_, y=y)

    # --- prediction ---------------------------------------------------------------
    def decision_function(self, X):
        """Signed distance to each one-vs-rest hyperplane.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) for two classes, else (n_samples, n_classes)
        """
        scores = linear_decision(self._validate_X(X), self.coef_, self.intercept_)
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Predicted class of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        scores = self.decision_function(X)
        idx = (scores > 0).astype(np.intp) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[idx]

    def _has_proba(self):
        if self.loss not in ("log_loss", "modified_huber"):
            raise AttributeError(f"probability estimates are not available for "
                                 f"loss={self.loss!r}")
        return True

    @available_if(_has_proba)
    def predict_proba(self, X):
        """Class probabilities (log_loss: logistic; modified_huber: clipped).

        Multiclass probabilities are the one-vs-rest estimates normalized to
        sum to one, as in scikit-learn.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self, "coef_")
        scores = self.decision_function(X)
        if self.loss == "log_loss":
            prob = expit(scores)
            if prob.ndim == 1:
                return np.column_stack([1.0 - prob, prob])
            return prob / prob.sum(axis=1, keepdims=True)
        prob = (np.clip(scores, -1.0, 1.0) + 1.0) / 2.0
        if prob.ndim == 1:
            return np.column_stack([1.0 - prob, prob])
        total = prob.sum(axis=1, keepdims=True)
        zero = total[:, 0] == 0
        prob[zero] = 1.0
        total[zero] = len(self.classes_)
        return prob / total

    @available_if(_has_proba)
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))
