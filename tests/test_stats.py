"""Statistics against NumPy/SciPy: streaming moments, scaling, Mahalanobis, t-test."""
import importlib

import numpy as np
import pytest
import scipy.stats as ss
from numpy.testing import assert_allclose
from scipy.spatial.distance import cdist
from sklearn.covariance import EmpiricalCovariance

from conftest import DTYPES, in_layout

import fastmath as fm
from fastmath.stats import (RunningMoments, mahalanobis, median_abs_deviation, robust_zscore,
                            ttest_ind, zscore)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("splits", [[], [1], [3, 4, 50], list(range(1, 100, 7))])
def test_running_moments_equal_batch_for_any_split(rng, dtype, splits):
    X = (rng.standard_normal((100, 4)) * [1, 10, 0.1, 3] + 1e4).astype(dtype)
    rm = RunningMoments()
    for part in np.split(X, splits):
        rm.update(part)
    X64 = X.astype(np.float64)
    assert rm.count == 100
    assert_allclose(rm.mean, X64.mean(axis=0), rtol=1e-12)
    assert_allclose(rm.cov, np.cov(X64.T), rtol=1e-9, atol=1e-9)
    assert_allclose(rm.var, X64.var(axis=0, ddof=1), rtol=1e-9)


def test_running_moments_merge_across_threads(rng):
    from concurrent.futures import ThreadPoolExecutor

    X = rng.standard_normal((20_000, 6))
    parts = np.array_split(X, 4)
    with ThreadPoolExecutor(4) as pool:
        summaries = list(pool.map(lambda p: RunningMoments(ddof=0).update(p), parts))
    total = RunningMoments(ddof=0)
    for s in summaries:
        total.merge(s)
    assert_allclose(total.cov, np.cov(X.T, ddof=0), rtol=1e-10, atol=1e-12)
    assert_allclose(total.var, X.var(axis=0), rtol=1e-10)


@pytest.mark.parametrize("layout", ["F", "strided", "reversed"])
def test_running_moments_layouts(rng, layout):
    X = rng.standard_normal((300, 5))
    assert_allclose(RunningMoments().update(in_layout(X, layout)).cov, np.cov(X.T), rtol=1e-10)


def test_running_moments_edge_cases(rng):
    rm = RunningMoments()
    with pytest.raises(ValueError, match="no data"):
        rm.mean
    rm.update(np.empty((0, 3)))
    assert rm.count == 0 and np.all(np.isnan(rm.cov))
    rm.update([[1.0, 2.0, 3.0]])
    assert_allclose(rm.mean, [1, 2, 3]) and np.all(np.isnan(rm.cov))  # ddof=1 needs 2 rows
    with pytest.raises(ValueError, match="features"):
        rm.update(np.ones((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        RunningMoments().update([[1.0, np.nan]])
    with pytest.raises(ValueError, match="ddof"):
        RunningMoments(ddof=-1)
    one = RunningMoments().update(rng.standard_normal(50))  # 1-D: one feature
    assert one.cov.shape == (1, 1)


@pytest.mark.parametrize("axis", [0, 1, None])
def test_zscore_and_mad_match_scipy(rng, axis):
    X = rng.standard_normal((40, 7)) * 3 + 2
    X[0, 0] = np.nan
    assert_allclose(zscore(X, axis=axis), ss.zscore(X, axis=axis), rtol=1e-12, equal_nan=True)
    assert_allclose(zscore(X, axis=axis, ddof=1), ss.zscore(X, axis=axis, ddof=1), rtol=1e-12,
                    equal_nan=True)
    Y = X[1:]
    assert_allclose(median_abs_deviation(Y, axis=axis, scale="normal"),
                    ss.median_abs_deviation(Y, axis=axis, scale="normal"), rtol=1e-12)
    median = np.median(Y, axis=axis, keepdims=True)
    mad = ss.median_abs_deviation(Y, axis=axis, scale="normal")
    mad = mad if axis is None else np.expand_dims(mad, axis)
    assert_allclose(robust_zscore(Y, axis=axis), (Y - median) / mad, rtol=1e-12)


def test_robust_zscore_resists_outliers(rng):
    x = rng.standard_normal(1001)
    x[:50] = 1e6
    assert abs(np.median(robust_zscore(x)[50:])) < 0.2
    assert np.all(np.abs(zscore(x)[50:]) < 0.3)  # the plain z-score is dragged to ~0


@pytest.mark.parametrize("dtype", DTYPES)
def test_mahalanobis_matches_scipy_and_sklearn(rng, dtype):
    A = rng.standard_normal((6, 6))
    X = (rng.standard_normal((5000, 6)) @ A + 50).astype(dtype)
    mean, cov = X.mean(axis=0, dtype=np.float64), np.cov(X.T.astype(np.float64))
    want = cdist(X.astype(np.float64), mean[None], "mahalanobis", VI=np.linalg.inv(cov))[:, 0]
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    assert_allclose(mahalanobis(X, mean, cov), want, rtol=rtol)
    est = EmpiricalCovariance().fit(X.astype(np.float64))
    assert_allclose(mahalanobis(X, est.location_, est.covariance_, squared=True),
                    est.mahalanobis(X.astype(np.float64)), rtol=rtol)
    assert mahalanobis(X[:0], mean, cov).shape == (0,)


def test_mahalanobis_bad_input(rng):
    X = rng.standard_normal((10, 3))
    with pytest.raises(ValueError, match="singular"):
        mahalanobis(X, np.zeros(3), np.ones((3, 3)))
    with pytest.raises(ValueError, match="mean"):
        mahalanobis(X, np.zeros(2), np.eye(3))
    with pytest.raises(ValueError, match="cov"):
        mahalanobis(X, np.zeros(3), np.eye(2))
    with pytest.raises(ValueError, match="cov contains NaN"):
        mahalanobis(X, np.zeros(3), np.full((3, 3), np.nan))


@pytest.mark.parametrize("equal_var", [False, True])
@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_ttest_matches_scipy(rng, equal_var, alternative):
    a = rng.standard_normal((30, 3))
    b = rng.standard_normal((45, 3)) * 2 + 0.4
    got = ttest_ind(a, b, equal_var=equal_var, alternative=alternative)
    want = ss.ttest_ind(a, b, equal_var=equal_var, alternative=alternative)
    t, p = got  # unpacks like SciPy's result
    assert_allclose(t, want.statistic, rtol=1e-12)
    assert_allclose(p, want.pvalue, rtol=1e-10)
    assert_allclose(got.df, want.df, rtol=1e-12)
    t1, p1 = ttest_ind(a[:, 0], b[:, 0], equal_var=equal_var, alternative=alternative)
    assert np.ndim(t1) == 0
    assert_allclose(p1, p[0], rtol=1e-12)


def test_ttest_axis_nan_and_bad_input(rng):
    a, b = rng.standard_normal((3, 20)), rng.standard_normal((3, 25))
    assert_allclose(ttest_ind(a, b, axis=1, equal_var=False).pvalue,
                    ss.ttest_ind(a, b, axis=1, equal_var=False).pvalue, rtol=1e-10)
    a[0, 0] = np.nan
    assert np.isnan(ttest_ind(a, b, axis=1).statistic[0])
    assert not np.isnan(ttest_ind(a, b, axis=1, nan_policy="omit").statistic[0])
    with pytest.raises(ValueError, match="contains nan"):
        ttest_ind(a, b, axis=1, nan_policy="raise")
    with pytest.raises(ValueError, match="alternative"):
        ttest_ind(a, b, alternative="both")
    with pytest.raises(ValueError, match="nan_policy"):
        ttest_ind(a, b, nan_policy="ignore")
    with pytest.raises(TypeError, match="a must hold real numbers"):
        ttest_ind(["x", "y"], [1.0, 2.0])
    with pytest.raises(TypeError, match="axis must be an integer"):
        ttest_ind(a, b, axis="1")


def test_ttest_defaults_are_scipy_s():
    """Student's test by default; Welch's with zero variances gives p = 0 (df = 1), as SciPy."""
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0]
    pooled = np.sqrt((3 * np.var(a, ddof=1) + 3 * np.var(b, ddof=1)) / 6 * (1 / 4 + 1 / 4))
    assert ttest_ind(a, b).statistic == pytest.approx((2.5 - 5.0) / pooled, rel=1e-14)
    assert ttest_ind(a, b).df == 6.0
    welch = ttest_ind(np.zeros(3), np.ones(3), equal_var=False)
    assert welch.statistic == -np.inf and welch.pvalue == 0.0 and welch.df == 1.0


def test_ttest_small_samples_give_nan_with_a_warning():
    from fastmath.stats.ttest import SmallSampleWarning

    t, p = ttest_ind(1.0, 2.0)  # one value each: Student's df is 0
    assert np.isnan(t) and np.isnan(p)
    with pytest.warns(SmallSampleWarning):
        res = ttest_ind([], [1.0, 2.0])
    assert np.isnan(res.statistic) and np.isnan(res.pvalue)
    with pytest.warns(SmallSampleWarning):
        res = ttest_ind([np.nan, np.nan], [2.0, 3.0], nan_policy="omit")
    assert np.isnan(res.pvalue)


def test_ttest_large_finite_values_as_scipy():
    big = [1e308, -1e308, 1e308]
    with np.errstate(over="ignore"):
        res = ttest_ind(big, big)
    assert res.statistic == 0.0 and res.pvalue == 1.0


def test_ttest_broadcasts_and_confidence_interval():
    a = np.arange(12.0).reshape(4, 3)
    b = np.ones((5, 1)) * np.array([[0.0], [1.0], [5.0], [2.0], [4.0]])
    res = ttest_ind(a, b)
    assert res.statistic.shape == (3,)
    for j in range(3):
        one = ttest_ind(a[:, j], b[:, 0])
        assert_allclose(res.statistic[j], one.statistic, rtol=1e-14)
    ci = ttest_ind([1.0, 2.0, 3.0], [2.0, 3.0, 5.0]).confidence_interval(0.95)
    diff, se = -4.0 / 3.0, np.sqrt((1.0 + 7.0 / 3.0) / 2.0 * (2.0 / 3.0))
    crit = ss.t.ppf(0.975, 4)
    assert_allclose([ci.low, ci.high], [diff - crit * se, diff + crit * se], rtol=1e-12)
    with pytest.raises(ValueError, match="confidence_level"):
        ttest_ind([1.0, 2.0], [2.0, 3.0]).confidence_interval(1.5)


def test_mahalanobis_chunks_and_blocks_cover_every_row(rng, monkeypatch):
    module = importlib.import_module("fastmath.stats.mahalanobis")  # not the function

    X = rng.standard_normal((1000, 5)) @ rng.standard_normal((5, 5))
    mean, cov = X.mean(axis=0), np.cov(X.T)
    want = cdist(X, mean[None], "mahalanobis", VI=np.linalg.inv(cov))[:, 0]
    # tasks of 100 rows in blocks of 7: partial blocks in every task
    monkeypatch.setattr(module, "CHUNK_ROWS", 100)
    monkeypatch.setattr(module, "BLOCK_ROWS", 7)
    assert_allclose(mahalanobis(X, mean, cov), want, rtol=1e-10)


@pytest.mark.parametrize("layout", ["F", "strided", "reversed"])
def test_mahalanobis_layouts_and_nan_rows(rng, layout):
    X = rng.standard_normal((300, 4)) @ rng.standard_normal((4, 4))
    mean, cov = X.mean(axis=0), np.cov(X.T)
    want = mahalanobis(X, mean, cov)
    assert_allclose(mahalanobis(in_layout(X, layout), mean, cov), want, rtol=1e-12)
    X[5, 2] = np.nan
    got = mahalanobis(X, mean, cov)
    assert np.isnan(got[5])  # a NaN row gives NaN, as scipy's cdist does
    assert np.all(np.isfinite(np.delete(got, 5)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_scaling_keeps_float_dtype(rng, dtype):
    X = rng.standard_normal((50, 3)).astype(dtype)
    for fn in (zscore, robust_zscore):
        out = fn(X)
        assert out.dtype == dtype
        assert_allclose(out, fn(X.astype(np.float64)), rtol=1e-5 if dtype == np.float32 else 1e-12,
                        atol=1e-5 if dtype == np.float32 else 0)
    assert zscore(X[:0]).shape == (0, 3) and robust_zscore(X[:0]).shape == (0, 3)


def test_mahalanobis_refuses_a_non_symmetric_covariance():
    cov = np.array([[2.0, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match="cov must be symmetric"):
        mahalanobis(np.ones((3, 2)), np.zeros(2), cov)
    almost = np.array([[2.0, 0.5], [0.5 + 1e-14, 1.0]])  # rounding-level asymmetry is fine
    assert np.isfinite(mahalanobis(np.ones((3, 2)), np.zeros(2), almost)).all()


@pytest.mark.parametrize("tile", [None, (4, 4), (1, 3), (3, 5)])
@pytest.mark.parametrize("d", [1, 8, 20, 33])
@pytest.mark.parametrize("threads", [1, 2])
def test_mahalanobis_tiles_match_numpy(rng, monkeypatch, tile, d, threads):
    """Strips of the triangular transform (several, the last partial), tail
    rows, the AVX2 tile (4 x 4) and others forced on any CPU; an infinite
    feature gives what NumPy's product gives (inf: it never meets the
    padding's zeros)."""
    module = importlib.import_module("fastmath.stats.mahalanobis")

    if tile is not None:
        monkeypatch.setattr(module, "tile_shape", lambda: tile)
    monkeypatch.setattr(module, "BLOCK_ROWS", 13)
    X = rng.standard_normal((101, d)) @ rng.standard_normal((d, d)) + 30
    mean, cov = X.mean(axis=0), np.cov(X.T).reshape(d, d) + 0.1 * np.eye(d)
    X[7, 0] = np.inf
    U = np.linalg.inv(np.linalg.cholesky(cov)).T
    with np.errstate(invalid="ignore"):
        want = (((X - mean) @ U) ** 2).sum(axis=1)
    with fm.thread_limit(threads):
        got = mahalanobis(X, mean, cov, squared=True)
    assert_allclose(got, want, rtol=1e-9)
    assert got[7] == np.inf


def test_mahalanobis_strip_depths_of_any_matrix():
    module = importlib.import_module("fastmath.stats.mahalanobis")
    T = np.zeros((5, 5))
    T[3, 1] = 2.0  # column 1's last nonzero row is 3, below the diagonal
    T[0, 4] = 1.0
    upack, depths = module.pack_strips(T, 2)
    assert upack.shape == (3, 5, 2)
    np.testing.assert_array_equal(depths, [4, 0, 1])
    np.testing.assert_array_equal(upack[0, :, 1], T[:, 1])
    np.testing.assert_array_equal(upack[2, :, 1], 0)
