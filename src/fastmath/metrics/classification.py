"""Classification metrics matching scikit-learn: ROC and PR curves, AUC, AP, and more."""
from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import type_of_target

from .._config.threads import kernel_threads, threads_for
from . import _curve_kernels as K


def _binary_inputs(y_true, y_score, pos_label):
    """Validated 1-D arrays and the boolean positive mask (scikit-learn's rules)."""
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score)
    if y_true.ndim != 1 or y_score.ndim != 1:
        raise ValueError(f"y_true and y_score must be 1-D, got shapes {y_true.shape} and "
                         f"{y_score.shape} (multiclass scores: use scikit-learn's "
                         f"multi_class options)")
    if y_true.shape[0] != y_score.shape[0]:
        raise ValueError(f"y_true and y_score have different lengths: {y_true.shape[0]} and "
                         f"{y_score.shape[0]}")
    if y_true.shape[0] == 0:
        raise ValueError("y_true and y_score are empty")
    if y_score.dtype.kind not in "biuf":
        raise TypeError(f"y_score must be numeric, got dtype {y_score.dtype}")
    y_score = np.asarray(y_score, dtype=np.float64)
    if not np.all(np.isfinite(y_score)):
        raise ValueError("y_score contains NaN or infinity")
    kind = type_of_target(y_true, input_name="y_true")
    if kind not in ("binary", "multiclass") or (kind == "multiclass" and
                                                np.unique(y_true).shape[0] > 2):
        raise ValueError(f"y_true must be binary, got target type {kind!r}")
    classes = np.unique(y_true)
    if pos_label is None:
        values = set(classes.tolist()) if classes.dtype.kind in "biuf" else {None}
        if not (values <= {0, 1} or values <= {-1, 1}):
            raise ValueError(f"y_true takes value in {classes.tolist()} and pos_label is not "
                             f"specified: either make y_true take value in {{0, 1}} or "
                             f"{{-1, 1}} or pass pos_label explicitly.")
        pos_label = 1
    return y_true == pos_label, y_score


def _sweep(y_true, y_score, pos_label):
    """Distinct thresholds (descending) with cumulative tp and fp counts."""
    positive, scores = _binary_inputs(y_true, y_score, pos_label)
    n = scores.shape[0]
    keys = np.empty(n, np.uint64)
    with kernel_threads(n, "sort"):
        K.float_keys((scores + 0.0).view(np.int64), keys)
        chunks = 4 * threads_for(n, "sort")
        pos_sorted = K.radix_sort(keys[positive], chunks)
        neg_sorted = K.radix_sort(keys[~positive], chunks)
    out_keys = np.empty(n, np.uint64)
    tp = np.empty(n, np.int64)
    fp = np.empty(n, np.int64)
    m = K.sweep(pos_sorted, neg_sorted, out_keys, tp, fp)
    return K.keys_to_floats(out_keys[:m]), tp[:m], fp[:m], pos_sorted.shape[0], neg_sorted.shape[0]


def roc_auc_score(y_true, y_score):
    """Area under the ROC curve of a binary problem (ties count one half).

    Equal to ``sklearn.metrics.roc_auc_score`` for binary ``y_true`` in
    {0, 1} or {-1, 1}; NaN or infinite scores raise ``ValueError``.

    Examples
    --------
    >>> from fastmath.metrics import roc_auc_score
    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    _, tp, fp, n_pos, n_neg = _sweep(y_true, y_score, None)
    if n_pos == 0 or n_neg == 0:
        raise ValueError("Only one class is present in y_true. ROC AUC score is not defined "
                         "in that case.")
    return float(K.auc_and_ap(tp, fp, n_pos, n_neg)[0])


def average_precision_score(y_true, y_score, *, pos_label=1):
    """Average precision: the sum over thresholds of precision times the recall step.

    Equal to ``sklearn.metrics.average_precision_score`` for binary input.

    Examples
    --------
    >>> from fastmath.metrics import average_precision_score
    >>> round(average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
    0.8333
    """
    _, tp, fp, n_pos, n_neg = _sweep(y_true, y_score, pos_label)
    if n_pos == 0:
        return 0.0  # scikit-learn warns and returns 0 (recall is undefined)
    return float(K.auc_and_ap(tp, fp, n_pos, max(n_neg, 1))[1])


def roc_curve(y_true, y_score, *, pos_label=None, drop_intermediate=True):
    """False- and true-positive rates at each distinct threshold (scikit-learn's output).

    Returns
    -------
    fpr, tpr, thresholds : ndarray
        ``thresholds[0]`` is ``inf`` (nothing predicted positive).
    """
    thresholds, tps, fps, n_pos, n_neg = _sweep(y_true, y_score, pos_label)
    if drop_intermediate and tps.shape[0] > 2:
        keep = np.flatnonzero(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])
        thresholds, tps, fps = thresholds[keep], tps[keep], fps[keep]
    tps, fps = np.r_[0, tps], np.r_[0, fps]
    thresholds = np.r_[np.inf, thresholds]
    with np.errstate(invalid="ignore", divide="ignore"):
        fpr = fps / fps[-1] if fps[-1] > 0 else np.full(fps.shape, np.nan)
        tpr = tps / tps[-1] if tps[-1] > 0 else np.full(tps.shape, np.nan)
    return fpr, tpr, thresholds


def precision_recall_curve(y_true, y_score, *, pos_label=None, drop_intermediate=False):
    """Precision and recall at each distinct threshold, recall decreasing (scikit-learn's output).

    Returns
    -------
    precision, recall : ndarray
        The last entries are 1 and 0 (no threshold).
    thresholds : ndarray, increasing
    """
    thresholds, tps, fps, _, _ = _sweep(y_true, y_score, pos_label)
    if drop_intermediate and tps.shape[0] > 2:
        keep = np.flatnonzero(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])
        thresholds, tps, fps = thresholds[keep], tps[keep], fps[keep]
    predicted = tps + fps
    precision = np.zeros(tps.shape[0])
    np.divide(tps, predicted, out=precision, where=predicted != 0)
    recall = np.ones(tps.shape[0]) if tps[-1] == 0 else tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]


def accuracy_score(y_true, y_pred, *, normalize=True, sample_weight=None):
    """Fraction (or, with ``normalize=False``, number) of exact matches."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D of the same length, got {y_true.shape} "
                         f"and {y_pred.shape}")
    hits = (y_true == y_pred).astype(np.float64)
    weight = None if sample_weight is None else np.asarray(sample_weight, np.float64)
    if normalize:
        return float(np.average(hits, weights=weight))
    return float(hits.sum() if weight is None else np.dot(hits, weight))


def confusion_matrix(y_true, y_pred, *, labels=None, sample_weight=None, normalize=None):
    """Counts ``C[i, j]`` of samples of class ``labels[i]`` predicted as ``labels[j]``.

    ``normalize`` is None, 'true' (rows sum to 1), 'pred' (columns) or 'all'.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D of the same length, got {y_true.shape} "
                         f"and {y_pred.shape}")
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize must be one of None, 'true', 'pred', 'all'; got {normalize!r}")
    labels = np.unique(np.r_[y_true, y_pred]) if labels is None else np.asarray(labels)
    if labels.size == 0:
        raise ValueError("labels must not be empty")
    n = labels.shape[0]
    order = np.argsort(labels)
    sorted_labels = labels[order]

    def index(values):
        pos = np.clip(np.searchsorted(sorted_labels, values), 0, n - 1)
        found = sorted_labels[pos] == values
        return order[pos], found

    ti, t_ok = index(y_true)
    pi, p_ok = index(y_pred)
    keep = t_ok & p_ok
    weight = np.ones(y_true.shape[0]) if sample_weight is None else np.asarray(sample_weight,
                                                                                np.float64)
    cm = np.bincount(ti[keep] * n + pi[keep], weights=weight[keep], minlength=n * n).reshape(n, n)
    if sample_weight is None:
        cm = cm.astype(np.int64)
    with np.errstate(all="ignore"):
        if normalize == "true":
            cm = cm / cm.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            cm = cm / cm.sum(axis=0, keepdims=True)
        elif normalize == "all":
            cm = cm / cm.sum()
    return np.nan_to_num(cm) if normalize else cm


def log_loss(y_true, y_pred, *, labels=None, sample_weight=None):
    """Cross-entropy of predicted probabilities, clipped to [eps, 1 - eps] (scikit-learn's).

    ``y_pred`` is (n,) for the probability of the positive class or
    (n, n_classes) with columns in the order of the sorted labels.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred, dtype=np.float64 if np.asarray(y_pred).dtype != np.float32
                        else np.float32)
    if not np.all(np.isfinite(y_pred)):
        raise ValueError("y_pred contains NaN or infinity")
    labels = np.unique(y_true) if labels is None else np.unique(labels)
    if labels.shape[0] < 2:
        raise ValueError(f"y_true contains only one label ({labels[0]}); pass labels=")
    if y_pred.ndim == 1:
        y_pred = np.column_stack([1.0 - y_pred, y_pred])
    if y_pred.shape != (y_true.shape[0], labels.shape[0]):
        raise ValueError(f"y_pred must have shape ({y_true.shape[0]}, {labels.shape[0]}), got "
                         f"{y_pred.shape}")
    if not np.allclose(y_pred.sum(axis=1), 1.0, rtol=np.sqrt(np.finfo(y_pred.dtype).eps)):
        raise ValueError("The y_pred values do not sum to one. Make sure to pass probabilities.")
    column = np.searchsorted(labels, y_true)
    if np.any(column >= labels.shape[0]) or np.any(labels[np.minimum(column, labels.shape[0] - 1)]
                                                   != y_true):
        raise ValueError(f"y_true contains values not in labels {labels.tolist()}")
    eps = np.finfo(y_pred.dtype).eps
    p = np.clip(y_pred[np.arange(y_true.shape[0]), column], eps, 1 - eps)
    weight = None if sample_weight is None else np.asarray(sample_weight, np.float64)
    return float(np.average(-np.log(p), weights=weight))
