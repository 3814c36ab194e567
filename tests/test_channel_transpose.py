"""The channel-last copies of the Winograd paths (conv/_channel_transpose.py): the
register transpose itself, the NHWC and phase buffers built with it, and
non-finite values inside a transposed block."""
import numba
import numpy as np
import pytest
from conftest import DTYPES, tol

import fastmath as fm
import reference as ref
from fastmath.conv import _winograd, _winograd_s2
from fastmath.conv._channel_transpose import block_width, transpose_block


@numba.njit
def _block(src, s0, s_chan, dst, d0, d1, d_col, step):
    if step == 1:
        return transpose_block(src, s0, s_chan, dst, d0, d1, d_col, 1)
    return transpose_block(src, s0, s_chan, dst, d0, d1, d_col, 2)


@numba.njit
def _width(a):
    return block_width(a)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("step", [1, 2])
def test_transpose_block_places_every_element_and_nothing_else(rng, dtype, step):
    w = _width(np.empty(1, dtype))
    assert w in (4, 8, 16) and w * np.dtype(dtype).itemsize in (32, 64)
    s_chan, s0, d_col, d0, d1 = 3 * w + 5, 7, 2 * w + 3, 11, 11 + w + 1
    src = rng.standard_normal(s0 + w * s_chan + 2 * w).astype(dtype)
    dst = np.full(d1 + w * d_col + w, -7.0, dtype)
    largest = _block(src, s0, s_chan, dst, d0, d1, d_col, step)
    want = np.full_like(dst, -7.0)
    copied = []
    for c in range(w):
        for j in range(w):
            want[d0 + j * d_col + c] = src[s0 + c * s_chan + step * j]
            copied.append(src[s0 + c * s_chan + step * j])
            if step == 2:
                want[d1 + j * d_col + c] = src[s0 + c * s_chan + 2 * j + 1]
                copied.append(src[s0 + c * s_chan + 2 * j + 1])
    np.testing.assert_array_equal(dst, want)
    assert largest == np.abs(copied).max()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bad, want", [(np.nan, np.nan), (-np.inf, np.inf), (np.inf, np.inf)])
def test_transpose_block_largest_magnitude_sees_non_finite(dtype, bad, want):
    w = _width(np.empty(1, dtype))
    src = np.ones(w * 2 * w, dtype)
    src[(w - 1) * 2 * w + 2 * w - 1] = bad  # the last element of the last channel
    dst = np.zeros(2 * w * w, dtype)
    got = _block(src, 0, 2 * w, dst, 0, w * w, w, 2)
    np.testing.assert_array_equal(got, want)
    assert np.isnan(dst).any() == np.isnan(bad)
    # an element just outside the block is not read
    src[(w - 1) * 2 * w + 2 * w - 1] = 1
    src_long = np.concatenate([src, [bad]]).astype(dtype)
    assert _block(src_long, 0, 2 * w, dst, 0, w * w, w, 2) == 1


# (N, C, H, W, pad_top, pad_left): channel and column counts with and without
# whole vector blocks, in both dtypes' widths
SHAPES = [(2, 32, 5, 32, 1, 1), (1, 21, 3, 37, 2, 0), (2, 16, 4, 16, 0, 1), (1, 3, 2, 5, 1, 2)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_padded_nhwc_matches_numpy(rng, dtype, shape):
    n, c, h, w, pt, pl = shape
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    x[-1, -1, -1, -1] = -50.0
    rows, cols = h + pt + 1, w + pl + 2
    got = np.full((n, rows, cols, c), np.nan, dtype)
    largest = np.full(n * rows, np.nan, dtype)
    _winograd.to_padded_nhwc(x, pt, pl, got, largest)
    want = np.zeros_like(got)
    want[:, pt:pt + h, pl:pl + w] = x.transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(largest, np.abs(want).max(axis=(2, 3)).reshape(-1))
    assert largest.max() == 50.0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("narrow", [False, True])
def test_phases_match_numpy(rng, dtype, shape, narrow):
    n, c, h, w, pt, pl = shape
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    # a narrow buffer leaves the last input columns out
    rows, cols = (h + pt) // 2 + 2, max(1, (w + pl) // 2 - 3) if narrow else (w + pl) // 2 + 1
    got = np.full((n, rows, cols, 4 * c), np.nan, dtype)
    largest = np.full(n * rows, np.nan, dtype)
    _winograd_s2.to_phases(x, pt, pl, got, largest)
    padded = np.zeros((n, c, 2 * rows, 2 * cols), dtype)
    width = min(w, 2 * cols - pl)
    padded[:, :, pt:pt + h, pl:pl + width] = x[..., :width]
    want = np.empty_like(got)
    for p in range(2):
        for q in range(2):
            slot = _winograd_s2.SLOTS[p, q]
            want[..., slot * c:(slot + 1) * c] = padded[:, :, p::2, q::2].transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(largest, np.abs(want).max(axis=(2, 3)).reshape(-1))


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("where", ["x", "grad_out"])
@pytest.mark.parametrize("bad", [np.nan, -np.inf])
def test_non_finite_inside_a_transposed_block_takes_the_direct_path(rng, monkeypatch, stride,
                                                                    where, bad):
    # 32 channels and 64 columns: the value sits in a whole vector block of
    # the channel-last copy, so only the block's own maximum can report it
    from fastmath.conv import winograd, winograd_strided

    monkeypatch.setattr(winograd, "MIN_WORK", 0)
    monkeypatch.setattr(winograd_strided, "MIN_WORK", 0)
    copies = []
    for module, name in ((_winograd, "to_padded_nhwc"), (_winograd_s2, "to_phases")):
        kernel = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, name=name, kernel=kernel: (
            copies.append((name, a[0].shape[1])) or kernel(*a)))
    x = rng.standard_normal((1, 32, 8, 64)).astype(np.float32)
    wt = rng.standard_normal((16, 32, 3, 3)).astype(np.float32)
    pads = ((1, 1), (1, 1))
    g = rng.standard_normal(ref.conv2d(x, wt, None, (stride, stride), pads).shape)
    g = g.astype(np.float32)
    {"x": x, "grad_out": g}[where][0, 5, 3, 9] = bad
    gx, gw, _ = fm.conv2d_backward(g, x, wt, stride=stride, padding=1)
    want_gx, want_gw = ref.conv2d_backward(g, x, wt, (stride, stride), pads)
    outputs = [(gx, want_gx), (gw, want_gw)]
    if where == "x":
        outputs.append((fm.conv2d(x, wt, stride=stride, padding=1),
                        ref.conv2d(x, wt, None, (stride, stride), pads)))
    for got, want in outputs:
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
        ok = np.isfinite(want)
        np.testing.assert_allclose(got[ok], want[ok],
                                   **tol(np.float32, 20 * np.abs(want[ok]).max()))
    # the array holding the value went through a channel-last copy
    copied = {"x": 32, "grad_out": 16}[where]
    assert (("to_phases" if stride == 2 and where == "x" else "to_padded_nhwc"), copied) in copies
