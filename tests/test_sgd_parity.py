"""SGDClassifier / SGDRegressor against scikit-learn's: parameters, hostile input, state."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import linear_model as sk
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from fastmath.linear_model import SGDClassifier, SGDRegressor


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    X = StandardScaler().fit_transform(rng.standard_normal((120, 6)))
    y = (X[:, 0] - X[:, 1] + 0.3 * rng.standard_normal(120) > 0).astype(int)
    return X, y


def _pair(cls, **kw):
    kw = dict(shuffle=False, tol=None, max_iter=3, **kw)
    ours = {"clf": SGDClassifier, "reg": SGDRegressor}[cls](**kw)
    theirs = {"clf": sk.SGDClassifier, "reg": sk.SGDRegressor}[cls](**kw)
    return ours, theirs


def _assert_same_model(ours, theirs):
    assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-9)
    assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-6, atol=1e-9)
    assert ours.t_ == theirs.t_


@pytest.mark.parametrize("schedule", ["pa1", "pa2"])
@pytest.mark.parametrize("penalty", [None, "l2", "elasticnet"])
@pytest.mark.parametrize("sparse", [False, True])
def test_passive_aggressive_classifier_equals_sklearn(data, schedule, penalty, sparse):
    X, y = data
    X = X.copy()
    X[5] = 0.0  # a zero row: PA-I skips it without advancing t
    Xin = sp.csr_matrix(X) if sparse else X
    ours, theirs = _pair("clf", learning_rate=schedule, eta0=0.5, penalty=penalty)
    _assert_same_model(ours.fit(Xin, y), theirs.fit(Xin, y))


@pytest.mark.parametrize("schedule", ["pa1", "pa2"])
def test_passive_aggressive_regressor_equals_sklearn(data, schedule):
    X, _ = data
    y = X @ np.arange(1.0, 7.0) + 0.5
    ours, theirs = _pair("reg", loss="epsilon_insensitive", learning_rate=schedule, eta0=0.1,
                         penalty=None)
    _assert_same_model(ours.fit(X, y), theirs.fit(X, y))


def test_passive_aggressive_multiclass_equals_sklearn(data):
    X, _ = data
    y = np.digitize(X[:, 0], [-0.5, 0.5])
    ours, theirs = _pair("clf", learning_rate="pa2", eta0=1.0)
    _assert_same_model(ours.fit(X, y), theirs.fit(X, y))


@pytest.mark.parametrize("cls, loss", [(SGDClassifier, "log_loss"), (SGDRegressor, "huber")])
def test_passive_aggressive_needs_its_loss(data, cls, loss):
    X, y = data
    with pytest.raises(ValueError, match="only works with loss"):
        cls(loss=loss, learning_rate="pa1").fit(X, y)


def test_l1_ratio_none(data):
    X, y = data
    ours, theirs = _pair("clf", penalty="l2", l1_ratio=None)
    _assert_same_model(ours.fit(X, y), theirs.fit(X, y))
    with pytest.raises(ValueError, match="l1_ratio must be set"):
        SGDClassifier(penalty="elasticnet", l1_ratio=None).fit(X, y)


@pytest.mark.parametrize("name", ["alpha", "l1_ratio", "tol", "eta0", "power_t", "epsilon",
                                  "validation_fraction"])
def test_nan_parameters_are_refused_by_name(data, name):
    X, y = data
    for cls in (SGDClassifier, SGDRegressor):
        with pytest.raises(ValueError, match=name):
            cls(**{name: np.nan}).fit(X, y)


@pytest.mark.parametrize("bad", [dict(max_iter=2.5), dict(shuffle="yes"), dict(average=-1),
                                 dict(n_iter_no_change=0), dict(learning_rate="pa3")])
def test_parameter_types_follow_sklearn(data, bad):
    X, y = data
    with pytest.raises(ValueError) as ours:
        SGDClassifier(**bad).fit(X, y)
    with pytest.raises(ValueError) as theirs:
        sk.SGDClassifier(**bad).fit(X, y)
    assert type(ours.value) is type(theirs.value)
    assert next(iter(bad)) in str(ours.value)


def test_partial_fit_refuses_what_sklearn_refuses(data):
    X, y = data
    for kw, match in [(dict(early_stopping=True), "early_stopping"),
                      (dict(class_weight="balanced"), "balanced")]:
        with pytest.raises(ValueError, match=match):
            SGDClassifier(**kw).partial_fit(X, y, classes=[0, 1])
        with pytest.raises(ValueError):
            sk.SGDClassifier(**kw).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="early_stopping"):
        SGDRegressor(early_stopping=True).partial_fit(X, y)


def test_convergence_warning_as_sklearn(data):
    X, y = data
    for est in (SGDClassifier(max_iter=1), sk.SGDClassifier(max_iter=1)):
        with pytest.warns(ConvergenceWarning):
            est.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        SGDClassifier(max_iter=1, tol=None).fit(X, y)
        SGDClassifier(max_iter=1).partial_fit(X, y, classes=[0, 1])


def test_negative_sample_weights_as_sklearn(data):
    X, y = data
    sw = np.where(np.arange(len(y)) % 7 == 0, -0.5, 1.0)
    ours, theirs = _pair("clf", learning_rate="constant", eta0=0.01)
    _assert_same_model(ours.fit(X, y, sample_weight=sw), theirs.fit(X, y, sample_weight=sw))
    ours, theirs = _pair("clf")
    _assert_same_model(ours.fit(X, y, sample_weight=2.0), theirs.fit(X, y, sample_weight=2.0))


@pytest.mark.parametrize("sw, error", [
    ("nan", ValueError), ("inf", ValueError), ("zeros", ValueError), ("short", ValueError),
    ("2d", ValueError), ("complex", ValueError), ("text", ValueError)])
def test_hostile_sample_weight_is_refused(data, sw, error):
    X, y = data
    n = len(y)
    value = {"nan": np.r_[np.nan, np.ones(n - 1)], "inf": np.r_[np.inf, np.ones(n - 1)],
             "zeros": np.zeros(n), "short": np.ones(n - 1), "2d": np.ones((n, 1)),
             "complex": np.ones(n) * 1j, "text": ["a"] * n}[sw]
    for cls in (SGDClassifier, SGDRegressor):
        with pytest.raises(error, match="sample_weight|could not convert"):
            cls().fit(X, y, sample_weight=value)


def test_coef_init_and_intercept_init_shapes(data):
    X, y = data
    d = X.shape[1]
    SGDClassifier(max_iter=2, tol=None).fit(X, y, coef_init=np.zeros((d, 1)))
    SGDClassifier(max_iter=2, tol=None).fit(X, y, intercept_init=0.5)
    with pytest.raises(ValueError, match="intercept_init"):
        SGDClassifier().fit(X, y, intercept_init=np.zeros((1, 1)))
    with pytest.raises(TypeError, match="coef_init"):
        SGDClassifier().fit(X, y, coef_init=np.zeros(d) * 1j)
    with pytest.raises(TypeError, match="intercept_init"):
        SGDRegressor().fit(X, y, intercept_init=np.array([1j]))
    with pytest.raises(ValueError, match="coef_init"):
        SGDRegressor().fit(X, y, coef_init=np.full(d, np.nan))
    y3 = np.digitize(X[:, 0], [-0.5, 0.5])
    with pytest.raises(ValueError, match="coef_init"):  # transposed: refused, not reshaped
        SGDClassifier().fit(X, y3, coef_init=np.zeros((d, 3)))
    with pytest.raises(ValueError, match="intercept_init"):
        SGDClassifier().fit(X, y3, intercept_init=np.zeros(2))


def test_failed_refit_keeps_the_fitted_model(data):
    X, y = data
    kw = dict(loss="squared_error", random_state=0, learning_rate="constant", eta0=0.01)
    model = SGDClassifier(**kw).fit(X, y)
    before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(model).items()}
    X_huge = np.hstack([X, X]) * 1e150  # new width, and the weights overflow
    with pytest.raises(ValueError, match="diverged"):
        model.fit(X_huge, y)
    with pytest.raises(ValueError, match="diverged"):
        model.fit(X * 1e150, y)
    with pytest.raises(ValueError):
        model.fit(X, y, sample_weight=np.full(len(y), np.nan))
    assert vars(model).keys() == before.keys()
    for key, value in before.items():
        assert_array_equal(getattr(model, key), value)
    assert_array_equal(model.predict(X), SGDClassifier(**kw).fit(X, y).predict(X))


@pytest.mark.parametrize("cls", [SGDClassifier, SGDRegressor])
def test_sparsify_densify(data, cls):
    X, y = data
    model = cls(penalty="l1", alpha=0.05, random_state=0).fit(X, y)
    dense_pred = model.predict(X)
    coef = model.coef_.copy()
    assert sp.issparse(model.sparsify().coef_)
    assert_array_equal(model.predict(X), dense_pred)
    assert_array_equal(model.predict(sp.csr_matrix(X)), dense_pred)
    assert model.densify().coef_.shape == coef.shape
    assert_array_equal(model.coef_, coef)
    with pytest.raises(Exception, match="not fitted"):
        cls().sparsify()


def test_csr_with_duplicates_and_explicit_zeros_as_sklearn(data):
    X, y = data
    dense = sp.csr_matrix(X)
    indices, values, indptr = [], [], [0]
    for i in range(X.shape[0]):  # every stored entry split into two duplicates
        row = slice(dense.indptr[i], dense.indptr[i + 1])
        indices += [dense.indices[row]] * 2
        values += [dense.data[row] / 2] * 2
        indptr.append(indptr[-1] + 2 * (row.stop - row.start))
    duplicates = sp.csr_matrix((np.concatenate(values), np.concatenate(indices), indptr),
                               shape=X.shape)
    assert not duplicates.has_canonical_format
    zeros = sp.csr_matrix(X)
    zeros.data[::5] = 0.0  # stored zeros
    for Xs in (duplicates, zeros):
        for kw in (dict(penalty="l2"), dict(penalty="l1")):
            ours, theirs = _pair("clf", **kw)
            _assert_same_model(ours.fit(Xs, y), theirs.fit(Xs, y))


@pytest.mark.parametrize("loss", ["hinge", "log_loss"])
def test_csr_with_the_stopping_rule_matches_sklearn(data, loss):
    """CSR input with tol set: the same coefficients and the same epoch count as sklearn
    (the sparse intercept decay and the objective both enter the stopping rule)."""
    X, y = data
    Xs = sp.csr_matrix(np.where(np.abs(X) < 0.5, 0.0, X))
    one = dict(loss=loss, shuffle=False, max_iter=1, tol=None, random_state=0)
    ours, theirs = SGDClassifier(**one).fit(Xs, y), sk.SGDClassifier(**one).fit(Xs, y)
    assert_allclose(ours.coef_, theirs.coef_, rtol=1e-10)  # the same formulas, to rounding
    kw = dict(loss=loss, shuffle=False, max_iter=50, tol=1e-3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours, theirs = SGDClassifier(**kw).fit(Xs, y), sk.SGDClassifier(**kw).fit(Xs, y)
    assert ours.n_iter_ == theirs.n_iter_
    # over 50 epochs SGD amplifies last-bit differences (our products may fuse a
    # multiply-add where scikit-learn rounds twice): agreement to 1e-3, not to the bit
    assert_allclose(ours.coef_, theirs.coef_, rtol=1e-3)
    assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-3)
