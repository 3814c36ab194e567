"""SGDClassifier / SGDRegressor against a textbook SGD loop, scikit-learn, and bad input."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import linear_model as sk
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import fastmath
from fastmath.linear_model import SGDClassifier, SGDRegressor
from fastmath._random import shuffle_inplace

import reference as ref
from conftest import in_layout

CLASSIFIER_LOSSES = ["hinge", "log_loss", "modified_huber", "squared_hinge", "perceptron"]
REGRESSOR_LOSSES = ["squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive"]
PENALTIES = ["l2", "l1", "elasticnet", None]
# SGD is stochastic: a sample weight of 2 scales that sample's step, which is
# not the same as visiting the sample twice (scikit-learn's own SGD estimators
# are marked the same way).
WEIGHT_EQUIVALENCE = "SGD is not equivalent to repeating samples: a weight scales one step"
EXPECTED_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": WEIGHT_EQUIVALENCE,
    "check_sample_weight_equivalence_on_sparse_data": WEIGHT_EQUIVALENCE,
}


@parametrize_with_checks([SGDClassifier(random_state=0), SGDRegressor(random_state=0)],
                         expected_failed_checks=lambda est: EXPECTED_FAILURES)
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def _binary(rng, n=120, d=6):
    X = rng.standard_normal((n, d))
    y = (X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n) > 0).astype(int)
    return X, y


def _fit_unshuffled(cls, X, y, **kw):
    return cls(shuffle=False, tol=None, max_iter=kw.pop("epochs", 2), **kw).fit(X, y)


@pytest.mark.parametrize("loss", CLASSIFIER_LOSSES)
@pytest.mark.parametrize("penalty", PENALTIES)
def test_classifier_matches_reference(rng, loss, penalty):
    X, y = _binary(rng)
    kw = dict(loss=loss, penalty=penalty, alpha=0.01, learning_rate="invscaling", eta0=0.05)
    model = _fit_unshuffled(SGDClassifier, X, y, **kw)
    w, b, _, _ = ref.sgd_epochs(X, 2.0 * y - 1.0, epochs=2, **kw)
    assert_allclose(model.coef_[0], w, rtol=1e-9, atol=1e-12)
    assert_allclose(model.intercept_[0], b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("loss", REGRESSOR_LOSSES)
@pytest.mark.parametrize("learning_rate", ["invscaling", "constant", "adaptive"])
def test_regressor_matches_reference(rng, loss, learning_rate):
    X = rng.standard_normal((100, 5))
    y = X @ rng.standard_normal(5) + 0.1 * rng.standard_normal(100)
    kw = dict(loss=loss, penalty="elasticnet", alpha=0.001, learning_rate=learning_rate,
              eta0=0.02)
    model = _fit_unshuffled(SGDRegressor, X, y, **kw)
    w, b, _, _ = ref.sgd_epochs(X, y, epochs=2, power_t=0.25, **kw)
    assert_allclose(model.coef_, w, rtol=1e-9, atol=1e-12)
    assert_allclose(model.intercept_[0], b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("penalty", ["l2", "elasticnet"])
@pytest.mark.parametrize("average", [1, 30])
def test_averaged_sgd_matches_reference(rng, penalty, average):
    X, y = _binary(rng)
    kw = dict(loss="hinge", penalty=penalty, alpha=0.001, learning_rate="constant", eta0=0.01)
    model = _fit_unshuffled(SGDClassifier, X, y, average=average, **kw)
    _, _, w, b = ref.sgd_epochs(X, 2.0 * y - 1.0, epochs=2, average=average, **kw)
    assert_allclose(model.coef_[0], w, rtol=1e-9, atol=1e-12)
    assert_allclose(model.intercept_[0], b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
def test_sparse_matches_reference(rng, penalty):
    """Sparse rows: O(nnz) updates, L1 only on stored features, damped intercept."""
    X = sp.random(150, 30, density=0.2, format="csr", random_state=1)
    y = (X @ rng.standard_normal(30) > 0.1).astype(int)
    kw = dict(loss="log_loss", penalty=penalty, alpha=0.01, learning_rate="optimal")
    model = _fit_unshuffled(SGDClassifier, X, y, **kw)
    w, b, _, _ = ref.sgd_epochs(X, 2.0 * y - 1.0, epochs=2, intercept_decay=0.01, **kw)
    assert_allclose(model.coef_[0], w, rtol=1e-9, atol=1e-12)
    assert_allclose(model.intercept_[0], b, rtol=1e-9, atol=1e-12)


def test_sample_and_class_weights_match_reference(rng):
    X, y = _binary(rng)
    sw = rng.uniform(0.2, 2.0, size=y.shape[0])
    kw = dict(loss="modified_huber", alpha=0.01, learning_rate="constant", eta0=0.01)
    class_only = _fit_unshuffled(SGDClassifier, X, y, class_weight={0: 2.0, 1: 0.5}, **kw)
    w, b, _, _ = ref.sgd_epochs(X, 2.0 * y - 1.0, epochs=2, weight_pos=0.5, weight_neg=2.0,
                                **kw)
    assert_allclose(class_only.coef_[0], w, rtol=1e-9, atol=1e-12)
    assert_allclose(class_only.intercept_[0], b, rtol=1e-9, atol=1e-12)
    both = SGDClassifier(shuffle=False, tol=None, max_iter=2, class_weight={0: 2.0, 1: 0.5},
                         **kw).fit(X, y, sample_weight=sw)
    w, b, _, _ = ref.sgd_epochs(X, 2.0 * y - 1.0, epochs=2, sample_weight=sw, weight_pos=0.5,
                                weight_neg=2.0, **kw)
    assert_allclose(both.coef_[0], w, rtol=1e-9, atol=1e-12)
    assert_allclose(both.intercept_[0], b, rtol=1e-9, atol=1e-12)


def test_multiclass_is_one_vs_rest_of_reference(rng):
    X = rng.standard_normal((90, 4))
    y = np.array(["a", "b", "c"])[(X @ rng.standard_normal((4, 3))).argmax(axis=1)]
    kw = dict(loss="hinge", alpha=0.01, learning_rate="constant", eta0=0.01)
    model = _fit_unshuffled(SGDClassifier, X, y, **kw)
    assert_array_equal(model.classes_, ["a", "b", "c"])
    assert model.coef_.shape == (3, 4)
    for k, label in enumerate(model.classes_):
        w, b, _, _ = ref.sgd_epochs(X, np.where(y == label, 1.0, -1.0), epochs=2, **kw)
        assert_allclose(model.coef_[k], w, rtol=1e-9, atol=1e-12)
        assert_allclose(model.intercept_[k], b, rtol=1e-9, atol=1e-12)
    assert set(model.predict(X)) <= {"a", "b", "c"}


@pytest.mark.parametrize("kw", [dict(loss="hinge"), dict(loss="log_loss", penalty="l1"),
                                dict(loss="modified_huber", average=True)])
def test_unshuffled_fit_equals_sklearn(rng, kw):
    X, y = _binary(rng)
    X = StandardScaler().fit_transform(X)
    ours = SGDClassifier(shuffle=False, tol=None, max_iter=3, **kw).fit(X, y)
    theirs = sk.SGDClassifier(shuffle=False, tol=None, max_iter=3, **kw).fit(X, y)
    # the same arithmetic up to rounding, which a few hundred steps amplify slightly
    assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5, atol=1e-8)
    assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("layout", ["F", "strided", "reversed"])
def test_layouts_give_the_same_model(rng, layout):
    X, y = _binary(rng)
    base = SGDClassifier(random_state=3, max_iter=5, tol=None).fit(X, y)
    other = SGDClassifier(random_state=3, max_iter=5, tol=None).fit(in_layout(X, layout), y)
    assert_allclose(other.coef_, base.coef_, rtol=1e-12)


def test_float32_stays_float32_and_agrees_with_float64(rng):
    X, y = _binary(rng)
    kw = dict(loss="log_loss", alpha=0.01, random_state=0, max_iter=5, tol=None)
    m32 = SGDClassifier(**kw).fit(X.astype(np.float32), y)
    m64 = SGDClassifier(**kw).fit(X, y)
    assert m32.coef_.dtype == np.float32 and m32.intercept_.dtype == np.float32
    assert m32.decision_function(X.astype(np.float32)).dtype == np.float32
    assert_allclose(m32.coef_, m64.coef_, rtol=1e-3, atol=1e-3)
    r32 = SGDRegressor(random_state=0).fit(X.astype(np.float32), X[:, 0])
    assert r32.coef_.dtype == np.float32


def test_sparse_equals_dense_without_intercept(rng):
    X, y = _binary(rng)
    X[np.abs(X) < 0.7] = 0.0
    kw = dict(loss="hinge", penalty="l2", fit_intercept=False, random_state=0, max_iter=4,
              tol=None)
    dense = SGDClassifier(**kw).fit(X, y)
    sparse = SGDClassifier(**kw).fit(sp.csr_matrix(X), y)
    assert_allclose(sparse.coef_, dense.coef_, rtol=1e-10, atol=1e-12)
    coo = SGDClassifier(**kw).fit(sp.coo_matrix(X), y)
    assert_allclose(coo.coef_, dense.coef_, rtol=1e-10, atol=1e-12)


def test_same_seed_same_model_and_thread_count_does_not_matter(rng):
    X = rng.standard_normal((300, 5))
    y = (X @ rng.standard_normal((5, 4))).argmax(axis=1)
    a = SGDClassifier(random_state=7, n_jobs=1).fit(X, y)
    b = SGDClassifier(random_state=7, n_jobs=2).fit(X, y)
    c = SGDClassifier(random_state=8, n_jobs=2).fit(X, y)
    assert_array_equal(a.coef_, b.coef_)
    assert a.n_iter_ == b.n_iter_
    assert not np.array_equal(a.coef_, c.coef_)


def test_shuffle_is_a_seeded_permutation():
    order = np.arange(1000, dtype=np.int64)
    state = np.array([42], dtype=np.uint64)
    shuffle_inplace(order, state)
    assert_array_equal(np.sort(order), np.arange(1000))
    assert not np.array_equal(order, np.arange(1000))
    again = np.arange(1000, dtype=np.int64)
    shuffle_inplace(again, np.array([42], dtype=np.uint64))
    assert_array_equal(order, again)


def test_partial_fit_continues_like_fit(rng):
    X, y = _binary(rng)
    kw = dict(loss="hinge", alpha=0.01, shuffle=False, learning_rate="invscaling", eta0=0.05)
    full = SGDClassifier(max_iter=3, tol=None, **kw).fit(X, y)
    part = SGDClassifier(**kw)
    for _ in range(3):
        part.partial_fit(X, y, classes=[0, 1])
    assert_allclose(part.coef_, full.coef_, rtol=1e-9)
    assert part.t_ == full.t_
    reg = SGDRegressor(shuffle=False)
    for _ in range(3):
        reg.partial_fit(X, X[:, 0])
    assert_allclose(reg.coef_, SGDRegressor(shuffle=False, max_iter=3, tol=None)
                    .fit(X, X[:, 0]).coef_, rtol=1e-9)


def _mean_accuracy(cls, X_train, y_train, X_test, y_test, seeds, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return np.mean([cls(random_state=s, **kw).fit(X_train, y_train).score(X_test, y_test)
                        for s in seeds])


@pytest.mark.parametrize("kw", [dict(loss="hinge"), dict(loss="log_loss"),
                                dict(loss="modified_huber", penalty="elasticnet"),
                                dict(loss="log_loss", penalty="l1", average=True)])
def test_accuracy_within_half_a_point_of_sklearn_on_breast_cancer(kw):
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    seeds = range(20)  # one test sample is 0.6 points: compare means over seeds
    ours = _mean_accuracy(SGDClassifier, X_train, y_train, X_test, y_test, seeds, **kw)
    theirs = _mean_accuracy(sk.SGDClassifier, X_train, y_train, X_test, y_test, seeds, **kw)
    assert abs(ours - theirs) <= 0.005, (ours, theirs)


@pytest.mark.parametrize("kw", [dict(loss="hinge"), dict(loss="log_loss"),
                                dict(loss="hinge", average=True, max_iter=5, tol=None)])
def test_accuracy_within_half_a_point_of_sklearn_on_generated_multiclass(kw):
    X, y = make_classification(n_samples=10000, n_features=20, n_informative=6, n_redundant=2,
                               n_classes=3, class_sep=2.0, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    ours = _mean_accuracy(SGDClassifier, X_train, y_train, X_test, y_test, range(10), **kw)
    theirs = _mean_accuracy(sk.SGDClassifier, X_train, y_train, X_test, y_test, range(10), **kw)
    assert abs(ours - theirs) <= 0.005, (ours, theirs)


def test_regressor_recovers_coefficients_like_sklearn(rng):
    X = rng.standard_normal((2000, 4))
    y = X @ np.array([1.5, -2.0, 0.0, 0.5]) + 1.0 + 0.01 * rng.standard_normal(2000)
    ours = SGDRegressor(random_state=0).fit(X, y)
    theirs = sk.SGDRegressor(random_state=0).fit(X, y)
    assert_allclose(ours.coef_, theirs.coef_, atol=0.02)
    assert ours.score(X, y) > 0.999


def test_predict_proba(rng):
    X = rng.standard_normal((200, 5))
    y = (X @ rng.standard_normal((5, 3))).argmax(axis=1)
    for loss in ("log_loss", "modified_huber"):
        model = SGDClassifier(loss=loss, random_state=0).fit(X, y)
        proba = model.predict_proba(X)
        assert proba.shape == (200, 3)
        assert_allclose(proba.sum(axis=1), 1.0)
        assert np.all((proba >= 0) & (proba <= 1))
        with np.errstate(divide="ignore"):
            assert_allclose(np.log(proba), model.predict_log_proba(X))
    binary = SGDClassifier(loss="log_loss", random_state=0).fit(X, y == 0)
    p = binary.predict_proba(X)
    assert_allclose(p[:, 1], 1.0 / (1.0 + np.exp(-binary.decision_function(X))))
    assert_array_equal(binary.predict(X), binary.classes_[p.argmax(axis=1)])
    hinge = SGDClassifier(loss="hinge").fit(X, y)
    assert not hasattr(hinge, "predict_proba")


def test_pipeline_and_grid_search(rng):
    X, y = _binary(rng, n=200)
    pipe = make_pipeline(StandardScaler(), SGDClassifier(random_state=0))
    grid = GridSearchCV(pipe, {"sgdclassifier__alpha": [1e-4, 1e-2],
                               "sgdclassifier__loss": ["hinge", "log_loss"]}, cv=3)
    grid.fit(X, y)
    assert grid.best_score_ > 0.8
    assert grid.best_params_["sgdclassifier__alpha"] in (1e-4, 1e-2)


def test_early_stopping_and_convergence(rng):
    X, y = _binary(rng, n=400)
    model = SGDClassifier(early_stopping=True, random_state=0, max_iter=1000).fit(X, y)
    assert 1 <= model.n_iter_ < 1000
    reg = SGDRegressor(early_stopping=True, random_state=0).fit(X, X[:, 0] * 2.0)
    assert reg.n_iter_ < 1000
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        SGDClassifier(max_iter=2, tol=1e-9, random_state=0).fit(X, y)
    adaptive = SGDClassifier(learning_rate="adaptive", eta0=0.1, random_state=0).fit(X, y)
    assert adaptive.score(X, y) > 0.8


def test_warm_start_and_coef_init(rng):
    X, y = _binary(rng)
    first = SGDClassifier(random_state=0, max_iter=3, tol=None).fit(X, y)
    w = first.coef_.copy()
    warm = SGDClassifier(random_state=0, max_iter=1, tol=None, warm_start=True,
                         shuffle=False, learning_rate="constant", eta0=1e-12)
    warm.fit(X, y, coef_init=w, intercept_init=first.intercept_)
    assert_allclose(warm.coef_, w, rtol=1e-6)
    with pytest.raises(ValueError, match="coef_init"):
        SGDClassifier().fit(X, y, coef_init=np.zeros((2, 5)))


@pytest.mark.parametrize("bad, match", [
    (dict(loss="hinge_plus"), "loss"), (dict(penalty="l3"), "penalty"),
    (dict(learning_rate="fast"), "learning_rate"), (dict(alpha=-1.0), "alpha"),
    (dict(l1_ratio=1.5), "l1_ratio"), (dict(max_iter=0), "max_iter"),
    (dict(learning_rate="constant", eta0=0.0), "eta0"), (dict(validation_fraction=1.0),
                                                         "validation_fraction"),
    (dict(class_weight="heavy"), "class_weight"), (dict(class_weight={5: 1.0}), "class_weight"),
])
def test_bad_parameters_name_the_parameter(rng, bad, match):
    X, y = _binary(rng)
    with pytest.raises(ValueError, match=match):
        SGDClassifier(**bad).fit(X, y)


def test_bad_data(rng):
    X, y = _binary(rng)
    for value in (np.nan, np.inf):
        Xb = X.copy()
        Xb[3, 2] = value
        with pytest.raises(ValueError):
            SGDClassifier().fit(Xb, y)
        with pytest.raises(ValueError):
            SGDClassifier().fit(sp.csr_matrix(Xb), y)
    with pytest.raises(ValueError, match="class"):
        SGDClassifier().fit(X, np.zeros_like(y))
    with pytest.raises(ValueError):
        SGDClassifier().fit(X, y[:-1])
    with pytest.raises(ValueError):
        SGDClassifier().fit(X[:0], y[:0])
    # negative weights are allowed, as in scikit-learn; NaN is not
    with pytest.raises(ValueError, match="sample_weight"):
        SGDClassifier().fit(X, y, sample_weight=np.full(len(y), np.nan))
    model = SGDClassifier().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :3])
    with pytest.raises(ValueError, match="classes"):
        SGDClassifier().partial_fit(X, y)
    part = SGDClassifier().partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="classes"):
        part.partial_fit(X, y + 5)


def test_malformed_csr_is_rejected(rng):
    X = sp.random(20, 5, density=0.5, format="csr", random_state=0)
    y = np.arange(20) % 2
    X.indices[3] = 99
    with pytest.raises(ValueError, match="out of range|column index"):
        SGDClassifier().fit(X, y)


def test_divergence_raises_and_leaves_the_model_unchanged(rng):
    X, y = _binary(rng)
    X_huge = X * 1e150  # finite, but w.x overflows: the weights become NaN
    model = SGDRegressor(random_state=0).fit(X, X[:, 0])
    coef, intercept = model.coef_.copy(), model.intercept_.copy()
    with pytest.raises(ValueError, match="smaller learning rate"):
        model.partial_fit(X_huge, X[:, 0])
    assert_array_equal(model.coef_, coef)
    assert_array_equal(model.intercept_, intercept)
    with pytest.raises(ValueError, match="diverged"):
        SGDClassifier(loss="squared_error", learning_rate="constant", eta0=0.01).fit(X_huge, y)


def test_one_feature_and_tiny_inputs(rng):
    X = rng.standard_normal((40, 1))
    y = (X[:, 0] > 0).astype(int)
    model = SGDClassifier(random_state=0).fit(X, y)
    assert model.score(X, y) > 0.9
    two = SGDClassifier(random_state=0).fit(X[:2] * 0 + [[1.0], [-1.0]], [0, 1])
    assert_array_equal(two.predict([[1.0], [-1.0]]), [0, 1])
    reg = SGDRegressor().fit([[1.0]], [2.0])
    assert reg.predict([[1.0]]).shape == (1,)


@pytest.mark.parametrize("kw", [dict(loss="log_loss"), dict(loss="modified_huber", penalty="l1"),
                                dict(loss="hinge", penalty="elasticnet", average=10),
                                dict(loss="hinge", early_stopping=True)])
def test_two_thread_dense_fit_equals_the_serial_fit(rng, kw, monkeypatch):
    """One dense problem on 2 threads (a gather thread feeds the trainer) changes nothing.

    Every epoch runs blocks both ways (pipelined and straight) before it picks
    one, so both are exercised.
    """
    from fastmath.linear_model import _base

    calls = []
    real = _base.K.fit_one_pipelined
    monkeypatch.setattr(_base.K, "fit_one_pipelined", lambda *a: calls.append(1) or real(*a))
    X = rng.standard_normal((40_000, 20))
    y = (X[:, 0] + 0.3 * rng.standard_normal(40_000) > 0).astype(int)
    serial = SGDClassifier(random_state=0, n_jobs=1, **kw).fit(X, y)
    assert calls == []
    piped = SGDClassifier(random_state=0, n_jobs=2, **kw).fit(X, y)
    assert calls == [1] or fastmath.max_threads() < 2
    assert_array_equal(piped._standard_coef, serial._standard_coef)
    assert_array_equal(piped.intercept_, serial.intercept_)
    assert_allclose(piped.coef_, serial.coef_, rtol=1e-12, atol=1e-14)
    assert piped.n_iter_ == serial.n_iter_

    target = X @ rng.standard_normal(20)
    piped_reg = SGDRegressor(random_state=0).fit(X, target)  # all threads: the two-thread path
    fastmath.set_num_threads(1)
    try:
        serial_reg = SGDRegressor(random_state=0).fit(X, target)
    finally:
        fastmath.set_num_threads(fastmath.max_threads())
    assert_array_equal(piped_reg.coef_, serial_reg.coef_)
