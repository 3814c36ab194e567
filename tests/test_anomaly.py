"""Outlier detectors on data with planted outliers; the scikit-learn detector API."""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from fastmath.anomaly import MahalanobisDetector, RobustZScoreDetector, ZScoreDetector
from fastmath.metrics import roc_auc_score
from fastmath.stats import mahalanobis

DETECTORS = [ZScoreDetector, RobustZScoreDetector, MahalanobisDetector]


def _planted(rng, n=2000, d=4, n_out=40):
    A = rng.standard_normal((d, d))
    X = rng.standard_normal((n, d)) @ A + 10.0
    y = np.zeros(n, bool)
    y[:n_out] = True
    X[:n_out] += rng.choice([-1, 1], (n_out, d)) * 6 * np.abs(A).sum(axis=0)
    return X, y


@pytest.mark.parametrize("Detector", DETECTORS)
def test_planted_outliers_are_found(rng, Detector):
    X, outlier = _planted(rng)
    det = Detector(contamination=0.02).fit(X)
    pred = det.predict(X)
    assert set(np.unique(pred)) <= {-1, 1}
    assert (pred[outlier] == -1).mean() > 0.9
    assert (pred[~outlier] == 1).mean() > 0.99
    assert roc_auc_score(outlier, -det.score_samples(X)) > 0.99
    assert_allclose(det.decision_function(X), det.score_samples(X) - det.offset_)
    assert abs((det.decision_function(X) < 0).mean() - 0.02) <= 0.001
    assert_array_equal(Detector(contamination=0.02).fit_predict(X), pred)


def test_scores_are_the_documented_statistics(rng):
    X, _ = _planted(rng)
    z = ZScoreDetector().fit(X)
    assert_allclose(-z.score_samples(X), np.max(np.abs((X - X.mean(0)) / X.std(0)), axis=1),
                    rtol=1e-10)
    r = RobustZScoreDetector().fit(X)
    med = np.median(X, axis=0)
    mad = np.median(np.abs(X - med), axis=0) * 1.4826022185056018
    assert_allclose(-r.score_samples(X), np.max(np.abs(X - med) / mad, axis=1), rtol=1e-10)
    m = MahalanobisDetector().fit(X)
    assert_allclose(-m.score_samples(X), mahalanobis(X, X.mean(0), np.cov(X.T)), rtol=1e-9)


@pytest.mark.parametrize("Detector", [ZScoreDetector, MahalanobisDetector])
def test_partial_fit_on_a_stream_equals_fit(rng, Detector):
    X, _ = _planted(rng)
    whole = Detector(random_state=0).fit(X)
    stream = Detector(random_state=0)
    for part in np.array_split(X, 7):
        stream.partial_fit(part)
    assert_allclose(stream.score_samples(X), whole.score_samples(X), rtol=1e-9)
    assert_allclose(stream.offset_, whole.offset_, rtol=1e-9)


def test_robust_partial_fit_is_exact_within_the_reservoir(rng):
    X, _ = _planted(rng, n=500)
    whole = RobustZScoreDetector(max_samples=1000).fit(X)
    stream = RobustZScoreDetector(max_samples=1000)
    for part in np.array_split(X, 5):
        stream.partial_fit(part)
    assert_allclose(stream.score_samples(X), whole.score_samples(X), rtol=1e-12)
    big = RobustZScoreDetector(max_samples=200, random_state=0)
    for part in np.array_split(X, 5):
        big.partial_fit(part)
    assert np.all(np.isfinite(big.score_samples(X)))


@pytest.mark.parametrize("Detector", DETECTORS)
def test_nan_in_training_data_raises(Detector):
    X = np.ones((10, 2))
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Detector().fit(X)


def test_singular_covariance_is_handled(rng):
    x = rng.standard_normal((200, 2))
    X = np.column_stack([x, x[:, 0] + x[:, 1]])  # rank 2 in 3 dimensions
    with pytest.raises(ValueError, match="shrinkage"):
        MahalanobisDetector().fit(X)
    for shrinkage in (0.1, "auto"):
        det = MahalanobisDetector(shrinkage=shrinkage).fit(X)
        assert np.all(np.isfinite(det.score_samples(X)))
    constant = np.column_stack([x, np.ones(200)])
    scores = ZScoreDetector().fit(constant).score_samples(constant)
    assert np.all(np.isfinite(scores))
    away = constant[:1].copy()
    away[0, 2] = 2.0  # deviates on a feature that never varied
    assert ZScoreDetector().fit(constant).predict(away)[0] == -1


def test_bad_parameters_and_features(rng):
    X, _ = _planted(rng, n=100)
    for bad in (dict(contamination=0.0), dict(contamination=0.7), dict(max_samples=1)):
        with pytest.raises(ValueError):
            ZScoreDetector(**bad).fit(X)
    with pytest.raises(ValueError, match="shrinkage"):
        MahalanobisDetector(shrinkage=2.0).fit(X)
    det = ZScoreDetector().fit(X)
    with pytest.raises(ValueError, match="features"):
        det.predict(X[:, :2])


@pytest.mark.parametrize("Detector", DETECTORS)
def test_float32_input_agrees_with_float64(rng, Detector):
    X, _ = _planted(rng, n=500)
    a = Detector(random_state=0).fit(X.astype(np.float32))
    b = Detector(random_state=0).fit(X.astype(np.float32).astype(np.float64))
    assert_allclose(a.score_samples(X), b.score_samples(X), rtol=1e-5)  # float32 medians
    assert_array_equal(a.predict(X), b.predict(X))


@pytest.mark.parametrize("Detector", DETECTORS)
def test_a_failed_update_leaves_the_model_unchanged(rng, Detector):
    X, _ = _planted(rng, n=200)
    det = Detector(random_state=0).fit(X)
    before = (det.offset_, det.score_samples(X), det.n_features_in_)
    bad_updates = [X[:10, :2], np.full((3, X.shape[1]), np.nan)]
    if Detector is not RobustZScoreDetector:  # medians of huge values do not overflow
        bad_updates.append(X[:10] * 1e200)
    for bad in bad_updates:
        with pytest.raises(ValueError):
            det.partial_fit(bad)
        assert det.offset_ == before[0] and det.n_features_in_ == before[2]
        np.testing.assert_array_equal(det.score_samples(X), before[1])
    refit = Detector(random_state=0).fit(X)
    with pytest.raises(ValueError):
        refit.fit(X[:1])
    np.testing.assert_array_equal(refit.score_samples(X), before[1])
    # and the stream continues as if the bad updates never came
    np.testing.assert_array_equal(det.partial_fit(X[:50]).score_samples(X),
                                  Detector(random_state=0).fit(X).partial_fit(X[:50])
                                  .score_samples(X))


@pytest.mark.parametrize("bad", [dict(contamination=np.nan), dict(contamination="auto"),
                                 dict(max_samples=np.nan), dict(random_state="seed")])
def test_hostile_parameters_are_refused_by_name(rng, bad):
    X, _ = _planted(rng, n=100)
    for Detector in DETECTORS:
        with pytest.raises(ValueError, match=next(iter(bad))):
            Detector(**bad).fit(X)
    with pytest.raises(ValueError, match="shrinkage"):
        MahalanobisDetector(shrinkage=np.nan).fit(X)
