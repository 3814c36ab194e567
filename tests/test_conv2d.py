import numpy as np
import pytest
from conftest import DTYPES, in_layout, tol

import fastmath as fm
import reference as ref

# (N, C, H, W, K, R, S, stride, padding, dilation, groups)
CASES = [
    (2, 3, 8, 9, 4, 3, 3, 1, 0, 1, 1),
    (2, 3, 8, 9, 4, 3, 3, 1, 1, 1, 1),
    (2, 4, 9, 8, 6, 3, 2, 2, 1, 1, 2),          # groups, non-square kernel, stride 2
    (1, 4, 10, 10, 4, 3, 3, 1, "same", 2, 4),   # depthwise, dilation, 'same'
    (1, 3, 7, 6, 2, 2, 4, 1, "same", 1, 1),     # even kernel: asymmetric 'same' padding
    (2, 3, 7, 7, 5, 1, 1, 1, 0, 1, 1),          # 1x1 pointwise
    (2, 3, 7, 7, 5, 1, 1, 2, 0, 1, 1),          # 1x1 strided
    (1, 2, 5, 5, 3, 5, 5, 1, 0, 1, 1),          # kernel as large as the input
    (1, 2, 3, 4, 3, 5, 5, 1, 2, 1, 1),          # kernel larger than the input, padded
    (2, 4, 11, 13, 8, 3, 3, (2, 1), (1, 2), (1, 2), 1),
    (1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1),
    (3, 2, 6, 6, 4, 3, 3, 1, "valid", 1, 2),
    (2, 3, 9, 8, 6, 3, 2, 2, 1, 1, 3),          # depthwise, 2 outputs per channel, stride 2
    (1, 2, 5, 7, 2, 2, 3, (2, 3), (0, 2), (2, 1), 2),  # depthwise, mixed geometry
    (3, 5, 12, 17, 5, 3, 3, 1, 1, 1, 5),        # depthwise, rows longer than a vector
    (2, 3, 4, 5, 3, 5, 5, 2, 3, 1, 3),          # depthwise, padding wider than the image
    (1, 2, 6, 8, 2, 3, 3, 2, 0, 2, 2),          # depthwise, dilated, strided, last column unread
    (2, 3, 9, 8, 3, 3, 3, (2, 1), 1, (2, 1), 3),  # depthwise 3x3 row kernel, row stride and dilation
    (2, 4, 5, 9, 4, 3, 3, 1, 0, 1, 4),          # depthwise 3x3 stride 1 (its own kernel), no padding
    (2, 3, 4, 6, 3, 3, 3, 1, (2, 0), 1, 3),     # ... padding wider than the kernel's reach
    (2, 3, 7, 20, 3, 3, 3, 1, "same", 1, 3),    # ... 'same', rows longer than a vector
    (1, 2, 1, 1, 2, 3, 3, 1, 1, 1, 2),          # ... a 1x1 image
    # stride 1, output as wide as the input: the flat im2col/col2im path
    (1, 2, 9, 7, 3, 3, 3, 1, "same", 2, 1),     # dilated 'same'
    (1, 2, 3, 2, 2, 5, 5, 1, 2, 1, 1),          # column shifts as wide as the image
    (2, 3, 6, 5, 3, 3, 3, 1, (2, 1), (2, 1), 1),  # row padding and dilation only
]


def _torch_padding(padding, r, s, dilation):
    dil = dilation if isinstance(dilation, tuple) else (dilation, dilation)
    if padding == "same":
        tot = (dil[0] * (r - 1), dil[1] * (s - 1))
        return (tot[0] // 2, tot[0] - tot[0] // 2), (tot[1] // 2, tot[1] - tot[1] // 2)
    if padding == "valid":
        return (0, 0), (0, 0)
    p = padding if isinstance(padding, tuple) else (padding, padding)
    return (p[0], p[0]), (p[1], p[1])


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


def _adjoint(linear_map, shape, g):
    """The gradient of <g, linear_map(e)> with respect to e, one basis vector at a time."""
    basis = np.zeros(shape)
    grad = np.zeros(shape)
    for idx in np.ndindex(shape):
        basis[idx] = 1
        grad[idx] = (linear_map(basis) * g).sum()
        basis[idx] = 0
    return grad


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES)
def test_forward_and_backward_match_reference(rng, dtype, case):
    n, c, h, w, k, r, s, stride, padding, dilation, groups = case
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((k, c // groups, r, s)).astype(dtype)
    b = rng.standard_normal(k).astype(dtype)
    pads = _torch_padding(padding, r, s, dilation)
    want = ref.conv2d(x, wt, b, _pair(stride), pads, _pair(dilation), groups)
    got = fm.conv2d(x, wt, b, stride, padding, dilation, groups)
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, **tol(dtype, 20))

    g = rng.standard_normal(got.shape).astype(dtype)
    gx, gw, gb = fm.conv2d_backward(g, x, wt, stride, padding, dilation, groups)
    assert gx.shape == x.shape and gw.shape == wt.shape and gb.shape == (k,)
    # conv is linear in x and in w, so each gradient entry is <g, conv(basis, other)>
    x64, w64, g64 = x.astype(float), wt.astype(float), g.astype(float)
    geometry = (_pair(stride), pads, _pair(dilation), groups)
    want_gx = _adjoint(lambda e: ref.conv2d(e, w64, None, *geometry), x.shape, g64)
    want_gw = _adjoint(lambda e: ref.conv2d(x64, e, None, *geometry), wt.shape, g64)
    np.testing.assert_allclose(gx, want_gx, **tol(dtype, 50))
    np.testing.assert_allclose(gw, want_gw, **tol(dtype, 50 * n * h * w))
    np.testing.assert_allclose(gb, g64.sum(axis=(0, 2, 3)), **tol(dtype, 50 * n * h * w))


# Layers the Winograd kernels take: 3x3, stride 1, 16+ channels, outputs of 7+ pixels.
# (N, C, H, W, K, padding): partial edge tiles, no padding, padding 2, uneven padding.
WINOGRAD_CASES = [
    (2, 16, 9, 11, 16, 1),
    (1, 17, 10, 9, 19, 0),
    (2, 16, 13, 7, 20, 2),
    (1, 24, 12, 10, 16, (2, 0)),
    (3, 16, 8, 8, 16, "same"),
]


def _record_calls(monkeypatch, kernels, names):
    """Record the calls into ``kernels``' functions ``names``, by name."""
    calls = []
    for name in names:
        kernel = getattr(kernels, name)
        monkeypatch.setattr(kernels, name,
                            lambda *a, name=name, kernel=kernel: calls.append(name) or kernel(*a))
    return calls


def _layer_3x3(rng, n, c, h, w, k, dtype):
    """Random input (N, C, H, W), 3x3 weights and bias of one layer."""
    return (rng.standard_normal((n, c, h, w)).astype(dtype),
            rng.standard_normal((k, c, 3, 3)).astype(dtype),
            rng.standard_normal(k).astype(dtype))


def _winograd_calls(monkeypatch, min_work=0):
    """Record the calls into the Winograd kernels, by name; the tests' small
    layers take them unless ``min_work`` is given."""
    from fastmath.conv import _winograd, winograd

    monkeypatch.setattr(winograd, "MIN_WORK", min_work)
    return _record_calls(monkeypatch, _winograd, ("forward", "weight_grad_parts"))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", WINOGRAD_CASES)
def test_winograd_layers_match_reference(rng, monkeypatch, dtype, case):
    n, c, h, w, k, padding = case
    calls = _winograd_calls(monkeypatch)
    x, wt, b = _layer_3x3(rng, n, c, h, w, k, dtype)
    pads = _torch_padding(padding, 3, 3, 1)
    want = ref.conv2d(x, wt, b, (1, 1), pads)
    got = fm.conv2d(x, wt, b, padding=padding)
    # the documented accuracy: about 1e-5 of the largest output in float32
    bound = {np.float32: 4e-5, np.float64: 1e-13}[dtype]
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=0, atol=bound * np.abs(want).max())
    g = rng.standard_normal(got.shape).astype(dtype)
    gx, gw, gb = fm.conv2d_backward(g, x, wt, padding=padding)
    want_gx, want_gw = ref.conv2d_backward(g, x, wt, (1, 1), pads)
    np.testing.assert_allclose(gx, want_gx, rtol=0, atol=bound * np.abs(want_gx).max())
    np.testing.assert_allclose(gw, want_gw, rtol=0, atol=bound * np.abs(want_gw).max())
    np.testing.assert_allclose(gb, g.astype(float).sum(axis=(0, 2, 3)), **tol(dtype, 50 * n * h * w))
    # the forward pass, the input gradient and the weight gradient
    assert sorted(calls) == ["forward", "forward", "weight_grad_parts"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", WINOGRAD_CASES)
@pytest.mark.parametrize("per_pass, per_chunk", [(1000, 64), (5, 2), (1, 1)])
def test_winograd_by_position_matches_reference(rng, monkeypatch, dtype, case, per_pass,
                                                per_chunk):
    """The position-by-position loop order of many-channel layers (here every
    layer): one pass or several (a short last one), one chunk a pass or
    several; forward and input gradient against the reference and the
    chunk-by-chunk order."""
    from fastmath.conv import _winograd, winograd

    n, c, h, w, k, padding = case
    x, wt, b = _layer_3x3(rng, n, c, h, w, k, dtype)
    g = rng.standard_normal(fm.conv2d(x, wt, b, padding=padding).shape).astype(dtype)
    _winograd_calls(monkeypatch)
    by_chunk = fm.conv2d(x, wt, b, padding=padding), fm.conv2d_backward(g, x, wt, padding=padding)
    monkeypatch.setattr(winograd, "BY_POSITION_CHANNELS", 0)
    monkeypatch.setattr(winograd, "BY_POSITION_TILES", per_pass)
    monkeypatch.setattr(winograd, "TILES_PER_CHUNK", per_chunk)
    calls = _record_calls(monkeypatch, _winograd, ("forward", "forward_by_position"))
    got = fm.conv2d(x, wt, b, padding=padding)
    gx = fm.conv2d_backward(g, x, wt, padding=padding)[0]
    assert calls == ["forward_by_position", "forward_by_position"]  # forward, input gradient
    pads = _torch_padding(padding, 3, 3, 1)
    want = ref.conv2d(x, wt, b, (1, 1), pads)
    want_gx = ref.conv2d_backward(g, x, wt, (1, 1), pads)[0]
    bound = {np.float32: 4e-5, np.float64: 1e-13}[dtype]
    np.testing.assert_allclose(got, want, rtol=0, atol=bound * np.abs(want).max())
    np.testing.assert_allclose(gx, want_gx, rtol=0, atol=bound * np.abs(want_gx).max())
    close = {np.float32: 1e-6, np.float64: 1e-14}[dtype]
    np.testing.assert_allclose(got, by_chunk[0], rtol=0, atol=close * np.abs(want).max())
    np.testing.assert_allclose(gx, by_chunk[1][0], rtol=0, atol=close * np.abs(want_gx).max())


@pytest.mark.parametrize("case, why", [
    ((2, 8, 9, 9, 16, 3, 1, 1), "8 input channels"),
    ((2, 16, 9, 9, 4, 3, 1, 1), "4 output channels"),
    ((2, 16, 6, 6, 16, 3, 1, 1), "output 6x6, under 7 pixels"),
    ((2, 16, 9, 9, 16, 3, 2, 1), "stride 2"),
    ((2, 16, 9, 9, 16, 5, 1, 1), "5x5 kernel"),
    ((2, 16, 9, 9, 16, 3, 1, 2), "dilation 2"),
])
def test_winograd_rule_leaves_other_layers_to_im2col(rng, monkeypatch, case, why):
    n, c, h, w, k, r, stride, dilation = case
    calls = _winograd_calls(monkeypatch)
    x = rng.standard_normal((n, c, h, w))
    wt = rng.standard_normal((k, c, r, r))
    got = fm.conv2d(x, wt, stride=stride, padding=1, dilation=dilation)
    want = ref.conv2d(x, wt, None, (stride, stride), ((1, 1), (1, 1)), (dilation, dilation))
    np.testing.assert_allclose(got, want, **tol(np.float64, 20))
    assert calls == [], why


def test_winograd_rule_leaves_small_layers_to_im2col(rng, monkeypatch):
    from fastmath.conv import winograd

    x = rng.standard_normal((1, 64, 14, 14)).astype(np.float32)  # 7.2M multiply-adds
    w = rng.standard_normal((64, 64, 3, 3)).astype(np.float32)
    calls = _winograd_calls(monkeypatch, min_work=winograd.MIN_WORK)
    fm.conv2d(x, w, padding=1)
    fm.conv2d_backward(np.ones((1, 64, 14, 14), np.float32), x, w, padding=1)
    assert calls == []
    x = rng.standard_normal((3, 64, 14, 14)).astype(np.float32)  # 21.7M
    fm.conv2d(x, w, padding=1)
    assert calls == ["forward"]


def test_winograd_backward_with_padding_over_two_uses_im2col(rng, monkeypatch):
    calls = _winograd_calls(monkeypatch)
    x = rng.standard_normal((1, 16, 8, 8))
    wt = rng.standard_normal((16, 16, 3, 3))
    g = rng.standard_normal((1, 16, 12, 12))
    gx, gw, _ = fm.conv2d_backward(g, x, wt, padding=3)
    want_gx, want_gw = ref.conv2d_backward(g, x, wt, (1, 1), ((3, 3), (3, 3)))
    np.testing.assert_allclose(gx, want_gx, **tol(np.float64, 50))
    np.testing.assert_allclose(gw, want_gw, rtol=0, atol=1e-13 * np.abs(want_gw).max())
    assert calls == ["weight_grad_parts"]  # the weight gradient has no padding limit


@pytest.mark.parametrize("where", ["x", "weight"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_winograd_non_finite_reaches_only_its_receptive_field(rng, monkeypatch, where, bad):
    _winograd_calls(monkeypatch)  # this small layer takes the Winograd path when finite
    # in a Winograd tile one NaN or Inf would spread to all 16 outputs: such
    # inputs take the direct path
    x = rng.standard_normal((2, 16, 10, 10)).astype(np.float32)
    wt = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    if where == "x":
        x[1, 3, 0, 0] = bad  # a corner: only four of the nine taps read it
    else:
        wt[2, 5, 1, 1] = bad
    want = ref.conv2d(x, wt, None, (1, 1), ((1, 1), (1, 1)))
    got = fm.conv2d(x, wt, padding=1)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    ok = np.isfinite(want)
    np.testing.assert_allclose(got[ok], want[ok], **tol(np.float32, 20 * np.abs(want[ok]).max()))
    g = rng.standard_normal(got.shape).astype(np.float32)
    gx, gw, _ = fm.conv2d_backward(g, x, wt, padding=1)
    want_gx, want_gw = ref.conv2d_backward(g, x, wt, (1, 1), ((1, 1), (1, 1)))
    np.testing.assert_array_equal(np.isfinite(gx), np.isfinite(want_gx))
    np.testing.assert_array_equal(np.isfinite(gw), np.isfinite(want_gw))


def test_winograd_values_that_would_overflow_its_transforms_go_direct(rng, monkeypatch):
    # 1e33 * 9 taps * 16 channels fits float32; the transforms' intermediate
    # sums (up to ~3e5 times larger) would not
    calls = _winograd_calls(monkeypatch)
    x = np.full((1, 16, 8, 8), 1e33, np.float32)
    wt = rng.uniform(0.5, 1.0, (16, 16, 3, 3)).astype(np.float32)
    got = fm.conv2d(x, wt, padding=1)
    want = ref.conv2d(x, wt, None, (1, 1), ((1, 1), (1, 1)))
    assert np.isfinite(got).all() and calls == []
    np.testing.assert_allclose(got, want, rtol=1e-5)


@pytest.mark.parametrize("budget_parts, groups", [(2, 2), (0.5, 0)])
def test_winograd_weight_gradient_partial_sums_stay_in_their_memory_budget(
        rng, monkeypatch, budget_parts, groups):
    # 2 images of 256 tiles = 8 chunks of 64; the budget allows `groups` partial sums of
    # 36 * K * C values, or sends the weight gradient to im2col (0)
    from fastmath.conv import _winograd, winograd

    part = 36 * 16 * 16 * 8
    monkeypatch.setattr(winograd, "PARTS_BUDGET", int(budget_parts * part))
    seen = []
    kernel = _winograd.weight_grad_parts
    monkeypatch.setattr(_winograd, "weight_grad_parts",
                        lambda *a: seen.append(a[7].shape[0]) or kernel(*a))  # a[7]: parts
    x = rng.standard_normal((2, 16, 64, 64))
    wt = rng.standard_normal((16, 16, 3, 3))
    g = rng.standard_normal((2, 16, 64, 64))
    _, gw, _ = fm.conv2d_backward(g, x, wt, padding=1)
    _, want_gw = ref.conv2d_backward(g, x, wt, (1, 1), ((1, 1), (1, 1)))
    np.testing.assert_allclose(gw, want_gw, rtol=0, atol=1e-12 * np.abs(want_gw).max())
    assert seen == ([groups] if groups else [])


@pytest.mark.parametrize("workers", [1, 2, 3, 7])
def test_winograd_weight_gradient_parts_do_not_depend_on_the_workers(rng, workers):
    # the groups are fixed by the sizes; the workers only take them in turn
    from fastmath.conv import _winograd
    from fastmath.conv.winograd import _padded_nhwc

    x = rng.standard_normal((3, 16, 20, 20)).astype(np.float32)
    g = rng.standard_normal((3, 8, 20, 20)).astype(np.float32)
    xp, _ = _padded_nhwc(x, 1, 1, 22, 22)
    gp, _ = _padded_nhwc(g, 0, 0, 20, 20)
    want = np.full((5, 36, 8, 16), np.nan, np.float32)  # 75 tiles: 5 chunks of 16
    _winograd.weight_grad_parts(xp, gp, 0, 0, 20, 20, 16, want, 1)
    assert np.isfinite(want).all()
    got = np.full_like(want, np.nan)
    _winograd.weight_grad_parts(xp, gp, 0, 0, 20, 20, 16, got, workers)
    np.testing.assert_array_equal(got, want)
    # the first group alone, from its chunk 0: the sum of its tiles' products
    one = np.full((1, 36, 8, 16), np.nan, np.float32)
    _winograd.weight_grad_parts(xp, gp, 0, 0, 20, 20, 75, one, workers)
    np.testing.assert_allclose(one[0], want.astype(np.float64).sum(axis=0), rtol=2e-4,
                               atol=2e-4 * np.abs(one).max())


def test_winograd_layer_with_an_empty_batch_or_one_pixel_outputs_elsewhere(rng, monkeypatch):
    calls = _winograd_calls(monkeypatch)
    w = rng.standard_normal((16, 16, 3, 3))
    out = fm.conv2d(np.ones((0, 16, 9, 9)), w, padding=1)
    gx, gw, gb = fm.conv2d_backward(np.ones((0, 16, 9, 9)), np.ones((0, 16, 9, 9)), w, padding=1)
    assert out.shape == (0, 16, 9, 9) and gx.shape == (0, 16, 9, 9)
    assert (gw == 0).all() and (gb == 0).all() and calls == []
    x = rng.standard_normal((2, 16, 3, 3))  # a 1x1 output: im2col
    np.testing.assert_allclose(fm.conv2d(x, w), ref.conv2d(x, w), **tol(np.float64, 20))
    assert calls == []


def test_winograd_layers_reject_bad_input_before_any_kernel(rng, monkeypatch):
    calls = _winograd_calls(monkeypatch)
    x, w = rng.standard_normal((2, 16, 9, 9)), rng.standard_normal((16, 16, 3, 3))
    with pytest.raises(ValueError,
                       match=r"grad_out must have shape \(2, 16, 9, 9\), got \(2, 16, 8, 9\)"):
        fm.conv2d_backward(np.ones((2, 16, 8, 9)), x, w, padding=1)
    with pytest.raises(ValueError, match=r"bias must have shape \(16,\), got \(15,\)"):
        fm.conv2d(x, w, np.ones(15), padding=1)
    with pytest.raises(ValueError, match=r"channel mismatch: x has C=16"):
        fm.conv2d(x, rng.standard_normal((16, 15, 3, 3)), padding=1)
    with pytest.raises(TypeError):
        fm.conv2d(x.astype(complex), w, padding=1)
    assert calls == []


@pytest.mark.parametrize("layout", ["F", "strided", "reversed"])
def test_winograd_any_layout(rng, monkeypatch, layout):
    calls = _winograd_calls(monkeypatch)
    x = rng.standard_normal((2, 16, 9, 10)).astype(np.float32)
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    g = rng.standard_normal((2, 16, 9, 10)).astype(np.float32)
    want = (fm.conv2d(x, w, padding=1),) + fm.conv2d_backward(g, x, w, padding=1)
    got = (fm.conv2d(in_layout(x, layout), in_layout(w, layout), padding=1),) + \
        fm.conv2d_backward(in_layout(g, layout), in_layout(x, layout), in_layout(w, layout),
                           padding=1)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    assert len(calls) == 6  # forward, input and weight gradient, twice


def test_winograd_independent_of_threads(rng, monkeypatch):
    calls = _winograd_calls(monkeypatch)
    x = rng.standard_normal((6, 16, 20, 20)).astype(np.float32)  # 150 tiles: two chunks
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    g = rng.standard_normal((6, 16, 20, 20)).astype(np.float32)
    one = (fm.conv2d(x, w, padding=1),) + fm.conv2d_backward(g, x, w, padding=1)
    with fm.thread_limit(1):
        again = (fm.conv2d(x, w, padding=1),) + fm.conv2d_backward(g, x, w, padding=1)
    for a, b in zip(one, again):
        np.testing.assert_array_equal(a, b)
    assert len(calls) == 6


STRIDED_CASES = [
    (2, 8, 16, 16, 16, 1),
    (1, 9, 17, 15, 16, 0),        # odd sizes, partial edge tiles
    (2, 16, 13, 18, 20, 2),
    (1, 12, 11, 12, 17, (1, 0)),  # padding only along the rows
    (3, 64, 9, 9, 16, 1),         # 5x5 output, the most input channels the rule takes
]


def _strided_calls(monkeypatch, min_work=0):
    """Record the calls into the stride-2 Winograd kernel; the tests' small
    layers take it unless ``min_work`` is given (the direct kernel, which
    would take most of them, is switched off)."""
    from fastmath.conv import _winograd_s2, direct, winograd_strided

    monkeypatch.setattr(direct, "MAX_CHANNELS", {})
    monkeypatch.setattr(winograd_strided, "MIN_WORK", min_work)
    return _record_calls(monkeypatch, _winograd_s2, ("forward",))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", STRIDED_CASES)
def test_strided_winograd_layers_match_reference(rng, monkeypatch, dtype, case):
    n, c, h, w, k, padding = case
    calls = _strided_calls(monkeypatch)
    x, wt, b = _layer_3x3(rng, n, c, h, w, k, dtype)
    want = ref.conv2d(x, wt, b, (2, 2), _torch_padding(padding, 3, 3, 1))
    got = fm.conv2d(x, wt, b, stride=2, padding=padding)
    # documented: about 1e-5 of the largest output in float32 (transforms scale
    # terms by up to 36 and 121)
    bound = {np.float32: 2e-5, np.float64: 1e-13}[dtype]
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=bound * np.abs(want).max())
    assert calls == ["forward"]


def _strided_backward_calls(monkeypatch):
    """Record the calls into the stride-2 Winograd backward kernels; the tests'
    small layers take them."""
    from fastmath.conv import _winograd_s2, winograd_strided

    monkeypatch.setattr(winograd_strided, "MIN_WORK", 0)
    return _record_calls(monkeypatch, _winograd_s2, ("input_grad", "weight_grad_parts"))


@pytest.mark.parametrize("case", [c for c in STRIDED_CASES if c[1] <= 32] + [
    (3, 32, 8, 8, 16, 1),  # 4x4 output: one tile per image
    (2, 8, 12, 13, 16, (2, 0)),
])
def test_strided_winograd_backward_matches_reference(rng, monkeypatch, case):
    n, c, h, w, k, padding = case
    calls = _strided_backward_calls(monkeypatch)
    x, wt, _ = _layer_3x3(rng, n, c, h, w, k, np.float32)
    pads = _torch_padding(padding, 3, 3, 1)
    g = rng.standard_normal(ref.conv2d(x, wt, None, (2, 2), pads).shape).astype(np.float32)
    gx, gw, gb = fm.conv2d_backward(g, x, wt, stride=2, padding=padding)
    want_gx, want_gw = ref.conv2d_backward(g, x, wt, (2, 2), pads)
    assert gx.dtype == gw.dtype == np.float32
    # the forward's bound: about 1e-5 of the largest result
    np.testing.assert_allclose(gx, want_gx, rtol=0, atol=2e-5 * np.abs(want_gx).max())
    np.testing.assert_allclose(gw, want_gw, rtol=0, atol=2e-5 * np.abs(want_gw).max())
    np.testing.assert_allclose(gb, g.astype(float).sum(axis=(0, 2, 3)), rtol=1e-5, atol=1e-3)
    assert sorted(calls) == ["input_grad", "weight_grad_parts"]


@pytest.mark.parametrize("dtype, c, padding, why", [
    (np.float64, 16, 1, "float64"),
    (np.float32, 64, 1, "64 input channels"),
    (np.float32, 16, 3, "padding 3"),
])
def test_strided_winograd_backward_rule_leaves_others_to_im2col(rng, monkeypatch, dtype, c,
                                                                padding, why):
    calls = _strided_backward_calls(monkeypatch)
    x, wt, _ = _layer_3x3(rng, 2, c, 13, 12, 16, dtype)
    pads = ((padding, padding), (padding, padding))
    g = rng.standard_normal(ref.conv2d(x, wt, None, (2, 2), pads).shape).astype(dtype)
    gx, gw, _ = fm.conv2d_backward(g, x, wt, stride=2, padding=padding)
    want_gx, want_gw = ref.conv2d_backward(g, x, wt, (2, 2), pads)
    np.testing.assert_allclose(gx, want_gx, **tol(dtype, 20 * np.abs(want_gx).max()))
    np.testing.assert_allclose(gw, want_gw, **tol(dtype, 20 * np.abs(want_gw).max()))
    assert calls == [], why


@pytest.mark.parametrize("where", ["grad_out", "x", "weight"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_strided_winograd_backward_non_finite_goes_direct(rng, monkeypatch, where, bad):
    # each gradient whose inputs hold the value takes im2col, where it reaches
    # exactly what it touches; the other stays on Winograd
    calls = _strided_backward_calls(monkeypatch)
    x, wt, _ = _layer_3x3(rng, 2, 16, 12, 12, 16, np.float32)
    g = rng.standard_normal((2, 16, 6, 6)).astype(np.float32)
    {"grad_out": g, "x": x, "weight": wt}[where][1, 3, 2, 0] = bad
    gx, gw, _ = fm.conv2d_backward(g, x, wt, stride=2, padding=1)
    want_gx, want_gw = ref.conv2d_backward(g, x, wt, (2, 2), ((1, 1), (1, 1)))
    for a, b in ((gx, want_gx), (gw, want_gw)):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_array_equal(np.isinf(a), np.isinf(b))
        ok = np.isfinite(b)
        np.testing.assert_allclose(a[ok], b[ok], rtol=0, atol=2e-5 * np.abs(b[ok]).max())
    assert calls == {"grad_out": [], "x": ["input_grad"], "weight": ["weight_grad_parts"]}[where]


def test_strided_winograd_backward_empty_batch_and_bad_input(rng, monkeypatch):
    calls = _strided_backward_calls(monkeypatch)
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    gx, gw, gb = fm.conv2d_backward(np.ones((0, 16, 6, 6), np.float32),
                                    np.ones((0, 16, 12, 12), np.float32), w, stride=2, padding=1)
    assert gx.shape == (0, 16, 12, 12) and gb.shape == (16,)
    np.testing.assert_array_equal(gw, 0)
    with pytest.raises(ValueError, match=r"grad_out must have shape \(1, 16, 6, 6\)"):
        fm.conv2d_backward(np.ones((1, 16, 5, 6), np.float32), np.ones((1, 16, 12, 12), np.float32),
                           w, stride=2, padding=1)
    assert calls == []


def test_strided_winograd_backward_overflow_goes_direct(rng, monkeypatch):
    calls = _strided_backward_calls(monkeypatch)
    x = np.full((1, 16, 12, 12), 1e33, np.float32)
    wt = rng.uniform(0.5, 1.0, (16, 16, 3, 3)).astype(np.float32)
    g = np.ones((1, 16, 6, 6), np.float32)
    gx, gw, _ = fm.conv2d_backward(g, x, wt, stride=2, padding=1)
    want_gx, want_gw = ref.conv2d_backward(g, x, wt, (2, 2), ((1, 1), (1, 1)))
    assert np.isfinite(gw).all()
    np.testing.assert_allclose(gx, want_gx, rtol=1e-5)
    np.testing.assert_allclose(gw, want_gw, rtol=1e-5)
    assert calls == ["input_grad"]  # the weight gradient's terms could overflow


@pytest.mark.parametrize("layout", ["F", "strided", "reversed"])
def test_strided_winograd_backward_any_layout_and_thread_count(rng, monkeypatch, layout):
    calls = _strided_backward_calls(monkeypatch)
    x, w, _ = _layer_3x3(rng, 9, 16, 21, 20, 16, np.float32)  # 9 * 3 * 3 tiles: two chunks
    g = rng.standard_normal((9, 16, 11, 10)).astype(np.float32)
    want = fm.conv2d_backward(g, x, w, stride=2, padding=1)
    got = fm.conv2d_backward(in_layout(g, layout), in_layout(x, layout), in_layout(w, layout),
                             stride=2, padding=1)
    with fm.thread_limit(1):
        one = fm.conv2d_backward(g, x, w, stride=2, padding=1)
    for a, b, c in zip(want, got, one):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert sorted(calls) == ["input_grad"] * 3 + ["weight_grad_parts"] * 3


@pytest.mark.parametrize("case, why", [
    ((2, 4, 16, 16, 16, 3, (2, 2), 1, 1), "4 input channels"),
    ((2, 72, 16, 16, 16, 3, (2, 2), 1, 1), "72 input channels"),
    ((2, 16, 16, 16, 8, 3, (2, 2), 1, 1), "8 output channels"),
    ((2, 16, 6, 6, 16, 3, (2, 2), 1, 1), "3x3 output, under 4 pixels"),
    ((2, 16, 16, 16, 16, 3, (2, 1), 1, 1), "stride (2, 1)"),
    ((2, 16, 16, 16, 16, 3, (3, 3), 1, 1), "stride 3"),
    ((2, 16, 16, 16, 16, 5, (2, 2), 1, 1), "5x5 kernel"),
    ((2, 16, 16, 16, 16, 3, (2, 2), 2, 1), "dilation 2"),
    ((2, 16, 16, 16, 16, 3, (2, 2), 1, 2), "two groups"),
])
def test_strided_winograd_rule_leaves_other_layers_to_im2col(rng, monkeypatch, case, why):
    n, c, h, w, k, r, stride, dilation, groups = case
    calls = _strided_calls(monkeypatch)
    x = rng.standard_normal((n, c, h, w))
    wt = rng.standard_normal((k, c // groups, r, r))
    got = fm.conv2d(x, wt, stride=stride, padding=1, dilation=dilation, groups=groups)
    want = ref.conv2d(x, wt, None, stride, ((1, 1), (1, 1)), (dilation, dilation), groups)
    np.testing.assert_allclose(got, want, **tol(np.float64, 20))
    assert calls == [], why


def test_strided_winograd_rule_leaves_small_layers_to_im2col(rng, monkeypatch):
    from fastmath.conv import winograd_strided

    calls = _strided_calls(monkeypatch, min_work=winograd_strided.MIN_WORK)
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    fm.conv2d(rng.standard_normal((1, 16, 32, 32)).astype(np.float32), w, stride=2, padding=1)
    assert calls == []  # 0.6M multiply-adds
    fm.conv2d(rng.standard_normal((8, 16, 32, 32)).astype(np.float32), w, stride=2, padding=1)
    assert calls == ["forward"]  # 4.7M


@pytest.mark.parametrize("where", ["x", "weight"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_strided_winograd_non_finite_reaches_only_its_receptive_field(rng, monkeypatch, where,
                                                                      bad):
    calls = _strided_calls(monkeypatch)
    x = rng.standard_normal((2, 16, 12, 12)).astype(np.float32)
    wt = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    if where == "x":
        x[1, 3, 5, 0] = bad  # an edge column: read by one output column only
    else:
        wt[2, 5, 0, 2] = bad
    want = ref.conv2d(x, wt, None, (2, 2), ((1, 1), (1, 1)))
    got = fm.conv2d(x, wt, stride=2, padding=1)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    ok = np.isfinite(want)
    np.testing.assert_allclose(got[ok], want[ok], **tol(np.float32, 20 * np.abs(want[ok]).max()))
    assert calls == []


def test_strided_winograd_values_that_would_overflow_its_transforms_go_direct(rng, monkeypatch):
    calls = _strided_calls(monkeypatch)
    x = np.full((1, 16, 12, 12), 1e33, np.float32)
    wt = rng.uniform(0.5, 1.0, (16, 16, 3, 3)).astype(np.float32)
    got = fm.conv2d(x, wt, stride=2, padding=1)
    want = ref.conv2d(x, wt, None, (2, 2), ((1, 1), (1, 1)))
    assert np.isfinite(got).all() and calls == []
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_strided_winograd_empty_batch_and_bad_input(rng, monkeypatch):
    calls = _strided_calls(monkeypatch)
    w = rng.standard_normal((16, 16, 3, 3))
    assert fm.conv2d(np.ones((0, 16, 12, 12)), w, stride=2, padding=1).shape == (0, 16, 6, 6)
    with pytest.raises(ValueError, match=r"bias must have shape \(16,\), got \(15,\)"):
        fm.conv2d(np.ones((1, 16, 12, 12)), w, np.ones(15), stride=2, padding=1)
    with pytest.raises(ValueError, match=r"channel mismatch: x has C=16"):
        fm.conv2d(np.ones((1, 16, 12, 12)), w[:, :8], stride=2, padding=1)
    assert calls == []


@pytest.mark.parametrize("layout", ["F", "strided", "reversed"])
def test_strided_winograd_any_layout_and_thread_count(rng, monkeypatch, layout):
    calls = _strided_calls(monkeypatch)
    x = rng.standard_normal((5, 16, 21, 20)).astype(np.float32)  # 5 * 3 * 3 tiles: two chunks
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    want = fm.conv2d(x, w, stride=2, padding=1)
    np.testing.assert_array_equal(
        fm.conv2d(in_layout(x, layout), in_layout(w, layout), stride=2, padding=1), want)
    with fm.thread_limit(1):
        np.testing.assert_array_equal(fm.conv2d(x, w, stride=2, padding=1), want)
    assert calls == ["forward"] * 3


def test_finite_differences_float64():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 2, 5, 4))
    w = rng.standard_normal((4, 1, 3, 2))
    b = rng.standard_normal(4)
    g = rng.standard_normal(fm.conv2d(x, w, b, 2, 1, 1, 2).shape)
    loss = lambda: float((fm.conv2d(x, w, b, 2, 1, 1, 2) * g).sum())  # noqa: E731
    gx, gw, gb = fm.conv2d_backward(g, x, w, 2, 1, 1, 2)
    np.testing.assert_allclose(gx, ref.numerical_gradient(loss, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gw, ref.numerical_gradient(loss, w), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gb, ref.numerical_gradient(loss, b), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("layout", ["F", "strided", "reversed"])
def test_any_layout(rng, layout):
    x = rng.standard_normal((2, 3, 6, 5))
    w = rng.standard_normal((4, 3, 3, 3))
    want = fm.conv2d(x, w, padding=1)
    np.testing.assert_allclose(fm.conv2d(in_layout(x, layout), in_layout(w, layout), padding=1), want,
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["F", "strided", "reversed"])
@pytest.mark.parametrize("per_channel", [1, 2])
def test_depthwise_any_layout_matches_reference(rng, dtype, layout, per_channel):
    k = 4 * per_channel
    x = rng.standard_normal((2, 4, 7, 6)).astype(dtype)
    w = rng.standard_normal((k, 1, 3, 3)).astype(dtype)
    g = rng.standard_normal((2, k, 7, 6)).astype(dtype)
    pads = ((1, 1), (1, 1))
    want = ref.conv2d(x, w, None, (1, 1), pads, (1, 1), 4)
    got = fm.conv2d(in_layout(x, layout), in_layout(w, layout), padding=1, groups=4)
    np.testing.assert_allclose(got, want, **tol(dtype))
    gx, gw, _ = fm.conv2d_backward(in_layout(g, layout), in_layout(x, layout),
                                   in_layout(w, layout), padding=1, groups=4)
    gx_c, gw_c, _ = fm.conv2d_backward(g, x, w, padding=1, groups=4)
    np.testing.assert_array_equal(gx, gx_c)
    np.testing.assert_array_equal(gw, gw_c)


def test_depthwise_empty_size_one_and_nan():
    w = np.ones((3, 1, 3, 3))
    assert fm.conv2d(np.ones((0, 3, 5, 5)), w, groups=3).shape == (0, 3, 3, 3)
    gx, gw, _ = fm.conv2d_backward(np.ones((0, 3, 3, 3)), np.ones((0, 3, 5, 5)), w, groups=3)
    assert gx.shape == (0, 3, 5, 5) and (gw == 0).all()
    one = fm.conv2d(np.full((1, 3, 1, 1), 2.0), w, padding=1, groups=3)  # 1x1 image
    np.testing.assert_array_equal(one, np.full((1, 3, 1, 1), 2.0))
    x = np.ones((1, 3, 6, 6))
    x[0, 1, 2, 3] = np.nan
    got = fm.conv2d(x, w, groups=3)
    want = ref.conv2d(x, w, None, (1, 1), ((0, 0), (0, 0)), (1, 1), 3)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    assert np.isnan(got[0, 1]).any() and not np.isnan(got[0, [0, 2]]).any()


def test_empty_batch_and_channels():
    assert fm.conv2d(np.ones((0, 3, 5, 5)), np.ones((2, 3, 3, 3))).shape == (0, 2, 3, 3)
    out = fm.conv2d(np.ones((2, 0, 5, 5)), np.ones((2, 0, 3, 3)), bias=[1.0, 2.0])
    np.testing.assert_array_equal(out[:, 1], 2.0)
    gx, gw, gb = fm.conv2d_backward(np.ones((0, 2, 3, 3)), np.ones((0, 3, 5, 5)), np.ones((2, 3, 3, 3)))
    assert gx.shape == (0, 3, 5, 5) and gw.shape == (2, 3, 3, 3) and (gw == 0).all()


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_edge_columns_stay_in_their_row(rng, bad):
    # the flat im2col/col2im path (stride 1, 'same') shifts whole planes: a
    # pixel in the first or last column must not reach the neighbouring row
    x = rng.standard_normal((2, 2, 6, 7))
    x[0, 1, 2, 0] = x[1, 0, 4, 6] = bad
    w = rng.standard_normal((3, 2, 3, 3))
    pads = ((1, 1), (1, 1))
    got = fm.conv2d(x, w, padding=1)
    want = ref.conv2d(x, w, None, (1, 1), pads)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    np.testing.assert_allclose(got[np.isfinite(want)], want[np.isfinite(want)], rtol=1e-12)
    g = rng.standard_normal((2, 3, 6, 7))
    g[0, 2, 3, 6] = g[1, 1, 0, 0] = bad
    finite_x, finite_g = np.where(np.isfinite(x), x, 0), np.where(np.isfinite(g), g, 0)
    gx, _, _ = fm.conv2d_backward(g, finite_x, w, padding=1)
    want_gx, _ = ref.conv2d_backward(g, finite_x, w, padding=pads)
    _, gw, _ = fm.conv2d_backward(finite_g, x, w, padding=1)
    _, want_gw = ref.conv2d_backward(finite_g, x, w, padding=pads)
    for a, b in ((gx, want_gx), (gw, want_gw)):
        assert not np.isfinite(b).all()
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_array_equal(np.isinf(a), np.isinf(b))
        np.testing.assert_allclose(a[np.isfinite(b)], b[np.isfinite(b)], rtol=1e-12)


def test_nan_propagates_to_its_receptive_field():
    x = np.ones((1, 1, 6, 6))
    x[0, 0, 2, 3] = np.nan
    out = fm.conv2d(x, np.ones((1, 1, 3, 3)))
    want = ref.conv2d(x, np.ones((1, 1, 3, 3)))
    np.testing.assert_array_equal(np.isnan(out), np.isnan(want))


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_depthwise_non_finite_weights_and_gradients_reach_the_padding(rng, bad):
    # inf * 0 at a padding tap is NaN, as in the zero-padded reference
    x = rng.standard_normal((2, 3, 5, 5))
    w = rng.standard_normal((3, 1, 3, 3))
    w[1, 0, 0, 0] = bad
    pads = ((1, 1), (1, 1))
    want = ref.conv2d(x, w, None, (1, 1), pads, (1, 1), 3)
    got = fm.conv2d(x, w, padding=1, groups=3)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[np.isfinite(want)], want[np.isfinite(want)], rtol=1e-12)
    g = rng.standard_normal((2, 3, 5, 5))
    g[0, 2, 0, 0] = bad
    gx, gw, _ = fm.conv2d_backward(g, x, rng.standard_normal((3, 1, 3, 3)), padding=1, groups=3)
    want_gw = np.einsum("nhw,nuvhw->uv", g[:, 2], np.lib.stride_tricks.sliding_window_view(
        np.pad(x[:, 2], ((0, 0), (1, 1), (1, 1))), (3, 3), axis=(1, 2)).transpose(0, 3, 4, 1, 2))
    np.testing.assert_array_equal(np.isnan(gw[2, 0]), np.isnan(want_gw))
    assert np.isfinite(gw[:2]).all() and np.isfinite(gx[:, :2]).all()


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_depthwise_non_finite_input_weight_gradient_is_exact(rng, bad):
    # non-finite pixels reach exactly the weight-gradient taps that read them
    # (at the first and last column, next to the padding)
    x = rng.standard_normal((2, 2, 6, 7))
    x[1, 1, 3, 0] = x[0, 1, 1, 6] = bad
    g = rng.standard_normal((2, 2, 6, 7))
    _, gw, _ = fm.conv2d_backward(g, x, rng.standard_normal((2, 1, 3, 3)), padding=1, groups=2)
    windows = np.lib.stride_tricks.sliding_window_view(
        np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))), (3, 3), axis=(2, 3))
    want = np.einsum("nchw,nchwuv->cuv", g, windows)
    assert not np.isfinite(want[1]).all()
    np.testing.assert_array_equal(np.isnan(gw[:, 0]), np.isnan(want))
    np.testing.assert_array_equal(np.isposinf(gw[:, 0]), np.isposinf(want))
    np.testing.assert_allclose(gw[:, 0][np.isfinite(want)], want[np.isfinite(want)], rtol=1e-12)


@pytest.mark.parametrize("per_channel", [1, 2])
def test_depthwise_independent_of_threads(rng, per_channel):
    k = 6 * per_channel
    x = rng.standard_normal((20, 6, 9, 9)).astype(np.float32)
    w = rng.standard_normal((k, 1, 3, 3)).astype(np.float32)
    g = rng.standard_normal((20, k, 9, 9)).astype(np.float32)
    one = (fm.conv2d(x, w, padding=1, groups=6),) + fm.conv2d_backward(g, x, w, padding=1, groups=6)
    with fm.thread_limit(1):
        again = (fm.conv2d(x, w, padding=1, groups=6),) + fm.conv2d_backward(g, x, w, padding=1,
                                                                              groups=6)
    for a, b in zip(one, again):
        np.testing.assert_array_equal(a, b)


def test_weight_gradient_independent_of_threads(rng):
    x = rng.standard_normal((20, 3, 8, 8))
    w = rng.standard_normal((4, 3, 3, 3))
    g = rng.standard_normal((20, 4, 6, 6))
    one = fm.conv2d_backward(g, x, w)
    fm.set_num_threads(1)
    try:
        again = fm.conv2d_backward(g, x, w)
    finally:
        fm.set_num_threads(fm.max_threads())
    for a, b in zip(one, again):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs, message", [
    ({"weight": np.ones((2, 4, 3, 3))}, r"channel mismatch: x has C=3 .*\(K, 3, R, S\).*\(2, 4, 3, 3\)"),
    ({"weight": np.ones((2, 3, 9, 3))}, r"kernel of extent \(9, 3\).*larger than the padded input \(6, 6\)"),
    ({"stride": 0}, "stride must be positive"),
    ({"dilation": (1, -1)}, "dilation must be positive"),
    ({"padding": -1}, "padding must be non-negative"),
    ({"padding": "same", "stride": 2}, "padding='same' needs stride 1"),
    ({"padding": "full"}, "padding must be an int, a pair, 'valid' or 'same'"),
    ({"groups": 2}, "C=3 .* not divisible by groups=2"),
    ({"groups": 0}, "groups must be a positive int"),
    ({"bias": np.ones(3)}, r"bias must have shape \(2,\), got \(3,\)"),
])
def test_bad_input(kwargs, message):
    args = {"x": np.ones((1, 3, 6, 6)), "weight": np.ones((2, 3, 3, 3)), **kwargs}
    with pytest.raises(ValueError, match=message):
        fm.conv2d(**args)


def test_bad_types():
    with pytest.raises(TypeError, match="stride must be an int or a pair"):
        fm.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2)), stride=1.5)
    with pytest.raises(ValueError, match=r"x must be 3-D \(C, H, W\) or 4-D"):
        fm.conv2d(np.ones((4, 4)), np.ones((1, 1, 2, 2)))
    with pytest.raises(ValueError, match="kernel size should be greater than zero"):
        fm.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 0, 3)))
    with pytest.raises(ValueError, match="grad_out must be 3-D like x"):
        fm.conv2d_backward(np.ones((1, 1, 3, 3)), np.ones((1, 4, 4)), np.ones((1, 1, 2, 2)))


def test_unbatched_image_as_torch(rng):
    x, w, b = rng.standard_normal((2, 5, 5)), rng.standard_normal((3, 2, 3, 3)), np.ones(3)
    out = fm.conv2d(x, w, b, padding=1)
    np.testing.assert_array_equal(out, fm.conv2d(x[None], w, b, padding=1)[0])
    g = rng.standard_normal(out.shape)
    got = fm.conv2d_backward(g, x, w, padding=1)
    want = fm.conv2d_backward(g[None], x[None], w, padding=1)
    assert got[0].shape == x.shape
    np.testing.assert_array_equal(got[0], want[0][0])
    np.testing.assert_array_equal(got[1], want[1])
    with pytest.raises(ValueError, match=r"K=3 .* not divisible by groups=2"):
        fm.conv2d(np.ones((1, 2, 4, 4)), np.ones((3, 1, 2, 2)), groups=2)
    with pytest.raises(ValueError, match=r"grad_out must have shape \(1, 1, 3, 3\)"):
        fm.conv2d_backward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2)))


def test_against_torch(rng):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for case in CASES:
        n, c, h, w, k, r, s, stride, padding, dilation, groups = case
        if padding == "same" and (r % 2 == 0 or s % 2 == 0):
            continue  # torch pads even 'same' kernels the same way, but warns
        x = rng.standard_normal((n, c, h, w))
        wt = rng.standard_normal((k, c // groups, r, s))
        b = rng.standard_normal(k)
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, wt, b))
        ty = F.conv2d(tx, tw, tb, stride, padding, dilation, groups)
        g = rng.standard_normal(tuple(ty.shape))
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(fm.conv2d(x, wt, b, stride, padding, dilation, groups),
                                   ty.detach().numpy(), rtol=1e-10, atol=1e-10)
        for ours, theirs in zip(fm.conv2d_backward(g, x, wt, stride, padding, dilation, groups),
                                (tx.grad, tw.grad, tb.grad)):
            np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-10)


# B^T and A^T as Lavin & Gray write them (F(4x4, 3x3)), and those of F(4x4, 2x2)
# at the points 0, 1, -1, 2, infinity; A is A^T's transpose.
_BT_3 = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
         [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]]
_AT_3 = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]
_BT_2 = [[2, -1, -2, 1, 0], [0, -2, -1, 1, 0], [0, 2, -3, 1, 0], [0, -1, 0, 1, 0],
         [0, 2, -1, -2, 1]]
_AT_2 = [[1, 1, 1, 1, 0], [0, 1, -1, 2, 0], [0, 1, 1, 4, 0], [0, 1, -1, 8, 1]]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind, matrix", [("INPUT", _BT_3), ("GRAD", np.transpose(_AT_3)),
                                          ("OUTPUT", _AT_3), ("S2_INPUT", _BT_2),
                                          ("S2_OUTPUT", _AT_2)])
@pytest.mark.parametrize("channels", [1, 5, 16, 37])
def test_tile_transform_is_l_d_lt_on_every_channel(rng, dtype, kind, matrix, channels):
    # runs of 16 (float32) or 8 (float64) channels and single channels after
    # them: every channel gets L d L^T, and nothing past the tile is written
    from fastmath.conv import _tile_transform as tt

    run = tt.channel_runs(getattr(tt, kind))
    side_out, side_in = np.shape(matrix)
    d = rng.standard_normal((side_in, side_in, channels)).astype(dtype)
    bias = rng.standard_normal(channels).astype(dtype)
    out = np.full((side_out, side_out, channels + 3), 7.0, dtype)  # 3 spare channels per row
    run(channels, d.reshape(-1), 0, side_in * channels, channels, out.reshape(-1), 0,
        side_out * (channels + 3), channels + 3, bias)
    want = np.einsum("ai,ijc,bj->abc", np.asarray(matrix, float), d.astype(float),
                     np.asarray(matrix, float)) + bias
    np.testing.assert_allclose(out[..., :channels], want, **tol(dtype, 100))
    assert np.all(out[..., channels:] == 7.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k_out, oh, ow", [(16, 8, 8), (19, 9, 10), (3, 4, 7)])
def test_output_tiles_fill_the_output_planes(rng, dtype, k_out, oh, ow):
    # whole tiles go straight into the NCHW planes (runs of channels, then the
    # rest one by one), edge tiles through a buffer clipped at the edge
    from fastmath.conv import _winograd

    tiles_h, tiles_w = -(-oh // 4), -(-ow // 4)
    n_img = 2
    total = n_img * tiles_h * tiles_w
    m = rng.standard_normal((36, total + 1, k_out)).astype(dtype)
    bias = rng.standard_normal(k_out).astype(dtype)
    out = np.full((n_img, k_out, oh, ow), np.nan, dtype)
    _winograd._output_tiles(m, bias, 0, total, tiles_h, tiles_w, out, 0)
    at = np.asarray(_AT_3, float)
    tiles = np.einsum("ai,ijqk,bj->qkab", at, m[:, :total].astype(float).reshape(6, 6, total, k_out),
                      at) + bias[:, None, None]
    want = tiles.reshape(n_img, tiles_h, tiles_w, k_out, 4, 4).transpose(0, 3, 1, 4, 2, 5)
    want = want.reshape(n_img, k_out, tiles_h * 4, tiles_w * 4)[:, :, :oh, :ow]
    np.testing.assert_allclose(out, want, **tol(dtype, 100))


@pytest.mark.skipif(__import__("platform").machine() not in ("x86_64", "AMD64"),
                    reason="reads x86 assembly")
@pytest.mark.parametrize("name", ["_input_tiles", "_grad_tiles", "_output_tiles",
                                  "s2._input_tiles", "s2._grad_tiles", "s2._output_tiles"])
def test_winograd_transforms_stay_float32_and_use_vector_registers(name):
    # float32 work must never be widened (vcvtss2sd, as an integer coefficient
    # times a float32 value would be in numba) and must run as packed single
    # precision on ymm/zmm registers
    import re

    import numba

    from fastmath._config.jit import FASTMATH_FLAGS
    from fastmath.conv import _tile_transform, _winograd, _winograd_s2

    module = _winograd_s2 if name.startswith("s2.") else _winograd
    if name.endswith("_grad_tiles"):
        function = _winograd.grad_tiles_of(
            _tile_transform.S2_GRAD if name.startswith("s2.") else _tile_transform.GRAD)
    else:
        function = getattr(module, name.split(".")[-1])
    kernel = numba.njit(function.py_func,
                        fastmath=set(FASTMATH_FLAGS),
                        error_model="numpy")  # a fresh compile: cached code has no assembly
    f32 = np.float32
    side = 5 if name.startswith("s2.") else 6
    if name.endswith("_output_tiles"):
        kernel(np.zeros((side * side, 4, 16), f32), np.zeros(16, f32), 0, 4, 2, 2,
               np.zeros((1, 16, 8, 8), f32), 0)
    elif name.endswith("_input_tiles"):
        kernel(np.zeros((1, side + 4, side + 4, 16), f32), 0, 4, 2, 2,
               np.zeros((side * side, 4, 16), f32), 0)
    else:
        kernel(np.zeros((1, 8, 8, 16), f32), 0, 0, 0, 4, 2, 2,
               np.zeros((side * side, 4, 16), f32))
    asm = kernel.inspect_asm(kernel.signatures[0])
    assert "cvtss2sd" not in asm
    assert re.search(r"\tv(add|sub|mul|fn?m(add|sub)\d+)ps\s+[^\n]*%[yz]mm", asm)
