import numpy as np
import pytest
from conftest import DTYPES, LAYOUTS, in_layout, tol

import fastmath as fm
import reference as ref

ACTS = [None, "relu", "sigmoid", "tanh"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("shape", [(17, 5, 3), (1, 1, 1), (64, 33, 8)])
def test_forward_and_backward(rng, dtype, layout, act, shape):
    n, d_in, d_out = shape
    x = in_layout(rng.standard_normal((n, d_in)).astype(dtype), layout)
    w = in_layout(rng.standard_normal((d_in, d_out)).astype(dtype), layout)
    b = in_layout(rng.standard_normal(d_out).astype(dtype), layout)
    y = fm.linear(x, w, b, act)
    assert y.dtype == dtype and y.flags.c_contiguous
    np.testing.assert_allclose(y, ref.linear(x, w, b, act), **tol(dtype, 10))
    g = in_layout(rng.standard_normal((n, d_out)).astype(dtype), layout)
    got = fm.linear_backward(g, x, w, y, act)
    want = ref.linear_backward(g, x, w, y, act)
    for a, e in zip(got, want):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, e, **tol(dtype, 10 * n))


def test_no_bias(rng):
    x, w = rng.standard_normal((6, 3)), rng.standard_normal((3, 2))
    np.testing.assert_allclose(fm.linear(x, w), x @ w, rtol=1e-12)


def test_finite_differences():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    g = rng.standard_normal((4, 2))
    for act in ACTS:
        y = fm.linear(x, w, b, act)
        gx, gw, gb = fm.linear_backward(g, x, w, y, act)
        loss = lambda x_, w_, b_: float((fm.linear(x_, w_, b_, act) * g).sum())  # noqa: E731
        eps = 1e-6
        for arr, grad in ((x, gx), (w, gw), (b, gb)):
            num = np.zeros_like(arr)
            for idx in np.ndindex(arr.shape):
                old = arr[idx]
                arr[idx] = old + eps
                up = loss(x, w, b)
                arr[idx] = old - eps
                down = loss(x, w, b)
                arr[idx] = old
                num[idx] = (up - down) / (2 * eps)
            np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-7)


def test_empty_shapes():
    assert fm.linear(np.ones((0, 3)), np.ones((3, 2))).shape == (0, 2)
    np.testing.assert_array_equal(fm.linear(np.ones((2, 0)), np.ones((0, 3)), np.arange(3.0)),
                                  [[0, 1, 2], [0, 1, 2]])
    gx, gw, gb = fm.linear_backward(np.ones((0, 2)), np.ones((0, 3)), np.ones((3, 2)))
    assert gx.shape == (0, 3) and gw.shape == (3, 2) and gb.shape == (2,)
    np.testing.assert_array_equal(gb, 0)


@pytest.mark.parametrize("act", ACTS)
def test_nan_propagates(act):
    x = np.array([[np.nan, 1.0], [1.0, 2.0]])
    y = fm.linear(x, np.eye(2), None, act)
    want = ref.linear(x, np.eye(2), None, act)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(want))


def test_bias_gradient_independent_of_threads(rng):
    g = rng.standard_normal((5000, 7))
    x, w = rng.standard_normal((5000, 3)), rng.standard_normal((3, 7))
    one = fm.linear_backward(g, x, w)[2]
    fm.set_num_threads(1)
    try:
        again = fm.linear_backward(g, x, w)[2]
    finally:
        fm.set_num_threads(fm.max_threads())
    np.testing.assert_array_equal(one, again)


def test_bad_input():
    x, w = np.ones((4, 3)), np.ones((3, 2))
    with pytest.raises(ValueError, match=r"weight must have shape \(3, d_out\).*got \(2, 2\)"):
        fm.linear(x, np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\), got \(3,\)"):
        fm.linear(x, w, np.ones(3))
    with pytest.raises(ValueError, match="activation must be one of"):
        fm.linear(x, w, activation="gelu")
    with pytest.raises(ValueError, match=r"grad_out must have shape \(4, 2\), got \(4, 3\)"):
        fm.linear_backward(np.ones((4, 3)), x, w)
    with pytest.raises(ValueError, match="out .* is required"):
        fm.linear_backward(np.ones((4, 2)), x, w, None, "relu")
    with pytest.raises(ValueError, match=r"out must have shape \(4, 2\)"):
        fm.linear_backward(np.ones((4, 2)), x, w, np.ones((4, 1)), "relu")


def _whole_range(dtype, rng):
    """Random bit patterns of every finite value, the range where the
    activations change (|v| < 40), values near zero, and the special ones."""
    info = np.finfo(dtype)
    ints = np.int32 if dtype == np.float32 else np.int64
    bits = rng.integers(np.iinfo(ints).min, np.iinfo(ints).max, 400_000, dtype=ints)
    v = bits.view(dtype)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, info.tiny, -info.tiny,
               info.smallest_subnormal, -info.smallest_subnormal, info.max, -info.max]
    return np.concatenate([v[np.isfinite(v)], rng.uniform(-40, 40, 200_000).astype(dtype),
                           rng.uniform(-1e-3, 1e-3, 50_000).astype(dtype),
                           np.array(special, dtype)])


def _ulps(got, want, dtype):
    """|got - want| in units of the last place of ``want`` rounded to ``dtype``."""
    spacing = np.spacing(np.abs(want.astype(dtype))).astype(np.float64)
    spacing = np.maximum(spacing, np.finfo(dtype).smallest_subnormal)
    return np.abs(got.astype(np.float64) - want) / spacing


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_activations_within_a_few_ulp_over_the_whole_float_range(rng, dtype, act):
    """The vectorized sigmoid and tanh (built on exp and expm1 for arguments
    <= 0) against float64 NumPy: within 4 ulp of the dtype everywhere,
    NaN where NumPy gives NaN, the limits at +-inf."""
    v = _whole_range(dtype, rng)
    # a (1, n) layer with weight 1 and bias 0 applies the activation to v
    got = fm.linear(v[:, None], np.ones((1, 1), dtype), np.zeros(1, dtype), act)[:, 0]
    v64 = v.astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        if act == "sigmoid":  # exp(v) / (1 + exp(v)) below 0 keeps the subnormal results
            want = np.where(v64 >= 0, 1 / (1 + np.exp(-v64)), np.exp(v64) / (1 + np.exp(v64)))
        else:
            want = np.tanh(v64)
    assert got.dtype == dtype
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    assert _ulps(got[ok], want[ok], dtype).max() <= 4
    lo, hi = (0.0, 1.0) if act == "sigmoid" else (-1.0, 1.0)
    np.testing.assert_array_equal(got[np.isinf(v)], np.where(v[np.isinf(v)] > 0, hi, lo))
