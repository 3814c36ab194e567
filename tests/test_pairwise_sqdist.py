import numpy as np
import pytest
from conftest import DTYPES, LAYOUTS, in_layout
from hypothesis import given, settings
from hypothesis import strategies as st

import fastmath as fm
import reference as ref


def _check(got, want, x, y, dtype):
    scale = 1.0 + max(np.abs(x).max(initial=0), np.abs(y).max(initial=0)) ** 2 * x.shape[1]
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(got, want, rtol=0, atol=64 * eps * scale)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shapes", [((20, 5), (13, 5)), ((1, 1), (1, 1)), ((3, 70), (90, 70))])
def test_matches_reference(rng, dtype, layout, shapes):
    x = in_layout(rng.standard_normal(shapes[0]).astype(dtype), layout)
    y = in_layout(rng.standard_normal(shapes[1]).astype(dtype), layout)
    got = fm.pairwise_sqdist(x, y)
    assert got.dtype == dtype and got.shape == (shapes[0][0], shapes[1][0])
    assert (got >= 0).all()
    _check(got, ref.pairwise_sqdist(x, y), x, y, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 2, 65, 150])
def test_symmetric_exact_zero_diagonal(rng, dtype, n):
    x = (rng.standard_normal((n, 9)) + 1000).astype(dtype)  # far from the origin
    got = fm.pairwise_sqdist(x)
    np.testing.assert_array_equal(np.diag(got), 0)
    np.testing.assert_array_equal(got, got.T)
    assert (got >= 0).all()
    centred = x - x.mean(0)
    _check(got, ref.pairwise_sqdist(x), centred, centred, dtype)


def test_duplicates_give_zero_not_negative():
    x = np.repeat(np.array([[1e4, -3e4, 7.0]]), 5, axis=0)
    d = fm.pairwise_sqdist(x, x.copy())
    assert (d >= 0).all()
    np.testing.assert_allclose(d, 0, atol=1e-6)


@pytest.mark.parametrize("symmetric", [True, False])
def test_nan_and_inf_exactly_like_reference(symmetric):
    x = np.arange(24.0).reshape(6, 4)
    x[1, 2] = np.nan
    x[3, 0] = np.inf
    x[4, 0] = np.inf
    y = None if symmetric else np.vstack([x[::-1], [[0, 1, 2, -np.inf]]])
    with np.errstate(invalid="ignore"):
        want = ref.pairwise_sqdist(x, y)
    got = fm.pairwise_sqdist(x, y)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    finite = np.isfinite(want)
    np.testing.assert_array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)])
    np.testing.assert_allclose(got[finite], want[finite], atol=1e-9)


def test_empty():
    assert fm.pairwise_sqdist(np.ones((0, 3))).shape == (0, 0)
    assert fm.pairwise_sqdist(np.ones((2, 3)), np.ones((0, 3))).shape == (2, 0)
    np.testing.assert_array_equal(fm.pairwise_sqdist(np.ones((2, 0))), np.zeros((2, 2)))


def test_bad_input():
    with pytest.raises(ValueError, match=r"same number of columns.*\(2, 3\).*\(2, 4\)"):
        fm.pairwise_sqdist(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="y must be 2-D"):
        fm.pairwise_sqdist(np.ones((2, 3)), np.ones(3))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), m=st.integers(1, 40), d=st.integers(1, 10), seed=st.integers(0, 99))
def test_hypothesis(n, m, d, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((n, d)), rng.standard_normal((m, d))
    _check(fm.pairwise_sqdist(x, y), ref.pairwise_sqdist(x, y), x, y, np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_row_blocks_match_reference(rng, dtype, monkeypatch):
    from fastmath.linalg import distances

    monkeypatch.setattr(distances, "BLOCK_BYTES", 1)  # forces blocks of 16 rows
    monkeypatch.setattr(distances, "MAX_TILE_DEPTH", 0)  # the GEMM path
    x = rng.standard_normal((70, 6)).astype(dtype)
    y = rng.standard_normal((9, 6)).astype(dtype)
    x[33, 2] = np.inf
    with np.errstate(invalid="ignore"):
        want = ref.pairwise_sqdist(x, y)
    got = fm.pairwise_sqdist(x, y)
    finite = np.isfinite(want)
    np.testing.assert_array_equal(got[~finite], want[~finite])
    _check(got[finite], want[finite], x[np.isfinite(x).all(1)], y, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n, block_bytes", [
    (70, 1),  # strips of 16 rows, last one partial; two 64-column tiles
    (1100, None),  # default blocks: strips of hundreds of rows, many 64 x 64 mirror tiles
])
def test_symmetric_strips_match_reference(rng, dtype, monkeypatch, n, block_bytes):
    from fastmath.linalg import distances

    if block_bytes is not None:
        monkeypatch.setattr(distances, "BLOCK_BYTES", block_bytes)
    monkeypatch.setattr(distances, "MAX_TILE_DEPTH", 0)  # the GEMM path
    x = rng.standard_normal((n, 5)).astype(dtype)
    x[40, 1] = np.nan
    got = fm.pairwise_sqdist(x)
    with np.errstate(invalid="ignore"):
        want = ref.pairwise_sqdist(x)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got, got.T)
    np.testing.assert_array_equal(np.diag(got)[np.arange(n) != 40], 0)
    ok = ~np.isnan(want)
    _check(got[ok], want[ok], x[np.isfinite(x).all(1)], x[np.isfinite(x).all(1)], dtype)


def test_mixed_precision_centres_in_float64(rng):
    x = (rng.standard_normal((50, 8)) + 1000).astype(np.float32)
    y = rng.standard_normal((40, 8)) + 1000
    want = ((x.astype(np.float64)[:, None] - y[None]) ** 2).sum(-1)
    got = fm.pairwise_sqdist(x, y)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tile", [None, (4, 8), (1, 3), (8, 16)])
@pytest.mark.parametrize("shape", [(37, 45, 7), (8, 16, 1), (9, 17, 0), (2, 40, 128)])
@pytest.mark.parametrize("threads", [1, 2])
def test_register_tiles_match_reference(rng, monkeypatch, dtype, tile, shape, threads):
    """Tail rows (n not a multiple of R), a partial last strip (m not a multiple
    of W), several strip groups and chunks; the AVX2 tile shape (4 rows) and
    others forced on any CPU."""
    from fastmath.linalg import _sqdist_tiles as tiles

    if tile is not None:
        monkeypatch.setattr(tiles, "tile_shape", lambda itemsize: tile)
    monkeypatch.setattr(tiles, "GROUP_BYTES", 1)  # one strip per group
    n, m, d = shape
    x = (rng.standard_normal((n, d)) * 3 + 50).astype(dtype)
    y = (rng.standard_normal((m, d)) * 3 + 50).astype(dtype)
    with fm.thread_limit(threads):
        got = fm.pairwise_sqdist(x, y)
    assert got.shape == (n, m) and got.dtype == dtype and (got >= 0).all()
    c = x.mean(0) if n else 0
    _check(got, ref.pairwise_sqdist(x, y), x - c, y - c, dtype)


def test_tiles_and_gemm_meet_at_the_depth_limit(rng):
    from fastmath.linalg import distances

    for d in (distances.MAX_TILE_DEPTH, distances.MAX_TILE_DEPTH + 1):
        x, y = rng.standard_normal((30, d)), rng.standard_normal((21, d))
        _check(fm.pairwise_sqdist(x, y), ref.pairwise_sqdist(x, y), x, y, np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_register_tiles_nan_and_inf(dtype):
    x = np.arange(60.0, dtype=dtype).reshape(12, 5)
    y = np.arange(85.0, dtype=dtype).reshape(17, 5)[::-1] / 3
    x[2, 1], x[9, 4], y[0, 0], y[16, 3] = np.nan, np.inf, -np.inf, np.nan
    with np.errstate(invalid="ignore"):
        want = ref.pairwise_sqdist(x, y)
    got = fm.pairwise_sqdist(x, y)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    inf = np.isinf(want)
    np.testing.assert_array_equal(got[inf], want[inf])
    finite = np.isfinite(want)
    _check(got[finite], want[finite], x[np.isfinite(x).all(1)], y[np.isfinite(y).all(1)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tile", [None, (4, 8), (1, 3), (3, 5)])
@pytest.mark.parametrize("n", [1, 7, 64, 150, 203])
@pytest.mark.parametrize("threads", [1, 2])
def test_symmetric_register_tiles(rng, monkeypatch, dtype, tile, n, threads):
    """y=None in tiles: blocks of rows mirrored below the diagonal (several
    blocks from n = 150 on, strip widths that do not divide 64 forced), a NaN
    row recomputed, exact symmetry and zero diagonal."""
    from fastmath.linalg import _sqdist_tiles as tiles

    if tile is not None:
        monkeypatch.setattr(tiles, "tile_shape", lambda itemsize: tile)
    monkeypatch.setattr(tiles, "GROUP_BYTES", 1)
    x = (rng.standard_normal((n, 6)) + 20).astype(dtype)
    nan_row = n // 2 if n > 2 else None
    if nan_row is not None:
        x[nan_row, 3] = np.nan
    with fm.thread_limit(threads):
        got = fm.pairwise_sqdist(x)
    with np.errstate(invalid="ignore"):
        want = ref.pairwise_sqdist(x)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got, got.T)
    finite_rows = np.isfinite(x).all(1)
    np.testing.assert_array_equal(np.diag(got)[finite_rows], 0)
    ok = ~np.isnan(want)
    c = x[finite_rows] - x[finite_rows].mean(0)
    _check(got[ok], want[ok], c, c, dtype)
