"""Classification metrics against scikit-learn (1e-10 in float64), ties and constants included."""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning

from fastmath import metrics as fm


def _cases(rng):
    n = 3000
    y = rng.random(n) < 0.2
    yield y, rng.random(n) + 0.4 * y  # distinct scores
    yield y, np.round(rng.random(n) + 0.4 * y, 1)  # many ties
    yield y, np.full(n, 0.3)  # constant scores
    yield y, -rng.standard_normal(n) * 1e300  # huge magnitudes, mixed signs
    z = np.zeros(n)
    z[::2] = -0.0
    yield y, z + y  # signed zeros tie with each other
    yield y.astype(int) * 2 - 1, rng.random(n)  # labels {-1, 1}


@pytest.mark.parametrize("k", range(6))
def test_curves_and_areas_match_sklearn(rng, k):
    y, s = list(_cases(rng))[k]
    assert abs(fm.roc_auc_score(y, s) - skm.roc_auc_score(y, s)) <= 1e-10
    assert abs(fm.average_precision_score(y, s) - skm.average_precision_score(y, s)) <= 1e-10
    for ours, theirs in zip(fm.roc_curve(y, s), skm.roc_curve(y, s)):
        assert_allclose(ours, theirs, rtol=1e-12, atol=0)
    for ours, theirs in zip(fm.roc_curve(y, s, drop_intermediate=False),
                            skm.roc_curve(y, s, drop_intermediate=False)):
        assert_allclose(ours, theirs, rtol=1e-12, atol=0)
    for ours, theirs in zip(fm.precision_recall_curve(y, s), skm.precision_recall_curve(y, s)):
        assert_allclose(ours, theirs, rtol=1e-12, atol=0)


def test_large_random_scores_match_sklearn(rng):
    y = rng.random(200_000) < 0.05
    s = rng.random(200_000).astype(np.float32) + 0.3 * y  # float32 scores, many ties
    assert abs(fm.roc_auc_score(y, s) - skm.roc_auc_score(y, s)) <= 1e-10
    assert abs(fm.average_precision_score(y, s) - skm.average_precision_score(y, s)) <= 1e-10


def test_string_labels_need_pos_label():
    y = np.array(["ham", "spam", "spam", "ham"])
    s = [0.1, 0.9, 0.4, 0.5]
    with pytest.raises(ValueError, match="pos_label"):
        fm.roc_curve(y, s)
    for ours, theirs in zip(fm.roc_curve(y, s, pos_label="spam"),
                            skm.roc_curve(y, s, pos_label="spam")):
        assert_allclose(ours, theirs)
    assert fm.average_precision_score(y == "spam", s) == skm.average_precision_score(
        y == "spam", s)


def test_bad_curve_input():
    with pytest.raises(ValueError, match="NaN"):
        fm.roc_auc_score([0, 1], [0.5, np.nan])
    with pytest.raises(ValueError, match="infinity"):
        fm.average_precision_score([0, 1], [0.5, np.inf])
    with pytest.warns(UndefinedMetricWarning, match="Only one class"):
        assert np.isnan(fm.roc_auc_score([1, 1, 1], [0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        fm.roc_auc_score([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="multi_class must be in"):
        fm.roc_auc_score([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="continuous format is not supported"):
        fm.roc_curve([0.5, 1.5, 2.5], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="pos_label=2 is not a valid label"):
        fm.average_precision_score([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4], pos_label=2)


def test_labels_other_than_zero_and_one(rng):
    y = rng.integers(2, 4, 400)
    s = rng.random(400) + 0.3 * (y == 3)
    assert fm.roc_auc_score(y, s) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
    assert fm.average_precision_score(y, s, pos_label=3) == pytest.approx(
        skm.average_precision_score(y, s, pos_label=3), abs=1e-12)
    names = np.where(y == 3, "fraud", "legit")
    assert fm.roc_auc_score(names, s) == pytest.approx(skm.roc_auc_score(names, s), abs=1e-12)


def test_sample_weights_in_curves_and_areas(rng):
    y = rng.random(500) < 0.3
    s = np.round(rng.random(500) + 0.3 * y, 2)
    w = rng.random(500)
    w[::7] = 0.0  # zero weights leave their samples out, as in scikit-learn
    assert fm.roc_auc_score(y, s, sample_weight=w) == pytest.approx(
        skm.roc_auc_score(y, s, sample_weight=w), abs=1e-12)
    assert fm.average_precision_score(y, s, sample_weight=w) == pytest.approx(
        skm.average_precision_score(y, s, sample_weight=w), abs=1e-12)
    for ours, theirs in zip(fm.roc_curve(y, s, sample_weight=w),
                            skm.roc_curve(y, s, sample_weight=w)):
        assert_allclose(ours, theirs, rtol=1e-12)
    for ours, theirs in zip(fm.precision_recall_curve(y, s, sample_weight=w),
                            skm.precision_recall_curve(y, s, sample_weight=w)):
        assert_allclose(ours, theirs, rtol=1e-12)


def test_weighted_area_against_brute_force(rng):
    """Weighted AUC: the weighted share of (positive, negative) pairs ranked right, ties half."""
    y = rng.random(60) < 0.4
    s = np.round(rng.random(60), 1)
    w = rng.random(60)
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    wins = sum(w[i] * w[j] * (1.0 if s[i] > s[j] else 0.5 if s[i] == s[j] else 0.0)
               for i in pos for j in neg)
    want = wins / (w[pos].sum() * w[neg].sum())
    assert fm.roc_auc_score(y, s, sample_weight=w) == pytest.approx(want, rel=1e-12)


def test_drop_intermediate_of_the_pr_curve_keeps_sklearn_s_points(rng):
    y = rng.random(300) < 0.3
    s = np.round(rng.random(300), 2)
    for ours, theirs in zip(fm.precision_recall_curve(y, s, drop_intermediate=True),
                            skm.precision_recall_curve(y, s, drop_intermediate=True)):
        assert_allclose(ours, theirs, rtol=1e-12)


def test_multiclass_and_multilabel_averages(rng):
    y = rng.integers(0, 3, 300)
    p = rng.random((300, 3))
    p /= p.sum(axis=1, keepdims=True)
    for multi_class in ("ovr", "ovo"):
        for average in ("macro", "weighted"):
            assert fm.roc_auc_score(y, p, multi_class=multi_class, average=average) == \
                pytest.approx(skm.roc_auc_score(y, p, multi_class=multi_class, average=average),
                              abs=1e-12)
    Y = rng.random((300, 4)) < 0.4
    S = rng.random((300, 4))
    for average in ("micro", "macro", "weighted", None):
        assert_allclose(fm.average_precision_score(Y, S, average=average),
                        skm.average_precision_score(Y, S, average=average), rtol=1e-12)
        assert_allclose(fm.roc_auc_score(Y, S, average=average),
                        skm.roc_auc_score(Y, S, average=average), rtol=1e-12)


def test_partial_auc(rng):
    y = rng.random(400) < 0.4
    s = rng.random(400) + 0.2 * y
    for max_fpr in (0.1, 0.5, 1.0):
        assert fm.roc_auc_score(y, s, max_fpr=max_fpr) == pytest.approx(
            skm.roc_auc_score(y, s, max_fpr=max_fpr), abs=1e-12)
    with pytest.raises(ValueError, match="max_fpr"):
        fm.roc_auc_score(y, s, max_fpr=0.0)


def test_accuracy_confusion_and_log_loss_match_sklearn(rng):
    y = rng.integers(0, 4, 500)
    pred = np.where(rng.random(500) < 0.7, y, rng.integers(0, 4, 500))
    w = rng.random(500)
    assert fm.accuracy_score(y, pred) == skm.accuracy_score(y, pred)
    assert fm.accuracy_score(y, pred, normalize=False) == skm.accuracy_score(y, pred,
                                                                             normalize=False)
    assert abs(fm.accuracy_score(y, pred, sample_weight=w)
               - skm.accuracy_score(y, pred, sample_weight=w)) <= 1e-12
    assert_array_equal(fm.confusion_matrix(y, pred), skm.confusion_matrix(y, pred))
    for normalize in ("true", "pred", "all"):
        assert_allclose(fm.confusion_matrix(y, pred, normalize=normalize, sample_weight=w),
                        skm.confusion_matrix(y, pred, normalize=normalize, sample_weight=w),
                        rtol=1e-12)
    assert_array_equal(fm.confusion_matrix(y, pred, labels=[3, 0]),
                       skm.confusion_matrix(y, pred, labels=[3, 0]))
    proba = rng.dirichlet(np.ones(4), 500)
    proba[0] = [1.0, 0.0, 0.0, 0.0]  # a zero probability is clipped, not -inf
    assert abs(fm.log_loss(y, proba) - skm.log_loss(y, proba)) <= 1e-10
    assert abs(fm.log_loss(y, proba, sample_weight=w)
               - skm.log_loss(y, proba, sample_weight=w)) <= 1e-10
    yb = y % 2
    p1 = rng.random(500)
    assert abs(fm.log_loss(yb, p1) - skm.log_loss(yb, p1)) <= 1e-10


def test_label_metrics_forward_every_parameter_to_scikit_learn():
    """accuracy_score, confusion_matrix and log_loss are scikit-learn's behind a weight check."""
    rng = np.random.default_rng(3)
    y, pred = rng.integers(0, 3, 60), rng.integers(0, 3, 60)
    w = rng.random(60)
    assert fm.accuracy_score(y, pred, normalize=False, sample_weight=w) == \
        skm.accuracy_score(y, pred, normalize=False, sample_weight=w)
    for normalize in (None, "true", "all"):
        np.testing.assert_array_equal(
            fm.confusion_matrix(y, pred, labels=[2, 0, 1, 5], sample_weight=w,
                                normalize=normalize),
            skm.confusion_matrix(y, pred, labels=[2, 0, 1, 5], sample_weight=w,
                                 normalize=normalize))
    proba = rng.dirichlet(np.ones(4), 60)
    assert fm.log_loss(y, proba, labels=[0, 1, 2, 3], normalize=False) == \
        skm.log_loss(y, proba, labels=[0, 1, 2, 3], normalize=False)
    for metric, args in ((fm.accuracy_score, (y, pred)), (fm.confusion_matrix, (y, pred)),
                         (fm.log_loss, (y, proba))):
        with pytest.raises(ValueError, match="sample_weight"):
            metric(*args, sample_weight=w[:-1])
