import numpy as np
import pytest
import scipy.special
from conftest import DTYPES, LAYOUTS, in_layout, tol

import fastmath as fm
import reference as ref


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shape, axis", [((7, 33), -1), ((7, 33), 0), ((2, 3, 40), 1),
                                         ((1,), 0), ((5, 1), -1), ((4, 3, 2), -3)])
def test_matches_reference(rng, dtype, layout, shape, axis):
    x = in_layout((rng.standard_normal(shape) * 20).astype(dtype), layout)
    got = fm.softmax(x, axis=axis)
    assert got.dtype == dtype and got.shape == x.shape
    np.testing.assert_allclose(got, ref.softmax(x, axis), **tol(dtype))
    np.testing.assert_allclose(got.sum(axis=axis), 1, **tol(dtype, 10))
    lse = fm.logsumexp(x, axis=axis)
    assert lse.dtype == dtype
    np.testing.assert_allclose(lse, ref.logsumexp(x, axis), **tol(dtype, 100))


@pytest.mark.parametrize("dtype", DTYPES)
def test_large_inputs_do_not_overflow(dtype):
    x = np.array([[1e4, 1e4 - 1.0, -1e4], [-1e4, -1e4, -1e4]], dtype)
    got = fm.softmax(x)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, ref.softmax(x), **tol(dtype))
    np.testing.assert_allclose(fm.logsumexp(x), ref.logsumexp(x), rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_wide_range_matches_numpy_exp(dtype):
    # exercises the vectorized exp over its whole range, subnormals included
    lo = -740 if dtype == np.float64 else -100
    x = np.linspace(lo, 0, 5001).astype(dtype)[None, :]
    got = fm.softmax(x)
    want = ref.softmax(x)
    tiny = np.finfo(dtype).tiny
    np.testing.assert_allclose(got, want, rtol=1e-13 if dtype == np.float64 else 2e-6, atol=tiny)


def test_nan_and_inf_like_scipy():
    x = np.array([[0.0, np.nan, 1.0], [np.inf, 1.0, 2.0], [-np.inf, -np.inf, -np.inf],
                  [-np.inf, 0.0, 1.0], [np.inf, -np.inf, 0.0]])
    with np.errstate(invalid="ignore"):
        want_s = scipy.special.softmax(x, axis=-1)
        want_l = scipy.special.logsumexp(x, axis=-1)
    np.testing.assert_allclose(fm.softmax(x), want_s, rtol=1e-14)  # NaN where SciPy has NaN
    np.testing.assert_allclose(fm.logsumexp(x), want_l, rtol=1e-15)
    assert np.isnan(fm.logsumexp(x)[0]) and fm.logsumexp(x)[1] == np.inf
    assert fm.logsumexp(x)[2] == -np.inf


def test_against_scipy(rng):
    x = rng.standard_normal((30, 50)) * 5
    np.testing.assert_allclose(fm.softmax(x, 0), scipy.special.softmax(x, axis=0), rtol=1e-13)
    np.testing.assert_allclose(fm.logsumexp(x, 1), scipy.special.logsumexp(x, axis=1), rtol=1e-13)


def test_empty():
    assert fm.softmax(np.ones((0, 3))).shape == (0, 3)
    assert fm.softmax(np.ones((3, 0))).shape == (3, 0)
    np.testing.assert_array_equal(fm.logsumexp(np.ones((3, 0))), [-np.inf] * 3)
    assert fm.logsumexp(np.ones((0, 3))).shape == (0,)


def test_bad_input():
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        fm.softmax(np.ones((2, 2)), axis=2)
    with pytest.raises(TypeError, match="axis must be an integer"):
        fm.logsumexp(np.ones((2, 2)), axis=1.5)
    with pytest.raises(TypeError, match="x must hold real numbers"):
        fm.softmax(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="x must be at least 1-D"):
        fm.softmax(1.0)
