import math

import numpy as np
import pytest
import scipy.special
from conftest import DTYPES, LAYOUTS, in_layout, tol

import fastmath as fm
import reference as ref


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shape, axis", [((7, 33), -1), ((7, 33), 0), ((2, 3, 40), 1),
                                         ((1,), 0), ((5, 1), -1), ((4, 3, 2), -3),
                                         ((7, 33), None), ((4, 3, 5), (0, 2)), ((3, 4), (1, 0))])
def test_matches_reference(rng, dtype, layout, shape, axis):
    x = in_layout((rng.standard_normal(shape) * 20).astype(dtype), layout)
    got = fm.softmax(x, axis=axis)
    assert got.dtype == dtype and got.shape == x.shape
    np.testing.assert_allclose(got, ref.softmax(x, axis), **tol(dtype))
    np.testing.assert_allclose(got.sum(axis=axis), 1, **tol(dtype, 10))
    lse = fm.logsumexp(x, axis=axis)
    assert lse.dtype == dtype
    np.testing.assert_allclose(lse, ref.logsumexp(x, axis), **tol(dtype, 100))


def test_default_axis_is_the_whole_array_as_scipy():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert fm.softmax(x).sum() == pytest.approx(1.0)
    np.testing.assert_allclose(fm.softmax(x), ref.softmax(x, None), rtol=1e-15)
    full = fm.logsumexp(x)
    assert isinstance(full, np.float64) and not isinstance(full, np.ndarray)
    assert full == pytest.approx(math.log(sum(math.exp(v) for v in x.ravel())), rel=1e-15)


def test_scalars_give_numpy_scalars():
    assert fm.softmax(3.0) == 1.0 and isinstance(fm.softmax(3.0), np.float64)
    assert isinstance(fm.softmax(np.float32(2.0)), np.float32)
    assert fm.logsumexp(3.0) == 3.0 and isinstance(fm.logsumexp(3.0), np.float64)


def test_logsumexp_keeps_precision_near_the_maximum():
    exact = math.log1p(math.exp(-20.0))
    assert abs(fm.logsumexp([0.0, -20.0]) - exact) <= 1e-15 * exact
    exact = 1e4 + math.log1p(3 * math.exp(-30.0))
    assert fm.logsumexp([1e4, 1e4 - 30, 1e4 - 30, 1e4 - 30]) == pytest.approx(exact, rel=1e-16)


def test_keepdims_weights_and_sign():
    x = np.arange(12.0).reshape(3, 4)
    got = fm.logsumexp(x, axis=1, keepdims=True)
    assert got.shape == (3, 1)
    np.testing.assert_allclose(got[:, 0], ref.logsumexp(x, 1), rtol=1e-15)
    b = np.array([1.0, 2.0, 0.0, 0.5])
    want = np.log((b * np.exp(x)).sum(axis=1))
    np.testing.assert_allclose(fm.logsumexp(x, axis=1, b=b), want, rtol=1e-14)
    value, sign = fm.logsumexp([1.0, 2.0], b=[1.0, -1.0], return_sign=True)
    assert sign == -1.0 and value == pytest.approx(math.log(math.e ** 2 - math.e), rel=1e-15)
    assert np.isnan(fm.logsumexp([1.0, 2.0], b=[1.0, -1.0]))
    assert fm.logsumexp([1.0, 1.0], b=[1.0, -1.0], return_sign=True) == (-np.inf, 0.0)
    assert fm.logsumexp([1.0, 2.0], b=0.0) == -np.inf


@pytest.mark.parametrize("dtype", DTYPES)
def test_large_inputs_do_not_overflow(dtype):
    x = np.array([[1e4, 1e4 - 1.0, -1e4], [-1e4, -1e4, -1e4]], dtype)
    got = fm.softmax(x, axis=-1)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, ref.softmax(x, -1), **tol(dtype))
    np.testing.assert_allclose(fm.logsumexp(x, axis=-1), ref.logsumexp(x, -1), rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_wide_range_matches_numpy_exp(dtype):
    # exercises the vectorized exp over its whole range, subnormals included
    lo = -740 if dtype == np.float64 else -100
    x = np.linspace(lo, 0, 5001).astype(dtype)[None, :]
    got = fm.softmax(x, axis=-1)
    want = ref.softmax(x, -1)
    tiny = np.finfo(dtype).tiny
    np.testing.assert_allclose(got, want, rtol=1e-13 if dtype == np.float64 else 2e-6, atol=tiny)


def test_float32_long_rows_keep_their_accuracy():
    # float32 row sums run in short float32 blocks added in float64; one
    # float32 sum over millions of terms of 1 and 0.1 drifts by far more
    x = np.zeros(4_000_000, np.float32)
    x[1::2] = np.log(0.1)
    got = fm.softmax(x)
    want = ref.softmax(x.astype(np.float64), None)
    np.testing.assert_allclose(got, want, rtol=2e-6)


def test_nan_and_inf_like_scipy():
    x = np.array([[0.0, np.nan, 1.0], [np.inf, 1.0, 2.0], [-np.inf, -np.inf, -np.inf],
                  [-np.inf, 0.0, 1.0], [np.inf, -np.inf, 0.0]])
    with np.errstate(invalid="ignore"):
        want_s = scipy.special.softmax(x, axis=-1)
        want_l = scipy.special.logsumexp(x, axis=-1)
    np.testing.assert_allclose(fm.softmax(x, axis=-1), want_s, rtol=1e-14)  # NaN where SciPy has NaN
    got = fm.logsumexp(x, axis=-1)
    np.testing.assert_allclose(got, want_l, rtol=1e-15)
    assert np.isnan(got[0]) and got[1] == np.inf and got[2] == -np.inf


@pytest.mark.parametrize("dtype", DTYPES)
def test_row_maximum_over_every_kind_of_float(rng, dtype):
    # the row maximum is taken over integer keys of the bit patterns: it must
    # order negatives, zeros of both signs, subnormals and infinities as
    # floats do, and still return NaN for rows that hold one
    from fastmath.linalg._kernels import _row_max

    info = np.finfo(dtype)
    special = np.array([-np.inf, -info.max, -1.5, -info.tiny, -info.smallest_subnormal, -0.0,
                        0.0, info.smallest_subnormal, info.tiny, 1.5, info.max, np.inf], dtype)
    for _ in range(200):
        row = rng.choice(special, size=int(rng.integers(1, 40)))
        assert _row_max(row) == np.max(row)
    negatives = -rng.random(100).astype(dtype) - dtype(1)
    assert _row_max(negatives) == negatives.max()
    assert _row_max(negatives[::3]) == negatives[::3].max()  # a strided row
    for position in (0, 17, 99):
        with_nan = negatives.copy()
        with_nan[position] = np.nan
        assert np.isnan(_row_max(with_nan))


def test_empty():
    assert fm.softmax(np.ones((0, 3)), axis=1).shape == (0, 3)
    with pytest.raises(ValueError, match="empty"):
        fm.softmax(np.ones((3, 0)), axis=1)
    with pytest.raises(ValueError, match="empty"):
        fm.softmax([])
    np.testing.assert_array_equal(fm.logsumexp(np.ones((3, 0)), axis=1), [-np.inf] * 3)
    assert fm.logsumexp(np.ones((0, 3)), axis=1).shape == (0,)
    assert fm.logsumexp([]) == -np.inf


def test_bad_input():
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        fm.softmax(np.ones((2, 2)), axis=2)
    with pytest.raises(np.exceptions.AxisError):
        fm.logsumexp(np.ones(3), axis=1)
    with pytest.raises(TypeError, match="axis must be an integer"):
        fm.logsumexp(np.ones((2, 2)), axis=1.5)
    with pytest.raises(ValueError, match="repeats an axis"):
        fm.softmax(np.ones((2, 2)), axis=(0, 0))
    with pytest.raises(TypeError, match="x must hold real numbers"):
        fm.softmax(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="do not broadcast"):
        fm.logsumexp(np.ones(3), b=np.ones(2))
    with pytest.raises(TypeError, match="b must hold real numbers"):
        fm.logsumexp(np.ones(3), b=np.array(["a"] * 3))
