"""Classification metrics against scikit-learn (1e-10 in float64), ties and constants included."""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import metrics as skm

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
    with pytest.raises(ValueError, match="NaN"):
        fm.average_precision_score([0, 1], [0.5, np.inf])
    with pytest.raises(ValueError, match="One class|Only one class"):
        fm.roc_auc_score([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="lengths"):
        fm.roc_auc_score([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="binary"):
        fm.roc_auc_score([0, 1, 2], [0.1, 0.2, 0.3])
    for metric in (fm.roc_auc_score, fm.average_precision_score, fm.roc_curve,
                   fm.precision_recall_curve):
        with pytest.raises(ValueError, match="empty"):
            metric([], [])


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


def test_bad_label_input():
    with pytest.raises(ValueError, match="same length"):
        fm.confusion_matrix([0, 1], [0])
    with pytest.raises(ValueError, match="normalize"):
        fm.confusion_matrix([0, 1], [0, 1], normalize="rows")
    with pytest.raises(ValueError, match="sum to one"):
        fm.log_loss([0, 1], [[0.5, 0.6], [0.2, 0.8]])
    with pytest.raises(ValueError, match="NaN"):
        fm.log_loss([0, 1], [0.5, np.nan])
    with pytest.raises(ValueError, match="one label"):
        fm.log_loss([1, 1], [0.5, 0.5])
