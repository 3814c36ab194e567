"""Classification metrics, drop-ins for scikit-learn's: ROC and PR curves, AUC, AP and more.

The threshold sweep behind the curves and areas is fastmath's own (radix sort
and one merge walk, :mod:`._curve_kernels`); the input checks, the label
rules and the averaging over classes are scikit-learn's own helpers, so that
the behaviour (errors, warnings, multiclass and multilabel averages) is
scikit-learn's. ``accuracy_score``, ``confusion_matrix`` and ``log_loss``
have no kernel to speed up: they are scikit-learn's functions, behind a check
of ``sample_weight`` whose errors name it, so the namespace is complete.
"""
from __future__ import annotations

import warnings
from functools import partial

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn import metrics as _sk
from sklearn.metrics._base import _average_binary_score, _average_multiclass_ovo_score
from sklearn.preprocessing import label_binarize
from sklearn.utils._encode import _encode, _unique
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (_check_pos_label_consistency, _check_sample_weight,
                                      assert_all_finite, check_array, check_consistent_length,
                                      _num_samples, column_or_1d)

from .._config.threads import kernel_threads, threads_for
from .._validation import check_param, check_sample_weight
from . import _curve_kernels as K

__all__ = ["accuracy_score", "average_precision_score", "confusion_matrix", "log_loss",
           "precision_recall_curve", "roc_auc_score", "roc_curve"]


# --- the threshold sweep ----------------------------------------------------------

def _radix_counts(positive: np.ndarray, scores: np.ndarray):
    """Distinct thresholds (descending) with cumulative true and false positive counts."""
    n = scores.shape[0]
    keys = np.empty(n, np.uint64)
    with kernel_threads(n, "sort"):
        K.float_keys((scores.astype(np.float64) + 0.0).view(np.int64), keys)
        chunks = 4 * threads_for(n, "sort")
        pos_sorted = K.radix_sort(keys[positive], chunks)
        neg_sorted = K.radix_sort(keys[~positive], chunks)
    out_keys = np.empty(n, np.uint64)
    tp = np.empty(n, np.int64)
    fp = np.empty(n, np.int64)
    m = K.sweep(pos_sorted, neg_sorted, out_keys, tp, fp)
    return K.keys_to_floats(out_keys[:m]), tp[:m].astype(np.float64), fp[:m].astype(np.float64)


def _weighted_counts(positive: np.ndarray, scores: np.ndarray, weights: np.ndarray):
    """As :func:`_radix_counts`, with weighted counts (scikit-learn's algorithm)."""
    order = np.argsort(scores, kind="stable")[::-1]
    s, p, w = scores[order], positive[order], weights[order].astype(np.float64)
    last = np.r_[np.flatnonzero(np.diff(s)), s.shape[0] - 1]
    return s[last].astype(np.float64), np.cumsum(p * w)[last], np.cumsum(~p * w)[last]


def _counts(positive, y_score, sample_weight):
    """``(fps, tps, thresholds)`` of validated 1-D arrays; zero weights leave their samples out."""
    if positive.shape[0] == 0:
        raise ValueError("y_true and y_score are empty")
    if sample_weight is None:
        thresholds, tps, fps = _radix_counts(positive, y_score)
    else:
        weights = _check_sample_weight(column_or_1d(sample_weight), positive)
        keep = weights != 0
        thresholds, tps, fps = _weighted_counts(positive[keep], y_score[keep], weights[keep])
    return fps, tps, thresholds.astype(y_score.dtype)


def _checked_scores(y_true, y_score, sample_weight):
    check_consistent_length(y_true, y_score, sample_weight)
    y_score = column_or_1d(y_score)
    if y_score.dtype.kind not in "biuf":
        raise TypeError(f"y_score must be numeric, got dtype {y_score.dtype}")
    assert_all_finite(y_score, input_name="y_score")
    return y_score


def _weights(sample_weight, y_true):
    """None, or one checked weight per sample of ``y_true`` (errors name sample_weight)."""
    if sample_weight is None:
        return None
    return check_sample_weight(sample_weight, _num_samples(y_true))


def _confusion_at_thresholds(y_true, y_score, pos_label, sample_weight):
    """``(fps, tps, thresholds)`` as scikit-learn's ``confusion_matrix_at_thresholds``."""
    y_type = type_of_target(y_true, input_name="y_true")
    if not (y_type == "binary" or (y_type == "multiclass" and pos_label is not None)):
        raise ValueError(f"{y_type} format is not supported")
    y_score = _checked_scores(y_true, y_score, sample_weight)
    pos_label = _check_pos_label_consistency(pos_label, y_true)
    return _counts(column_or_1d(np.asarray(y_true) == pos_label), y_score, sample_weight)


def roc_curve(y_true, y_score, *, pos_label=None, sample_weight=None, drop_intermediate=True):
    """False- and true-positive rates at each distinct threshold, as scikit-learn's.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels (any two values; ``pos_label`` says which is positive
        unless they are {0, 1} or {-1, 1}).
    y_score : array-like of shape (n_samples,)
        Finite scores; higher means more positive.
    pos_label : int, float, bool or str, optional
    sample_weight : array-like of shape (n_samples,), optional
    drop_intermediate : bool, default True
        Drop thresholds whose point lies on a straight line between its
        neighbours (they do not change the curve).

    Returns
    -------
    fpr, tpr : ndarray
        NaN (with an ``UndefinedMetricWarning``) when a class is absent.
    thresholds : ndarray of float64
        Decreasing; ``thresholds[0]`` is ``inf``.

    Examples
    --------
    >>> from fastmath.metrics import roc_curve
    >>> fpr, tpr, thresholds = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr, tpr
    (array([0. , 0. , 0.5, 0.5, 1. ]), array([0. , 0.5, 0.5, 1. , 1. ]))
    """
    fps, tps, thresholds = _confusion_at_thresholds(y_true, y_score, pos_label, sample_weight)
    if drop_intermediate and fps.shape[0] > 2:
        keep = np.flatnonzero(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    tps, fps = np.r_[0.0, tps], np.r_[0.0, fps]
    thresholds = np.r_[np.inf, thresholds.astype(np.float64)]
    return _rate(fps, "negative", "false"), _rate(tps, "positive", "true"), thresholds


def _rate(counts, samples, kind):
    """Cumulative counts over their total; NaN with scikit-learn's warning when the total is 0."""
    if counts[-1] <= 0:
        warnings.warn(f"No {samples} samples in y_true, {kind} positive value should be "
                      "meaningless", UndefinedMetricWarning, stacklevel=3)
        return np.full(counts.shape, np.nan)
    return counts / counts[-1]


def precision_recall_curve(y_true, y_score, *, pos_label=None, sample_weight=None,
                           drop_intermediate=False):
    """Precision and recall at each distinct threshold, as scikit-learn's.

    Parameters
    ----------
    y_true, y_score, pos_label, sample_weight
        As in :func:`roc_curve`.
    drop_intermediate : bool, default False
        Keep only the first and last threshold of each run of equal true
        positives (equal recall): scikit-learn's rule.

    Returns
    -------
    precision, recall : ndarray
        Recall decreasing; the last entries are 1 and 0 (no threshold).
    thresholds : ndarray
        Increasing, in ``y_score``'s dtype.

    Examples
    --------
    >>> from fastmath.metrics import precision_recall_curve
    >>> precision, recall, thresholds = precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> precision.round(3), recall
    (array([0.5  , 0.667, 0.5  , 1.   , 1.   ]), array([1. , 1. , 0.5, 0.5, 0. ]))
    """
    fps, tps, thresholds = _confusion_at_thresholds(y_true, y_score, pos_label, sample_weight)
    if drop_intermediate and fps.shape[0] > 2:
        keep = np.flatnonzero(np.r_[True, np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])),
                                    True])
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    predicted = tps + fps
    precision = np.zeros(tps.shape)
    np.divide(tps, predicted, out=precision, where=predicted != 0)
    if tps[-1] == 0:
        warnings.warn("No positive class found in y_true, recall is set to one for all "
                      "thresholds.", UserWarning, stacklevel=2)
        recall = np.ones(tps.shape)
    else:
        recall = tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]


# --- areas ------------------------------------------------------------------------

def _binary_roc_auc(y_true, y_score, sample_weight=None, max_fpr=None):
    """scikit-learn's ``_binary_roc_auc_score`` for 0/1 ``y_true``."""
    return _roc_auc_of(column_or_1d(np.asarray(y_true) == 1), y_score, sample_weight, max_fpr)


def _roc_auc_of(positive, y_score, sample_weight=None, max_fpr=None):
    """The area of one binary problem given its positive mask; the full area straight from
    the sweep, the partial one (McClish-standardized) from the curve."""
    n_pos = int(np.count_nonzero(positive))
    if n_pos in (0, positive.shape[0]):
        warnings.warn("Only one class is present in y_true. ROC AUC score is not defined in "
                      "that case.", UndefinedMetricWarning, stacklevel=3)
        return np.nan
    y_score = _checked_scores(positive, y_score, sample_weight)
    fps, tps, _ = _counts(positive, y_score, sample_weight)
    if max_fpr is None or max_fpr == 1:
        return float(K.auc_and_ap(tps, fps, tps[-1], fps[-1])[0])
    fpr, tpr = np.r_[0.0, fps] / fps[-1], np.r_[0.0, tps] / tps[-1]
    if max_fpr is None or max_fpr == 1:
        return float(np.trapezoid(tpr, fpr))
    stop = np.searchsorted(fpr, max_fpr, "right")
    tpr = np.append(tpr[:stop], np.interp(max_fpr, fpr[stop - 1:stop + 1], tpr[stop - 1:stop + 1]))
    fpr = np.append(fpr[:stop], max_fpr)
    partial_auc = np.trapezoid(tpr, fpr)
    min_area, max_area = 0.5 * max_fpr ** 2, max_fpr
    return float(0.5 * (1 + (partial_auc - min_area) / (max_area - min_area)))  # McClish


def roc_auc_score(y_true, y_score, *, average="macro", sample_weight=None, max_fpr=None,
                  multi_class="raise", labels=None):
    """Area under the ROC curve, as ``sklearn.metrics.roc_auc_score``.

    Binary problems run fastmath's sweep; multiclass (one-vs-rest or
    one-vs-one) and multilabel problems average it over classes as
    scikit-learn does.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Labels, or a multilabel indicator matrix.
    y_score : array-like of shape (n_samples,) or (n_samples, n_classes)
        Scores of the greater label (binary), or per class (probabilities
        summing to one for multiclass).
    average : {'macro', 'micro', 'samples', 'weighted'} or None, default 'macro'
    sample_weight : array-like of shape (n_samples,), optional
    max_fpr : float in (0, 1], optional
        Standardized partial AUC up to this false-positive rate (binary only).
    multi_class : {'raise', 'ovr', 'ovo'}, default 'raise'
    labels : array-like, optional
        The classes of ``y_score``'s columns (multiclass).

    Returns
    -------
    float or ndarray
        NaN, with an ``UndefinedMetricWarning``, when ``y_true`` holds one class.

    Examples
    --------
    >>> from fastmath.metrics import roc_auc_score
    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> roc_auc_score(["no", "no", "yes", "yes"], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    check_param(average, "average", [None, _str_options("micro", "macro", "samples",
                                                         "weighted")])
    check_param(max_fpr, "max_fpr", [None, _interval(0.0, 1.0, "right")])
    check_param(multi_class, "multi_class", [_str_options("raise", "ovr", "ovo")])
    y_type = type_of_target(y_true, input_name="y_true")
    y_true = check_array(y_true, ensure_2d=False, dtype=None)
    y_score = check_array(y_score, ensure_2d=False)
    sample_weight = _weights(sample_weight, y_true)
    if y_type == "multiclass" or (y_type == "binary" and y_score.ndim == 2
                                  and y_score.shape[1] > 2):
        if max_fpr is not None and max_fpr != 1.0:
            raise ValueError(f"Partial AUC computation not available in multiclass setting, "
                             f"'max_fpr' must be set to `None`, received `max_fpr={max_fpr}` "
                             f"instead")
        if multi_class == "raise":
            raise ValueError("multi_class must be in ('ovo', 'ovr')")
        return _multiclass_roc_auc(y_true, y_score, labels, multi_class, average, sample_weight)
    if y_type == "binary":  # the greater label is positive; one sweep, no binarized copy
        classes = np.unique(y_true)
        positive = column_or_1d(y_true == classes[-1])
        return _roc_auc_of(positive, y_score, sample_weight, max_fpr)
    return _average_binary_score(partial(_binary_roc_auc, max_fpr=max_fpr), y_true, y_score,
                                 average, sample_weight=sample_weight)


def _multiclass_roc_auc(y_true, y_score, labels, multi_class, average, sample_weight):
    if y_score.ndim != 2:
        raise ValueError(f"`y_score` needs to be of shape `(n_samples, n_classes)`, since "
                         f"`y_true` contains multiple classes. Got `y_score.shape="
                         f"{y_score.shape}`.")
    if not np.allclose(1, y_score.sum(axis=1)):
        raise ValueError("Target scores need to be probabilities for multiclass roc_auc, i.e. "
                         "they should sum up to 1.0 over classes")
    options = ("micro", "macro", "weighted", None) if multi_class == "ovr" else \
        ("macro", "weighted", None)
    if average not in options:
        raise ValueError(f"average must be one of {options} for multiclass problems")
    if average is None and multi_class == "ovo":
        raise ValueError("average=None is not implemented for multi_class='ovo'.")
    if labels is not None:
        labels = column_or_1d(labels)
        classes = _unique(labels)
        if len(classes) != len(labels):
            raise ValueError("Parameter 'labels' must be unique")
        if not np.array_equal(classes, labels):
            raise ValueError("Parameter 'labels' must be ordered")
        if len(classes) != y_score.shape[1]:
            raise ValueError(f"Number of given labels, {len(classes)}, not equal to the number "
                             f"of columns in 'y_score', {y_score.shape[1]}")
        if len(np.setdiff1d(y_true, classes)):
            raise ValueError("'y_true' contains labels not in parameter 'labels'")
    else:
        classes = _unique(y_true)
        if len(classes) != y_score.shape[1]:
            raise ValueError("Number of classes in y_true not equal to the number of columns "
                             "in 'y_score'")
    if multi_class == "ovo":
        if sample_weight is not None:
            raise ValueError("sample_weight is not supported for multiclass one-vs-one ROC "
                             "AUC, 'sample_weight' must be None in this case.")
        return _average_multiclass_ovo_score(_binary_roc_auc, _encode(y_true, uniques=classes),
                                             y_score, average=average)
    return _average_binary_score(_binary_roc_auc, label_binarize(y_true, classes=classes),
                                 y_score, average, sample_weight=sample_weight)


def _binary_average_precision(y_true, y_score, pos_label=1, sample_weight=None):
    """Average precision of one binary problem: ``-sum(diff(recall) * precision[:-1])``."""
    fps, tps, _ = _confusion_at_thresholds(y_true, y_score, pos_label, sample_weight)
    return _average_precision_of(fps, tps)


def _average_precision_of(fps, tps):
    if tps[-1] == 0:
        warnings.warn("No positive class found in y_true, recall is set to one for all "
                      "thresholds.", UserWarning, stacklevel=4)
        return 0.0
    return float(max(0.0, K.auc_and_ap(tps, fps, tps[-1], max(fps[-1], 1.0))[1]))


def average_precision_score(y_true, y_score, *, average="macro", pos_label=1,
                            sample_weight=None):
    """Average precision, as ``sklearn.metrics.average_precision_score``.

    The sum over thresholds of the precision times the step in recall (no
    interpolation). Binary problems run fastmath's sweep; multiclass and
    multilabel problems are averaged over classes as scikit-learn does.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
    y_score : array-like of shape (n_samples,) or (n_samples, n_classes)
    average : {'micro', 'samples', 'weighted', 'macro'} or None, default 'macro'
    pos_label : int, float, bool or str, default 1
        The positive class of binary ``y_true``; it must be present when
        both classes are (else ``ValueError``).
    sample_weight : array-like of shape (n_samples,), optional

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from fastmath.metrics import average_precision_score
    >>> round(average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
    0.8333
    >>> round(average_precision_score([2, 2, 3, 3], [0.1, 0.4, 0.35, 0.8], pos_label=3), 4)
    0.8333
    """
    check_param(average, "average", [None, _str_options("micro", "macro", "samples",
                                                         "weighted")])
    sample_weight = _weights(sample_weight, y_true)
    y_type = type_of_target(y_true, input_name="y_true")
    present = np.unique(np.asarray(y_true))
    if y_type == "binary":
        if present.shape[0] == 2 and pos_label not in present:
            raise ValueError(f"pos_label={pos_label} is not a valid label. It should be one "
                             f"of {present}")
        if np.ndim(y_score) == 1:  # one sweep over the positive mask
            y_score = _checked_scores(y_true, y_score, sample_weight)
            positive = column_or_1d(np.asarray(y_true) == pos_label)
            return _average_precision_of(*_counts(positive, y_score, sample_weight)[:2])
    elif y_type == "multilabel-indicator" and pos_label != 1:
        raise ValueError("Parameter pos_label is fixed to 1 for multilabel-indicator y_true. "
                         "Do not set pos_label or set pos_label to 1.")
    elif y_type == "multiclass":
        if pos_label != 1:
            raise ValueError("Parameter pos_label is fixed to 1 for multiclass y_true. Do not "
                             "set pos_label or set pos_label to 1.")
        y_true = label_binarize(y_true, classes=present)
        if np.shape(y_score) != y_true.shape:
            raise ValueError(f"`y_score` needs to be of shape `(n_samples, n_classes)`, since "
                             f"`y_true` contains multiple classes. Got `y_score.shape="
                             f"{np.shape(y_score)}`.")
    return _average_binary_score(partial(_binary_average_precision, pos_label=pos_label),
                                 y_true, y_score, average, sample_weight=sample_weight)


def _str_options(*options):
    from sklearn.utils._param_validation import StrOptions

    return StrOptions(set(options))


def _interval(low, high, closed):
    from numbers import Real

    from sklearn.utils._param_validation import Interval

    return Interval(Real, low, high, closed=closed)


def accuracy_score(y_true, y_pred, *, normalize=True, sample_weight=None):
    """Share (or count) of exact matches: scikit-learn's ``accuracy_score``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or label indicator matrices
    normalize : bool, default True
        The share; ``False`` gives the (weighted) count.
    sample_weight : array-like of shape (n_samples,), optional

    Returns
    -------
    float

    Examples
    --------
    >>> from fastmath.metrics import accuracy_score
    >>> accuracy_score([0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    """
    return _sk.accuracy_score(y_true, y_pred, normalize=normalize,
                              sample_weight=_weights(sample_weight, y_true))


def confusion_matrix(y_true, y_pred, *, labels=None, sample_weight=None, normalize=None):
    """Counts of (true, predicted) label pairs: scikit-learn's ``confusion_matrix``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    labels : array-like, optional
        The labels to index the matrix by (default: every label seen, sorted).
    sample_weight : array-like of shape (n_samples,), optional
    normalize : {'true', 'pred', 'all'} or None

    Returns
    -------
    ndarray of shape (n_labels, n_labels)

    Examples
    --------
    >>> from fastmath.metrics import confusion_matrix
    >>> confusion_matrix([0, 1, 1, 0], [0, 1, 0, 0])
    array([[2, 0],
           [1, 1]])
    """
    return _sk.confusion_matrix(y_true, y_pred, labels=labels,
                                sample_weight=_weights(sample_weight, y_true),
                                normalize=normalize)


def log_loss(y_true, y_proba=None, *, normalize=True, sample_weight=None, labels=None,
             **deprecated):
    """Cross-entropy of predicted probabilities: scikit-learn's ``log_loss``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_proba : array-like of shape (n_samples,) or (n_samples, n_classes)
        Probabilities in [0, 1] (of the greater label when 1-D). scikit-learn
        before 1.8 called it ``y_pred``, which is passed on to it.
    normalize : bool, default True
    sample_weight : array-like of shape (n_samples,), optional
    labels : array-like, optional

    Returns
    -------
    float

    Examples
    --------
    >>> from fastmath.metrics import log_loss
    >>> round(log_loss([0, 1], [0.2, 0.9]), 4)
    0.1643
    """
    if _num_samples(y_true) == 0:
        raise ValueError("y_true is empty: log_loss needs at least one sample")
    proba = () if y_proba is None else (y_proba,)  # positional: its name changed in 1.9
    return _sk.log_loss(y_true, *proba, normalize=normalize, labels=labels,
                        sample_weight=_weights(sample_weight, y_true), **deprecated)
