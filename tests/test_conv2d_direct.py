"""The direct 3x3, 5x5 and 7x7 kernels of conv2d at stride 1 and 2 (conv/direct.py,
conv/_direct_tiles.py)."""
import numpy as np
import pytest
from conftest import DTYPES, LAYOUTS, in_layout, tol

import fastmath as fm
import reference as ref

# (N, C, H, W, K, padding)
CASES = [
    (2, 3, 9, 11, 16, 1),
    (2, 5, 32, 40, 6, 0),          # fewer channels than a tile; 2 column strips in float32
    (1, 4, 7, 7, 9, 2),            # 9 = two tiles of 4 and one channel; padding wider than a tap
    (3, 8, 33, 70, 17, (1, 2)),    # 35 output columns: strips and a partial one; odd rows
    (1, 1, 3, 3, 1, 0),            # one output
    (2, 2, 4, 5, 3, (0, 1)),       # padding along the columns only
    (1, 32, 12, 9, 8, 1),          # the most float32 input channels the rule takes
    (2, 4, 10, 37, 5, 1),          # odd left padding: columns split in vector steps, odd phase first
]
# stride 1: the same tails; layers Winograd takes (16 or more input and output
# channels, 7x7 outputs, 2**24 multiply-adds) are too large for a test
S1_CASES = CASES + [
    (1, 15, 12, 9, 8, 1),
    (1, 65, 5, 6, 15, 1),          # more input channels than the float32 rule's 64: 15 outputs
    (2, 64, 5, 5, 32, 1),          # the float32 rule's most input channels
    (1, 3, 1, 1, 2, 1),            # a 1x1 image, all padding around it
    (2, 2, 3, 20, 4, (2, 0)),      # padding wider than a tap along the rows only
]
STRIDE_CASES = [(2, case) for case in CASES] + [(1, case) for case in S1_CASES]


def _calls(monkeypatch):
    """Record the parallel kernels :func:`direct_kernel` hands out."""
    from fastmath.conv import _direct_tiles

    calls = []
    factory = _direct_tiles.direct_kernel

    def recording(*shape):
        kernel = factory(*shape)
        return lambda *a: calls.append(shape) or kernel(*a)

    monkeypatch.setattr(_direct_tiles, "direct_kernel", recording)
    return calls


def _force_tile(monkeypatch, tile):
    """Force the tile ``(RK, ROWS, width as a fraction of 64 bytes)`` (None: the
    CPU's own) and record the kernels handed out."""
    from fastmath.conv import direct

    if tile is not None:
        rk, rows, scale = tile
        monkeypatch.setattr(direct, "tile_shape",
                            lambda itemsize: (rk, rows, int(64 * scale) // itemsize))
    return _calls(monkeypatch)


# (stride, kernel side) of each direct kernel
KINDS = [(1, 3), (2, 3), (1, 5), (2, 5), (1, 7), (2, 7)]


def _layer(rng, dtype, n, c, h, w, k, side):
    """x (n, c, h, w), weight (k, c, side, side) and bias (k,), standard normal."""
    return (rng.standard_normal((n, c, h, w)).astype(dtype),
            rng.standard_normal((k, c, side, side)).astype(dtype),
            rng.standard_normal(k).astype(dtype))


def _pads(padding):
    p = padding if isinstance(padding, tuple) else (padding, padding)
    return (p[0], p[0]), (p[1], p[1])


def _check(got, want, dtype):
    bound = {np.float32: 2e-6, np.float64: 1e-14}[dtype]
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=bound * (1 + np.abs(want).max()) * 30)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("stride, case", STRIDE_CASES)
@pytest.mark.parametrize("tile", [None, (4, 2, 0.5), (3, 1, 1), (1, 3, 0.5)])
def test_matches_reference(rng, monkeypatch, dtype, stride, case, tile):
    """Every tail: channels past the last whole tile, rows past the last
    whole group of rows, columns past the last whole vector; the AVX2 tile
    (4 x 2 of half-width vectors) and others forced on any CPU."""
    calls = _force_tile(monkeypatch, tile)
    n, c, h, w, k, padding = case
    x, wt, b = _layer(rng, dtype, n, c, h, w, k, 3)
    got = fm.conv2d(x, wt, b, stride=stride, padding=padding)
    _check(got, ref.conv2d(x, wt, b, (stride, stride), _pads(padding)), dtype)
    assert [shape[3:] for shape in calls] == [(stride, 3)]


# 5x5 at stride 1 (N, C, H, W, K, padding)
CASES_5X5 = [
    (2, 3, 9, 11, 16, 2),
    (1, 1, 5, 5, 1, 0),            # one output
    (3, 8, 33, 40, 9, (2, 1)),     # partial column vectors, odd rows, a channel past the tiles
    (1, 4, 2, 3, 5, 3),            # padding wider than the image
    (2, 256, 6, 7, 3, 2),          # the most input channels the rule takes
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES_5X5)
@pytest.mark.parametrize("tile", [None, (4, 2, 0.5), (3, 1, 1)])
def test_5x5_matches_reference(rng, monkeypatch, dtype, case, tile):
    _check_side(rng, monkeypatch, dtype, 1, 5, case, tile)


def _check_side(rng, monkeypatch, dtype, stride, side, case, tile):
    """A ``side`` x ``side`` layer at ``stride`` (padding None: side // 2) matches
    the reference and takes the direct kernel of that kind."""
    calls = _force_tile(monkeypatch, tile)
    n, c, h, w, k, padding = case
    padding = side // 2 if padding is None else padding
    x, wt, b = _layer(rng, dtype, n, c, h, w, k, side)
    got = fm.conv2d(x, wt, b, stride=stride, padding=padding)
    want = ref.conv2d(x, wt, b, (stride, stride), _pads(padding))
    bound = {np.float32: 2e-6, np.float64: 1e-14}[dtype]
    np.testing.assert_allclose(got, want, rtol=0, atol=bound * (1 + np.abs(want).max()) * c)
    assert [shape[-2:] for shape in calls] == [(stride, side)]


# 5x5 at stride 2 and 7x7 at stride 1 and 2 (N, C, H, W, K, padding)
CASES_LARGE = [
    (2, 3, 23, 21, 9, None),       # the kernel's own padding; a channel past the tiles
    (1, 1, 7, 7, 1, 0),            # one output at stride 1
    (3, 5, 40, 37, 6, (1, 3)),     # partial column vectors, odd rows, uneven padding
    (1, 2, 3, 4, 5, 4),            # padding wider than the image
    (2, 128, 9, 8, 4, None),       # the most input channels the float32 rule takes
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("stride, side", [(2, 5), (1, 7), (2, 7)])
@pytest.mark.parametrize("case", CASES_LARGE)
@pytest.mark.parametrize("tile", [None, (4, 2, 0.5)])
def test_large_kernels_match_reference(rng, monkeypatch, dtype, stride, side, case, tile):
    _check_side(rng, monkeypatch, dtype, stride, side, case, tile)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("stride, side", KINDS)
def test_layouts_threads_and_no_bias(rng, monkeypatch, layout, threads, stride, side):
    calls = _calls(monkeypatch)
    x = in_layout(rng.standard_normal((3, 6, 15, 14)), layout)
    wt = in_layout(rng.standard_normal((10, 6, side, side)), layout)
    p = side // 2
    with fm.thread_limit(threads):
        got = fm.conv2d(x, wt, stride=stride, padding=p)
    _check(got, ref.conv2d(x, wt, None, (stride, stride), ((p, p), (p, p))), np.float64)
    assert len(calls) == 1


@pytest.mark.parametrize("stride", [1, 2])
def test_unbatched_and_mixed_dtypes(rng, stride):
    x = rng.standard_normal((4, 10, 10)).astype(np.float32)
    wt = rng.standard_normal((5, 4, 3, 3))
    got = fm.conv2d(x, wt, stride=stride, padding=1)
    assert got.dtype == np.float64 and got.shape == (5, 10 // stride, 10 // stride)
    _check(got, ref.conv2d(x[None], wt, None, (stride, stride), ((1, 1), (1, 1)))[0],
           np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("where", ["x", "weight", "bias"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("stride, side", KINDS)
def test_non_finite_reaches_exactly_its_receptive_field(rng, monkeypatch, dtype, where, bad,
                                                        stride, side):
    calls = _calls(monkeypatch)
    x, wt, b = _layer(rng, dtype, 2, 4, 12, 13, 6, side)
    p = side // 2
    if where == "x":
        x[1, 2, 5, 0] = bad  # the first column: only some taps of a few outputs read it
    elif where == "weight":
        wt[3, 1, 0, 2] = bad
    else:
        b[3] = bad
    with np.errstate(invalid="ignore"):
        want = ref.conv2d(x, wt, b, (stride, stride), ((p, p), (p, p)))
    got = fm.conv2d(x, wt, b, stride=stride, padding=p)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    np.testing.assert_array_equal(got[np.isinf(want)], want[np.isinf(want)])
    ok = np.isfinite(want)
    assert ok.any() and not ok.all()
    _check(got[ok], want[ok], dtype)
    assert len(calls) == 1


@pytest.mark.parametrize("dtype, c, geometry, why", [
    (np.float32, 33, {}, "float32 with 33 input channels"),
    (np.float64, 257, {}, "float64 with 257 input channels"),
    (np.float64, 4, {"dilation": 2}, "dilated"),
    (np.float64, 4, {"groups": 2}, "grouped"),
    (np.float64, 4, {"stride": (2, 1)}, "stride 1 along the columns"),
    (np.float64, 4, {"stride": (1, 2)}, "stride 2 along the columns"),
    (np.float32, 65, {"stride": 1, "k": 16}, "float32 stride 1, 65 input and 16 output channels"),
    (np.float64, 1025, {"stride": 1, "k": 16}, "float64 stride 1 with 1025 input channels"),
    (np.float64, 4, {"stride": 3}, "stride 3"),
    (np.float32, 257, {"stride": 1, "side": 5}, "5x5 with 257 input channels"),
    (np.float32, 129, {"side": 5}, "float32 5x5 at stride 2 with 129 input channels"),
    (np.float64, 257, {"side": 5}, "float64 5x5 at stride 2 with 257 input channels"),
    (np.float64, 129, {"stride": 1, "side": 7}, "7x7 with 129 input channels"),
    (np.float32, 4, {"stride": 1, "side": 9}, "9x9"),
])
def test_rule_leaves_others_to_their_paths(rng, monkeypatch, dtype, c, geometry, why):
    calls = _calls(monkeypatch)
    kw = {"stride": 2, "padding": 1, **geometry}
    groups, k, side = kw.get("groups", 1), kw.pop("k", 4), kw.pop("side", 3)
    x = rng.standard_normal((1, c, 9, 9)).astype(dtype)
    wt = rng.standard_normal((k, c // groups, side, side)).astype(dtype)
    got = fm.conv2d(x, wt, **kw)
    stride = kw["stride"] if isinstance(kw["stride"], tuple) else (kw["stride"],) * 2
    dilation = (kw.get("dilation", 1),) * 2
    want = ref.conv2d(x, wt, None, stride, ((1, 1), (1, 1)), dilation, groups)
    np.testing.assert_allclose(got, want, **tol(dtype, 20 * np.abs(want).max() * c))
    assert calls == [], why


@pytest.mark.parametrize("stride, side", KINDS)
def test_empty_batch_and_no_output_channels(rng, stride, side):
    w, p = rng.standard_normal((4, 3, side, side)), side // 2
    o = (8 + 2 * p - side) // stride + 1
    assert fm.conv2d(np.ones((0, 3, 8, 8)), w, stride=stride, padding=p).shape == (0, 4, o, o)
    out = fm.conv2d(np.ones((2, 3, 8, 8)), np.ones((0, 3, side, side)), stride=stride, padding=p)
    assert out.shape == (2, 0, o, o)
    # a one-pixel image: one output, the centre tap alone
    x1, w1 = rng.standard_normal((1, 3, 1, 1)), rng.standard_normal((4, 3, side, side))
    got = fm.conv2d(x1, w1, stride=stride, padding=p)
    np.testing.assert_allclose(got[0, :, 0, 0], w1[:, :, p, p] @ x1[0, :, 0, 0], rtol=1e-12)


@pytest.mark.parametrize("stride, side", KINDS)
def test_bad_input_to_a_direct_layer_names_the_argument(stride, side):
    x, p = np.ones((2, 4, 9, 9)), side // 2
    with pytest.raises(ValueError, match="channel mismatch"):
        fm.conv2d(x, np.ones((8, 3, side, side)), stride=stride, padding=p)
    with pytest.raises(ValueError, match="bias"):
        fm.conv2d(x, np.ones((8, 4, side, side)), np.ones(7), stride=stride, padding=p)
    with pytest.raises(ValueError, match="stride"):
        fm.conv2d(x, np.ones((8, 4, side, side)), stride=0)
    with pytest.raises(TypeError, match="x"):
        fm.conv2d(np.full((2, 4, 9, 9), "a"), np.ones((8, 4, side, side)), stride=stride)
    with pytest.raises(ValueError, match="kernel of extent"):
        fm.conv2d(np.ones((1, 4, 2, 2)), np.ones((8, 4, side, side)), stride=stride)


# stride 1: the input gradient is a stride-1 correlation of grad_out (K input
# channels) padded by 2 minus each padding, with the weights flipped
# channels; the rule takes K <= 15 and C >= 8 (N, C, H, W, K, padding)
BACKWARD_CASES = [
    (2, 8, 9, 11, 3, 1),           # fewer gradient input channels (K) than a tile
    (1, 9, 7, 7, 15, 2),           # the most K the rule takes; padding 2: no padding of grad_out
    (3, 12, 33, 20, 5, (1, 2)),    # partial column vectors, odd rows
    (1, 8, 1, 1, 2, 1),            # a 1x1 image
    (2, 10, 3, 20, 4, (2, 0)),     # padding along the rows only
    (2, 8, 10, 37, 1, 0),          # one output channel, no padding
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", BACKWARD_CASES)
@pytest.mark.parametrize("tile", [None, (4, 2, 0.5), (3, 1, 1)])
def test_input_gradient_matches_reference(rng, monkeypatch, dtype, case, tile):
    calls = _force_tile(monkeypatch, tile)
    n, c, h, w, k, padding = case
    x, wt, _ = _layer(rng, dtype, n, c, h, w, k, 3)
    pads = _pads(padding)
    oh, ow = h + sum(pads[0]) - 2, w + sum(pads[1]) - 2
    g = rng.standard_normal((n, k, oh, ow)).astype(dtype)
    gx, gw, gb = fm.conv2d_backward(g, x, wt, padding=padding)
    want_gx, want_gw = ref.conv2d_backward(g, x, wt, (1, 1), pads)
    _check(gx, want_gx, dtype)
    _check(gw, want_gw, dtype)
    _check(gb, g.sum(axis=(0, 2, 3), dtype=np.float64), dtype)
    assert calls == [calls[0]] and calls[0][3:] == (1, 3)  # one direct call, at stride 1


@pytest.mark.parametrize("c, k, padding, why", [
    (8, 16, 1, "16 output channels: the gradient's 16 input channels"),
    (7, 4, 1, "7 input channels: the gradient's 7 output channels"),
    (8, 4, 3, "padding 3: the gradient would need a negative padding"),
])
def test_input_gradient_rule_leaves_others_to_im2col(rng, monkeypatch, c, k, padding, why):
    calls = _calls(monkeypatch)
    x, wt = rng.standard_normal((2, c, 8, 9)), rng.standard_normal((k, c, 3, 3))
    g = rng.standard_normal((2, k, 6 + 2 * padding, 7 + 2 * padding))
    gx, gw, _ = fm.conv2d_backward(g, x, wt, padding=padding)
    want_gx, want_gw = ref.conv2d_backward(g, x, wt, (1, 1), _pads(padding))
    _check(gx, want_gx, np.float64)
    _check(gw, want_gw, np.float64)
    assert calls == [], why


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_input_gradient_non_finite_reaches_exactly_its_window(rng, monkeypatch, bad):
    calls = _calls(monkeypatch)
    x, wt = rng.standard_normal((1, 8, 9, 9)), rng.standard_normal((3, 8, 3, 3))
    g = rng.standard_normal((1, 3, 9, 9))
    g[0, 1, 4, 0] = bad
    with np.errstate(invalid="ignore"):
        want, _ = ref.conv2d_backward(g, x, wt, (1, 1), ((1, 1), (1, 1)))
    got, _, _ = fm.conv2d_backward(g, x, wt, padding=1)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    ok = np.isfinite(want)
    assert ok.any() and not ok.all()
    _check(got[ok], want[ok], np.float64)
    assert len(calls) == 1


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("stride", [1, 2])
def test_tiles_compile_to_vector_fma_of_the_cpus_width(dtype, stride):
    """The tile's multiply-adds are packed FMAs on zmm registers where numba
    compiles for AVX-512, on ymm otherwise (the tile width follows)."""
    import re

    import numba

    from fastmath._config.cpu import vector_bytes
    from fastmath.conv import _direct_tiles, direct

    rk, rows, width = direct.tile_shape(np.dtype(dtype).itemsize)
    # a fresh, serial compile of the same code: cached code has no assembly
    kernel = numba.njit(_direct_tiles._make_kernel(rk, rows, width, stride, 3).py_func)
    x = np.zeros((1, 2, 9, 9), dtype)
    side = (9 + 2 - 3) // stride + 1
    out = np.zeros((1, 4, side, side), dtype)
    kernel(x, 1, 1, np.zeros((4, 2, 3, 3), dtype), np.zeros(4, dtype), out, 1)
    asm = kernel.inspect_asm(kernel.signatures[0])
    register = "zmm" if vector_bytes() == 64 else "ymm"
    suffix = "ps" if dtype == np.float32 else "pd"
    assert re.search(rf"\tvfn?madd\d+{suffix}\s+[^\n]*%{register}", asm)
