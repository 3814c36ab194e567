"""fastmath.distributed on a LocalCluster of 2 worker processes with 1 thread each.

Every distributed result is compared with the in-memory call on the same
data: exactly where the blocks do not change the order of floating-point
sums, else to the stated tolerance.
"""
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

import fastmath  # noqa: E402
import fastmath.distributed as fd  # noqa: E402
from fastmath.anomaly import MahalanobisDetector, RobustZScoreDetector, ZScoreDetector  # noqa: E402
from fastmath.distributed import statistics as dstats  # noqa: E402
from fastmath.linear_model import SGDClassifier, SGDRegressor  # noqa: E402
from fastmath.recommend import ALS  # noqa: E402
from fastmath.stats import RunningMoments  # noqa: E402

# a cluster that stops answering fails its test with a traceback instead of hanging CI
pytestmark = pytest.mark.timeout(300)

N_USERS, N_ITEMS = 103, 61  # not multiples of the block counts


@pytest.fixture(scope="module")
def client():
    # compile (or load) the kernels here first: workers then load them from the cache
    # instead of compiling side by side into one cache directory
    fastmath.warmup(kernels=["ALS", "RunningMoments", "conv2d", "max_pool2d", "avg_pool2d",
                             "linear", "pairwise_sqdist", "spmm", "SGDClassifier"], progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                                  processes=True) as cluster, distributed.Client(cluster) as c:
        yield c


def _events(seed=0, n=1500):
    """Triples with duplicates, stored zeros, users 100-102 and items 58-60 never seen."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"user": rng.integers(0, 100, n), "item": rng.integers(0, 58, n),
                          "value": rng.integers(0, 5, n).astype(np.float64)})
    return frame


def _matrix(frame, shape=(N_USERS, N_ITEMS)):
    return sp.csr_matrix((frame["value"], (frame["user"], frame["item"])), shape=shape)


def _uneven(frame):
    """Three partitions of 200, 900 and 400 rows."""
    parts = [frame.iloc[:200], frame.iloc[200:1100], frame.iloc[1100:]]
    return dd.from_map(lambda p: p, parts, meta=frame.iloc[:0])


PARAMS = dict(factors=6, iterations=4, random_state=0, show_progress=False)


# --- ALS ---------------------------------------------------------------------

@pytest.mark.parametrize("implicit", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_als_one_block_equals_in_memory_exactly(client, implicit, dtype):
    frame = _events()
    ref = ALS(implicit=implicit, dtype=dtype, num_threads=1, **PARAMS).fit(_matrix(frame))
    model = fd.ALS(implicit=implicit, dtype=dtype, blocks=1, **PARAMS)
    model.fit(_uneven(frame), shape=(N_USERS, N_ITEMS))
    np.testing.assert_array_equal(model.user_factors, ref.user_factors)
    np.testing.assert_array_equal(model.item_factors, ref.item_factors)
    np.testing.assert_array_equal(model.item_popularity, ref.item_popularity)
    if not implicit:
        np.testing.assert_array_equal(model.user_bias, ref.user_bias)
        np.testing.assert_array_equal(model.item_bias, ref.item_bias)
        assert model.global_mean == ref.global_mean
    np.testing.assert_allclose(model.loss_history_, ref.loss_history_, rtol=1e-6)
    assert not np.any(model.user_factors[100:]) or implicit  # explicit: unseen users are 0


@pytest.mark.parametrize("implicit", [True, False])
@pytest.mark.parametrize("dtype,rtol", [(np.float32, 1e-4), (np.float64, 1e-10)])
@pytest.mark.parametrize("solver", ["cg", "cholesky"])
def test_als_4x4_blocks_match_in_memory(client, implicit, dtype, rtol, solver):
    if solver == "cholesky" and not implicit:
        pytest.skip("explicit ALS always solves exactly")
    frame = _events(1)
    ref = ALS(implicit=implicit, dtype=dtype, solver=solver, num_threads=1,
              **PARAMS).fit(_matrix(frame))
    model = fd.ALS(implicit=implicit, dtype=dtype, solver=solver, blocks=(4, 4), **PARAMS)
    model.fit(_uneven(frame), shape=(N_USERS, N_ITEMS))
    assert model.blocks_ == (4, 4)
    # rtol as a norm-wise relative error: blocks change only the order of sums, but three
    # warm-started CG steps in float32 amplify that in a factor's small components
    for name in ("user_factors", "item_factors"):
        got, want = getattr(model, name), getattr(ref, name)
        assert np.linalg.norm(got - want) <= rtol * np.linalg.norm(want), name
    np.testing.assert_allclose(model.loss_history_, ref.loss_history_, rtol=10 * rtol)
    assert 0 < model.shuffle_rows_ <= 2 * (N_USERS + N_ITEMS) * 4


def test_als_from_a_dask_array_of_sparse_blocks(client):
    frame = _events(2)
    matrix = _matrix(frame)
    ref = fd.ALS(blocks=(2, 3), **PARAMS).fit(_uneven(frame), shape=matrix.shape)
    arr = da.from_array(matrix, chunks=(40, 25), asarray=False)
    model = fd.ALS(blocks=(2, 3), **PARAMS).fit(arr)
    np.testing.assert_array_equal(model.user_factors, ref.user_factors)
    np.testing.assert_array_equal(model.item_factors, ref.item_factors)


def test_als_to_local_and_blockwise_recommend(client):
    frame = _events(3)
    matrix = _matrix(frame)
    model = fd.ALS(blocks=(3, 2), **PARAMS).fit(_uneven(frame), shape=matrix.shape)
    local = model.to_local()
    assert type(local) is ALS
    np.testing.assert_array_equal(local.user_factors, model.user_factors)
    users = np.array([5, 0, 99, 17, 102, 3])
    ids, scores = model.recommend_blockwise(users, N=7)
    ref_ids, ref_scores = local.recommend(users, matrix[users], N=7)
    np.testing.assert_array_equal(ids, ref_ids)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-6)
    ids, _ = model.recommend_blockwise(users, N=7, filter_already_liked_items=False,
                                       items=[1, 2, 3, 40])
    assert set(ids.ravel()) <= {1, 2, 3, 40}
    with pytest.raises(IndexError, match="userids 103 is out of range"):
        model.recommend_blockwise([103])


def test_als_pandas_input_fits_in_process():
    frame = _events(4)
    model = fd.ALS(**PARAMS).fit(frame)
    ref = ALS(**PARAMS).fit(_matrix(frame, shape=(100, 58)))
    np.testing.assert_array_equal(model.user_factors, ref.user_factors)


def _bad(frame, column, row, value):
    frame = frame.copy()
    frame.loc[row, column] = value
    return frame


@pytest.mark.parametrize("column,value,error,match", [
    ("value", np.nan, ValueError, "value column 'value' holds NaN or infinite values"),
    ("value", np.inf, ValueError, "value column 'value' holds NaN or infinite values"),
    ("user", -1, ValueError, "user column 'user' holds the negative id -1"),
    ("item", 500, IndexError, "item id 500 is out of range \\[0, 61\\)"),
])
def test_als_bad_input_in_one_partition_raises_the_in_memory_error(client, column, value,
                                                                   error, match):
    frame = _bad(_events(5), column, 1500 - 3, value)  # in the last partition
    with pytest.raises(error, match=match):
        fd.ALS(**PARAMS).fit(frame, shape=(N_USERS, N_ITEMS))  # in-process
    model = fd.ALS(blocks=2, **PARAMS)
    with pytest.raises(error, match=match + ".*partition 2"):
        model.fit(_uneven(frame), shape=(N_USERS, N_ITEMS))
    assert model.user_factors is None


def test_als_nan_in_one_partition_and_bad_id_in_another(client):
    frame = _bad(_bad(_events(6), "value", 10, np.nan), "user", 1400, 10**6)
    with pytest.raises((ValueError, IndexError), match="partition [02]"):
        fd.ALS(blocks=2, **PARAMS).fit(_uneven(frame), shape=(N_USERS, N_ITEMS))


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(user="who"), KeyError, "user column 'who' is not in the DataFrame"),
    (dict(shape=(0, 5)), ValueError, "shape must be a pair of positive ints"),
])
def test_als_bad_arguments(client, kwargs, error, match):
    with pytest.raises(error, match=match):
        fd.ALS(**PARAMS).fit(_uneven(_events()), **kwargs)


def test_als_bad_blocks_and_float_ids(client):
    with pytest.raises(ValueError, match="blocks must be a positive int or a pair"):
        fd.ALS(blocks=(0, 2), **PARAMS).fit(_uneven(_events()))
    frame = _events().astype({"user": np.float64})
    with pytest.raises(TypeError, match="user column 'user' must hold integer ids"):
        fd.ALS(**PARAMS).fit(_uneven(frame))


def test_als_restart_mid_fit_starts_over_and_gives_the_same_model(client):
    frame = _events(7)
    ref = fd.ALS(blocks=(2, 2), **PARAMS).fit(_uneven(frame), shape=(N_USERS, N_ITEMS))
    restarted = []

    def restart_once(iteration, elapsed, loss):
        if not restarted:
            restarted.append(iteration)
            client.restart()  # kills every worker: the blocks and factors are gone

    model = fd.ALS(blocks=(2, 2), **PARAMS)
    with pytest.warns(RuntimeWarning, match="starting over"):
        model.fit(_uneven(frame), shape=(N_USERS, N_ITEMS), callback=restart_once)
    assert restarted == [0]
    np.testing.assert_array_equal(model.user_factors, ref.user_factors)
    np.testing.assert_array_equal(model.item_factors, ref.item_factors)
    client.wait_for_workers(2, timeout=60)


def test_als_killed_worker_process_mid_fit_starts_over(client):
    import os

    frame = _events(9)
    ref = fd.ALS(blocks=(2, 2), **PARAMS).fit(_uneven(frame), shape=(N_USERS, N_ITEMS))
    killed = []

    def kill_one(iteration, elapsed, loss):
        if not killed:
            worker = sorted(client.scheduler_info()["workers"])[0]
            killed.append(worker)
            with pytest.raises(Exception):  # the worker dies before it can answer
                client.run(os._exit, 1, workers=[worker])

    model = fd.ALS(blocks=(2, 2), **PARAMS)
    # Dask recomputes what the dead worker held from its lineage where it can; when the
    # lost data was scattered (the starting factors) the fit starts over: either way the
    # model is the one an undisturbed fit gives
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        model.fit(_uneven(frame), shape=(N_USERS, N_ITEMS), callback=kill_one)
    assert killed
    np.testing.assert_array_equal(model.user_factors, ref.user_factors)
    np.testing.assert_array_equal(model.item_factors, ref.item_factors)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it for the next tests


def test_als_losing_workers_on_every_attempt_raises_and_leaves_the_model(client, monkeypatch):
    from fastmath.distributed import als as dals

    monkeypatch.setattr(dals, "FIT_ATTEMPTS", 1)  # one restart is enough to exhaust them
    frame = _events(8)
    model = fd.ALS(blocks=(2, 2), **PARAMS)

    def restart_always(iteration, elapsed, loss):
        client.restart()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(fd.WorkerLostError, match="left unchanged"):
            model.fit(_uneven(frame), shape=(N_USERS, N_ITEMS), callback=restart_always)
    assert model.user_factors is None and not hasattr(model, "loss_history_")
    client.wait_for_workers(2, timeout=60)


# --- statistics and detectors -----------------------------------------------------

def test_running_moments_over_uneven_chunks_equal_one_pass(client, rng):
    X = rng.standard_normal((1000, 4)) * [1, 10, 100, 1e3] + 5
    rm = fd.running_moments(da.from_array(X, chunks=((10, 500, 1, 489), 4)), ddof=0)
    ref = RunningMoments(ddof=0).update(X)
    assert rm.count == 1000
    np.testing.assert_allclose(rm.mean, X.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(rm.cov, np.cov(X.T, ddof=0), rtol=1e-12)
    np.testing.assert_allclose(rm.cov, ref.cov, rtol=1e-12)


def test_running_moments_of_a_dataframe_and_nan_in_one_block(client, rng):
    X = rng.standard_normal((300, 2))
    frame = dd.from_pandas(pd.DataFrame(X, columns=["a", "b"]), npartitions=3)
    np.testing.assert_allclose(fd.running_moments(frame).cov, np.cov(X.T), rtol=1e-12)
    X[250, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or infinity \\(block 2\\)"):
        fd.running_moments(da.from_array(X, chunks=(100, 2)))


@pytest.mark.parametrize("local_cls,dask_cls,attrs", [
    (ZScoreDetector, fd.ZScoreDetector, ("mean_", "scale_")),
    (MahalanobisDetector, fd.MahalanobisDetector, ("location_", "covariance_")),
    (RobustZScoreDetector, fd.RobustZScoreDetector, ("median_", "scale_")),
])
def test_detectors_fit_and_score_dask_like_in_memory(client, rng, local_cls, dask_cls, attrs):
    X = rng.standard_normal((900, 3))
    X[:9] += 8
    ref = local_cls(contamination=0.02, random_state=0).fit(X)
    det = dask_cls(contamination=0.02, random_state=0).fit(da.from_array(X, chunks=(250, 3)))
    for name in attrs:
        np.testing.assert_allclose(getattr(det, name), getattr(ref, name), rtol=1e-12)
    assert det.offset_ == pytest.approx(ref.offset_, rel=1e-12)
    Xd = da.from_array(X, chunks=(400, 3))
    np.testing.assert_array_equal(det.predict(Xd).compute(), ref.predict(X))
    np.testing.assert_allclose(det.score_samples(Xd).compute(), ref.score_samples(X), rtol=1e-12)
    np.testing.assert_array_equal(det.predict(X), ref.predict(X))  # NumPy: in-process


def test_detector_nan_in_one_block_names_it(client, rng):
    X = rng.standard_normal((300, 2))
    X[290, 0] = np.nan
    det = fd.ZScoreDetector()
    with pytest.raises(ValueError, match="Input X contains NaN.*block 2"):
        det.fit(da.from_array(X, chunks=(100, 2)))
    assert not hasattr(det, "offset_")


def test_detector_beyond_max_samples_keeps_a_sample_of_data_rows(client, rng):
    X = rng.standard_normal((600, 2))
    det = fd.RobustZScoreDetector(max_samples=50, random_state=1)
    det.fit(da.from_array(X, chunks=(90, 2)))
    rows = det._reservoir.rows
    assert rows.shape == (50, 2) and det._reservoir.seen == 600
    assert len({tuple(r) for r in rows}) == 50 and {tuple(r) for r in rows} <= {tuple(r) for r in X}


def test_sample_merge_draws_each_side_in_proportion():
    a = (None, np.zeros((20, 1)), 300)   # 20 sampled of 300 rows
    b = (None, np.ones((20, 1)), 100)
    from_a = [np.count_nonzero(dstats._merge_summaries(a, b, 20, 5, 0, i)[1] == 0)
              for i in range(2000)]
    assert np.mean(from_a) == pytest.approx(15.0, abs=0.2)  # 20 * 300 / 400


# --- blockwise maps, metrics, SGD ---------------------------------------------

def test_blockwise_kernels_equal_in_memory(client, rng):
    x = rng.standard_normal((7, 2, 9, 9)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    xd = da.from_array(x, chunks=(3, 1, 9, 9))  # the channel axis is re-chunked whole
    np.testing.assert_array_equal(fd.conv2d(xd, w, padding=1, stride=2).compute(),
                                  fastmath.conv2d(x, w, padding=1, stride=2))
    np.testing.assert_array_equal(fd.max_pool2d(xd, 3).compute(), fastmath.max_pool2d(x, 3)[0])
    np.testing.assert_array_equal(fd.avg_pool2d(xd, 2).compute(), fastmath.avg_pool2d(x, 2))
    a = rng.standard_normal((50, 6))
    ad = da.from_array(a, chunks=(17, 6))
    wl = rng.standard_normal((6, 4))
    np.testing.assert_array_equal(fd.linear(ad, wl, np.ones(4), activation="relu").compute(),
                                  fastmath.linear(a, wl, np.ones(4), activation="relu"))
    b = rng.standard_normal((30, 6))
    np.testing.assert_allclose(fd.pairwise_sqdist(ad, b).compute(),
                               fastmath.pairwise_sqdist(a, b), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fd.pairwise_sqdist(ad, da.from_array(b, chunks=(11, 6))).compute(),
                               fastmath.pairwise_sqdist(a, b), rtol=1e-12, atol=1e-12)
    A = sp.random(40, 25, density=0.2, format="csr", random_state=0)
    B = rng.standard_normal((25, 3))
    Ad = da.from_array(A, chunks=(15, 25), asarray=False)
    np.testing.assert_array_equal(fd.spmm(Ad, B).compute(), fastmath.spmm(A, B))
    with pytest.raises(ValueError, match="B of shape \\(25, m\\)"):
        fd.spmm(Ad, B.T)


def test_predict_blockwise(client, rng):
    X = rng.standard_normal((120, 3))
    y = (X @ [1.0, -2.0, 0.5] > 0).astype(int)
    model = SGDClassifier(random_state=0).fit(X, y)
    Xd = da.from_array(X, chunks=(50, 3))
    np.testing.assert_array_equal(fd.predict(model, Xd).compute(), model.predict(X))
    np.testing.assert_array_equal(fd.predict(model, Xd, "decision_function").compute(),
                                  model.decision_function(X))
    with pytest.raises(AttributeError, match="no method 'transform'"):
        fd.predict(model, Xd, "transform")


@pytest.mark.parametrize("weighted", [False, True])
def test_auc_and_average_precision_combine_exactly(client, rng, weighted):
    y = rng.integers(0, 2, 1000)
    score = np.round(rng.random(1000), 2)  # many ties, across blocks
    w = rng.random(1000) if weighted else None
    yd, sd = da.from_array(y, chunks=300), da.from_array(score, chunks=300)
    wd = None if w is None else da.from_array(w, chunks=300)
    from fastmath.metrics import average_precision_score, roc_auc_score

    assert fd.roc_auc_score(yd, sd, sample_weight=wd) == pytest.approx(
        roc_auc_score(y, score, sample_weight=w), rel=1e-12)
    assert fd.roc_auc_score(yd, sd, sample_weight=wd, max_fpr=0.3) == pytest.approx(
        roc_auc_score(y, score, sample_weight=w, max_fpr=0.3), rel=1e-12)
    assert fd.average_precision_score(yd, sd, sample_weight=wd) == pytest.approx(
        average_precision_score(y, score, sample_weight=w), rel=1e-12)


def test_metric_nan_score_in_one_block(client):
    score = np.array([0.1, 0.2, 0.3, np.nan])
    with pytest.raises(ValueError, match="Input y_score contains NaN.*block 1"):
        fd.roc_auc_score(da.from_array([0, 1, 0, 1], chunks=2), da.from_array(score, chunks=2))


def test_fit_incremental_sequential_equals_in_memory_partial_fit(client, rng):
    X = rng.standard_normal((400, 5))
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    chunks = (100, 50, 250)
    ref = SGDClassifier(random_state=0, penalty="elasticnet")
    for _ in range(2):
        start = 0
        for n in chunks:
            ref.partial_fit(X[start:start + n], y[start:start + n], classes=[0, 1])
            start += n
    est = SGDClassifier(random_state=0, penalty="elasticnet")
    model = fd.fit_incremental(est, da.from_array(X, chunks=(chunks, 5)),
                               da.from_array(y, chunks=50), classes=[0, 1], epochs=2)
    np.testing.assert_array_equal(model.coef_, ref.coef_)
    np.testing.assert_array_equal(model.intercept_, ref.intercept_)
    assert not hasattr(est, "coef_")  # the estimator passed in is left unfitted


def test_fit_incremental_average_mode(client, rng):
    X = rng.standard_normal((600, 3))
    y = X @ [1.0, 2.0, -1.0] + 0.01 * rng.standard_normal(600)
    model = fd.fit_incremental(SGDRegressor(random_state=0), da.from_array(X, chunks=(200, 3)),
                               da.from_array(y, chunks=200), epochs=20, mode="average")
    # each epoch averages three block updates, so it converges more slowly than sequential SGD
    np.testing.assert_allclose(model.coef_, [1.0, 2.0, -1.0], atol=0.02)
    with pytest.raises(ValueError, match="mode must be"):
        fd.fit_incremental(SGDRegressor(), da.from_array(X), da.from_array(y), mode="async")
    with pytest.raises(ValueError, match="y has 599 rows, X has 600"):
        fd.fit_incremental(SGDRegressor(), da.from_array(X), da.from_array(y[:-1]))


# --- the engine -------------------------------------------------------------------

def test_worker_plugin_sets_threads(client):
    from fastmath._config.threads import usable_cpus
    from fastmath.distributed._engine import worker_threads

    fd.get_client()  # registers the plugin on the current client
    threads = client.run(fastmath.get_num_threads)
    assert set(threads.values()) == {worker_threads(usable_cpus(), 2)}


def test_embedded_cluster_starts_once_and_says_so():
    code = (
        "import warnings, numpy as np, dask.array as da\n"
        "import fastmath.distributed as fd\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    a = fd.running_moments(da.ones((10, 2), chunks=5)).count\n"
        "    b = fd.running_moments(da.ones((4, 2), chunks=2)).count\n"
        "print(a, b, sum(issubclass(x.category, fd.EmbeddedClusterWarning) for x in w))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["10", "4", "1"]


def test_in_process_worker_leaves_the_client_thread_setting():
    from fastmath.distributed._engine import in_worker_threads

    before = fastmath.get_num_threads()
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as c:
        fd.get_client(c)
        in_task = c.submit(in_worker_threads(fastmath.get_num_threads), pure=False).result()
        assert fastmath.get_num_threads() == before
    from fastmath._config.threads import usable_cpus
    from fastmath.distributed._engine import worker_threads

    assert in_task == worker_threads(usable_cpus(), 2)


def test_ranking_metrics_combine_from_user_blocks(client):
    from fastmath.datasets import make_implicit_interactions, train_test_split_interactions
    from fastmath.metrics import ranking_metrics_at_k

    data = make_implicit_interactions(150, 40, 2000, random_state=0)
    train, test = train_test_split_interactions(data, 0.2, random_state=0)
    model = ALS(factors=4, iterations=3, random_state=0, show_progress=False).fit(train)
    ref = ranking_metrics_at_k(model, train, test, K=5)
    blocks = (lambda m: da.from_array(m, chunks=(37, 40), asarray=False))
    got = fd.ranking_metrics_at_k(model, blocks(train), blocks(test), K=5)
    assert got.keys() == ref.keys()
    for name in ref:
        assert got[name] == pytest.approx(ref[name], rel=1e-12), name
    with pytest.raises(ValueError, match="same shape"):
        fd.ranking_metrics_at_k(model, blocks(train), blocks(test[:100]), K=5)


def test_als_save_writes_a_local_model(client, tmp_path):
    model = fd.ALS(blocks=(2, 2), client=client, **PARAMS).fit(_uneven(_events(10)),
                                                                shape=(N_USERS, N_ITEMS))
    path = tmp_path / "model.npz"
    model.save(path)
    for cls in (ALS, fd.ALS):
        loaded = cls.load(path)
        np.testing.assert_array_equal(loaded.user_factors, model.user_factors)
        np.testing.assert_array_equal(loaded.item_factors, model.item_factors)
