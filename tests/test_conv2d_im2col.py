"""The im2col + GEMM path: images side by side in one column matrix, the
weight gradient by chunks of images and blocks of channels, and the
Winograd rule that sends deep layers with few tiles here."""
import numpy as np
import pytest
from conftest import DTYPES, LAYOUTS, in_layout, tol

import fastmath as fm
import reference as ref
from fastmath.conv import _kernels, convolution, im2col, winograd

# (N, C, H, W, K, R, stride, padding, dilation, groups): layers only im2col takes
LAYERS = [
    (7, 6, 6, 5, 5, 3, 3, 1, 1, 1),   # stride 3
    (5, 4, 7, 7, 6, 3, 1, 2, 2, 1),   # dilation 2
    (6, 4, 5, 6, 6, 3, 1, 1, 1, 2),   # two groups
    (7, 6, 4, 3, 5, 1, 1, 0, 1, 1),   # pointwise: the planes are the columns
    (5, 4, 6, 6, 4, 1, 1, 0, 1, 2),   # pointwise, two groups
    (4, 3, 9, 8, 5, 4, 2, 1, 1, 1),   # 4x4 kernel, stride 2
]
# (GEMM_COLUMNS, WEIGHT_COLUMNS, MIN_TASKS, MAX_CHUNKS): one image per GEMM,
# a few (unevenly), all of them; one channel block per group, several; one
# image per chunk, several GEMMs summed in a chunk
CHUNKINGS = [(1, 1, 1, 16), (1, 1, 1, 2), (40, 50, 4, 16), (10 ** 6, 10 ** 6, 16, 16)]


def _layer(rng, layer, dtype):
    n, c, h, w, k, r, stride, padding, dilation, groups = layer
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((k, c // groups, r, r)).astype(dtype)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return x, wt, rng.standard_normal(k).astype(dtype), kw


def _reference(x, wt, b, g, kw):
    """The output and the gradients of x, weight and bias, one group at a time."""
    s, p, d, groups = (kw["stride"],) * 2, ((kw["padding"],) * 2,) * 2, (kw["dilation"],) * 2, \
        kw["groups"]
    out = ref.conv2d(x, wt, b, s, p, d, groups)
    c_g, k_g = x.shape[1] // groups, wt.shape[0] // groups
    grads = [ref.conv2d_backward(g[:, i * k_g:(i + 1) * k_g], x[:, i * c_g:(i + 1) * c_g],
                                 wt[i * k_g:(i + 1) * k_g], s, p, d) for i in range(groups)]
    return (out, np.concatenate([gx for gx, _ in grads], axis=1),
            np.concatenate([gw for _, gw in grads]), g.astype(np.float64).sum(axis=(0, 2, 3)))


def _set_chunking(monkeypatch, chunking):
    """Set the chunking constants; channel blocks even for these small layers."""
    for name, value in zip(("GEMM_COLUMNS", "WEIGHT_COLUMNS", "MIN_TASKS", "MAX_CHUNKS"),
                           chunking):
        monkeypatch.setattr(im2col, name, value)
    monkeypatch.setitem(im2col.SERIAL_WORK, "flops", 0)


def _record_bounds(monkeypatch):
    """The images of each chunk each im2col kernel was given, by kernel name."""
    seen = {}
    for name, where in (("conv_forward", 4), ("conv_backward", 4)):
        kernel = getattr(_kernels, name)

        def spy(*a, name=name, kernel=kernel, where=where):
            n, chunks = a[0].shape[0], a[where]
            seen.setdefault(name, []).append([(i + 1) * n // chunks - i * n // chunks
                                              for i in range(chunks)])
            return kernel(*a)
        monkeypatch.setattr(_kernels, name, spy)
    return seen


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("chunking", CHUNKINGS)
@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("threads", [1, 2])
def test_any_chunking_matches_reference(rng, monkeypatch, dtype, chunking, layer, threads):
    _set_chunking(monkeypatch, chunking)
    x, wt, b, kw = _layer(rng, layer, dtype)
    with fm.thread_limit(threads):
        out = fm.conv2d(x, wt, b, **kw)
        g = rng.standard_normal(out.shape).astype(dtype)
        got = (out,) + fm.conv2d_backward(g, x, wt, **kw)
    for a, want in zip(got, _reference(x, wt, b, g, kw)):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, want, **tol(dtype, 20 * x.shape[0] * x.shape[1] * 16))


def test_images_share_gemms(rng, monkeypatch):
    """Small outputs: several images per GEMM forward and backward, and the
    weight gradient's chunks set by the sizes, not the threads."""
    from fastmath._config import threads as config

    monkeypatch.setitem(config.SERIAL_WORK, "flops", 0)  # two threads for this small layer
    seen = _record_bounds(monkeypatch)
    x, wt, b, kw = _layer(rng, (12, 4, 6, 6, 5, 3, 3, 1, 1, 1), np.float64)  # 2x2 outputs
    g = rng.standard_normal((12, 5, 2, 2))
    for threads in (1, 2):
        with fm.thread_limit(threads):
            fm.conv2d(x, wt, b, **kw)
            fm.conv2d_backward(g, x, wt, **kw)
    # 4 columns an image: all 12 in one GEMM, but each thread gets a chunk forward
    assert [list(c) for c in seen["conv_forward"]] == [[12], [6, 6]]
    assert [list(c) for c in seen["conv_backward"]] == [[12], [12]]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("layer", [LAYERS[0], LAYERS[3]])
def test_any_layout(rng, monkeypatch, layout, layer):
    _set_chunking(monkeypatch, (40, 50, 4, 16))
    x, wt, b, kw = _layer(rng, layer, np.float64)
    g = rng.standard_normal(fm.conv2d(x, wt, b, **kw).shape)
    got = (fm.conv2d(in_layout(x, layout), in_layout(wt, layout), b, **kw),) + \
        fm.conv2d_backward(in_layout(g, layout), in_layout(x, layout), in_layout(wt, layout), **kw)
    for a, want in zip(got, _reference(x, wt, b, g, kw)):
        np.testing.assert_allclose(a, want, **tol(np.float64, 20 * x.shape[0] * x.shape[1] * 16))


def test_weight_gradient_independent_of_threads(rng, monkeypatch):
    _set_chunking(monkeypatch, (40, 50, 4, 16))  # several chunks and channel blocks
    x, wt, b, kw = _layer(rng, (9, 8, 5, 5, 6, 3, 1, 2, 2, 1), np.float32)
    g = rng.standard_normal(fm.conv2d(x, wt, b, **kw).shape).astype(np.float32)
    results = []
    for threads in (1, 2):
        with fm.thread_limit(threads):
            results.append(fm.conv2d_backward(g, x, wt, **kw)[1])
    np.testing.assert_array_equal(results[0], results[1])


def test_empty_batch(rng):
    x = np.zeros((0, 4, 6, 6), np.float32)
    wt = rng.standard_normal((5, 4, 3, 3)).astype(np.float32)
    out = fm.conv2d(x, wt, stride=3, padding=1)
    assert out.shape == (0, 5, 2, 2)
    gx, gw, gb = fm.conv2d_backward(np.zeros(out.shape, np.float32), x, wt, stride=3, padding=1)
    assert gx.shape == x.shape and not gw.any() and not gb.any()


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_reaches_only_its_receptive_field(rng, bad):
    x, wt, b, kw = _layer(rng, (6, 4, 6, 6, 5, 3, 3, 1, 1, 1), np.float64)
    x[2, 1, 0, 0] = bad
    out = fm.conv2d(x, wt, b, **kw)
    hit = np.zeros(out.shape, bool)
    hit[2, :, 0, 0] = True  # only output (0, 0) of image 2 reads pixel (0, 0)
    assert not np.isfinite(out[hit]).any() and np.isfinite(out[~hit]).all()
    g = np.ones(out.shape)
    gx, gw, _ = fm.conv2d_backward(g, x, wt, **kw)
    assert np.isfinite(gx).all()  # gx does not read x
    assert not np.isfinite(gw[:, 1]).all() and np.isfinite(gw[:, [0, 2, 3]]).all()


def test_winograd_leaves_deep_layers_with_few_tiles(rng, monkeypatch):
    """Above C * K of each entry of MIN_TILES, Winograd needs so many tiles."""
    def applies(n, c, side, k):
        return winograd.applies(convolution._Geometry((n, c, side, side), (k, c, 3, 3), 1, 1, 1, 1))

    assert applies(8, 128, 7, 128)  # 32 tiles
    assert not applies(8, 256, 7, 256) and applies(16, 256, 7, 256)
    assert applies(4, 256, 14, 256)  # 64 tiles of 14x14 images
    assert not applies(16, 512, 7, 512) and applies(32, 512, 7, 512)
    assert not applies(16, 512, 7, 256) and applies(16, 256, 7, 128)
    # a small layer under a lowered limit: 9 tiles of 4x4 are too few, 18 enough
    monkeypatch.setattr(winograd, "MIN_WORK", 0)
    monkeypatch.setattr(winograd, "MIN_TILES", ((16 * 16 - 1, 10),))
    calls = []
    monkeypatch.setattr(winograd, "forward", lambda *a: calls.append(1) or False)
    x, wt, b = (rng.standard_normal(s).astype(np.float32)
                for s in ((1, 16, 9, 9), (16, 16, 3, 3), (16,)))
    got = fm.conv2d(x, wt, b, padding=1)
    np.testing.assert_allclose(got, ref.conv2d(x, wt, b, (1, 1), ((1, 1), (1, 1))),
                               **tol(np.float32, 200))
    assert calls == []
    fm.conv2d(np.concatenate([x, x]), wt, b, padding=1)
    assert calls == [1]


def _unfold(img, r, s, stride, pads, dilation, oh, ow):
    """Column matrix of one image by explicit padding and slicing: rows (c, u, v)."""
    c = img.shape[0]
    (pt, pb), (pl, pr) = pads
    padded = np.pad(img, ((0, 0), (pt, pb + stride[0] * oh), (pl, pr + stride[1] * ow)))
    rows = []
    for ch in range(c):
        for u in range(r):
            for v in range(s):
                y, x = u * dilation[0], v * dilation[1]
                rows.append(padded[ch, y:y + stride[0] * oh:stride[0],
                                   x:x + stride[1] * ow:stride[1]].reshape(-1))
    return np.array(rows)


# (C, H, W, R, S, stride, padding (top, bottom, left, right), dilation): the flat path
# (stride 1, output as wide as the input), the row path, paddings wider than the
# kernel (taps that miss the image), asymmetric paddings, a 1-pixel image
UNFOLDS = [
    (3, 5, 6, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1)),
    (2, 7, 7, 3, 3, (1, 1), (3, 3, 1, 1), (1, 1)),
    (2, 4, 5, 3, 5, (1, 1), (0, 2, 2, 2), (1, 1)),
    (2, 6, 5, 3, 3, (2, 2), (1, 0, 4, 3), (1, 1)),
    (3, 9, 8, 3, 2, (2, 3), (2, 2, 0, 1), (2, 2)),
    (1, 1, 1, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1)),
    (2, 4, 4, 7, 7, (2, 2), (3, 3, 3, 3), (1, 1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", UNFOLDS)
def test_im2col_and_col2im_match_slicing(rng, dtype, case):
    """im2col against explicit padding and slicing, at a column offset, for
    channels c0 on; col2im_add as its adjoint (<cols, im2col(x)> = <col2im(cols), x>)
    and against scattering the reference's columns."""
    c, h, w, r, s, stride, pads, dilation = case
    oh = (h + pads[0] + pads[1] - dilation[0] * (r - 1) - 1) // stride[0] + 1
    ow = (w + pads[2] + pads[3] - dilation[1] * (s - 1) - 1) // stride[1] + 1
    geo = _kernels.Geometry(r, s, *stride, pads[0], pads[2], *dilation, oh, ow, False)
    img = rng.standard_normal((c + 1, h, w)).astype(dtype)  # channel 0 is skipped
    expected = _unfold(img[1:], r, s, stride, ((pads[0], pads[1]), (pads[2], pads[3])),
                       dilation, oh, ow)
    cols = np.full((c * r * s, oh * ow + 3), np.nan, dtype)
    _kernels.im2col(img, 1, c, geo, cols, 3)
    np.testing.assert_array_equal(cols[:, 3:], expected)
    assert np.isnan(cols[:, :3]).all()  # left of the offset: untouched

    g = rng.standard_normal((c * r * s, oh * ow + 3)).astype(dtype)
    back = np.zeros_like(img)
    _kernels.col2im_add(g.copy(), 1, c, geo, back, 3)
    assert not back[0].any()
    # scatter: each column entry goes to the input pixel it was read from
    pos = np.arange(h * w, dtype=float).reshape(1, h, w).repeat(c, 0) + 1
    pos += (np.arange(c) * h * w)[:, None, None]
    where = _unfold(pos, r, s, stride, ((pads[0], pads[1]), (pads[2], pads[3])), dilation,
                    oh, ow).astype(int) - 1
    scatter = np.zeros(c * h * w)
    inside = where >= 0
    np.add.at(scatter, where[inside], g[:, 3:][inside].astype(np.float64))
    np.testing.assert_allclose(back[1:].reshape(-1), scatter, **tol(dtype))
