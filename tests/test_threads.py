"""Thread counts: defaults that fit the process, overrides, the serial path, BLAS pools."""
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_info

import fastmath as fm
from fastmath._config import threads

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "cgroup"


def _run(code, **env):
    full = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=full,
                          capture_output=True, text=True, timeout=600)


# --- the default count -------------------------------------------------------

@pytest.fixture
def fake_host(monkeypatch):
    """A 64-core Linux host whose /sys/fs/cgroup comes from a fixture directory."""
    from joblib.externals.loky.backend import context

    def use(fixture, affinity=64):
        root = FIXTURES / fixture
        real_exists, real_open = os.path.exists, open

        def redirect(path):
            path = str(path)
            return str(root) + path if path.startswith("/sys/fs/cgroup") else path

        monkeypatch.setattr(context.os, "cpu_count", lambda: 64)
        monkeypatch.setattr(context.os, "sched_getaffinity", lambda pid: set(range(affinity)))
        monkeypatch.setattr(context.os.path, "exists", lambda p: real_exists(redirect(p)))
        monkeypatch.setattr(context, "open", lambda p, *a, **k: real_open(redirect(p), *a, **k),
                            raising=False)
        monkeypatch.delenv("LOKY_MAX_CPU_COUNT", raising=False)
        return threads.usable_cpus()

    return use


@pytest.mark.parametrize("fixture, expected", [
    ("v2-quota-2", 2),  # cpu.max "200000 100000": 2 CPUs of a 64-core host
    ("v2-quota-1.5", 2),  # a fractional quota rounds up
    ("v2-unlimited", 64),  # "max": no quota
    ("v1-quota-1", 1),  # cgroup v1: cfs_quota_us 50000 / cfs_period_us 100000
])
def test_usable_cpus_reads_cgroup_quotas(fake_host, fixture, expected):
    assert fake_host(fixture) == expected


def test_usable_cpus_respects_affinity(fake_host):
    assert fake_host("v2-unlimited", affinity=3) == 3


def test_default_threads_fit_the_process():
    proc = _run("""
        import fastmath as fm
        from fastmath._config import threads
        print(fm.get_num_threads(), min(threads.usable_cpus(), fm.max_threads()))
    """)
    assert proc.returncode == 0, proc.stderr
    got, expected = proc.stdout.split()
    assert got == expected


def test_environment_variable_sets_the_default():
    proc = _run("import fastmath as fm; print(fm.get_num_threads())", FASTMATH_NUM_THREADS="1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1"


@pytest.mark.parametrize("value", ["zero", "0", "-2", "1.5"])
def test_environment_variable_is_checked(value):
    proc = _run("import fastmath as fm; fm.get_num_threads()", FASTMATH_NUM_THREADS=value)
    assert proc.returncode != 0
    assert "FASTMATH_NUM_THREADS" in proc.stderr and "ValueError" in proc.stderr


def test_set_num_threads_is_process_wide_and_thread_limit_local():
    from concurrent.futures import ThreadPoolExecutor

    before = fm.get_num_threads()
    try:
        fm.set_num_threads(1)
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(fm.get_num_threads).result() == 1
        fm.set_num_threads(fm.max_threads())
        with fm.thread_limit(1):
            with ThreadPoolExecutor(1) as pool:
                assert pool.submit(fm.get_num_threads).result() == fm.max_threads()
            assert fm.get_num_threads() == 1
    finally:
        fm.set_num_threads(before)


# --- the serial path ---------------------------------------------------------

def test_small_work_runs_on_one_thread():
    with fm.thread_limit(2):
        assert threads.threads_for(1, "transcendental") == 1
        assert threads.threads_for(10**9, "transcendental") == min(2, fm.max_threads())
        with threads.kernel_threads(1, "elementwise") as n:
            import numba

            assert n == 1 and numba.get_num_threads() == 1


@pytest.mark.parametrize("internals", [True, False])
def test_kernel_threads_sets_and_restores_numbas_count(monkeypatch, internals):
    import numba
    from numba.np.ufunc import parallel

    threads._numba_thread_count.cache_clear()
    if not internals:  # a numba without the C entry points: its public functions
        with monkeypatch.context() as patch:
            patch.setattr(parallel, "_set_num_threads", None)
            assert threads._numba_thread_count() == (numba.get_num_threads,
                                                     numba.set_num_threads)
    try:
        before = numba.get_num_threads()
        wanted = 2 if before == 1 else 1
        if wanted > fm.max_threads():
            pytest.skip("needs a pool of two threads")
        with fm.thread_limit(wanted):
            with threads.kernel_threads(10 ** 12, "flops") as n:
                assert n == wanted and numba.get_num_threads() == wanted
        assert numba.get_num_threads() == before
    finally:
        threads._numba_thread_count.cache_clear()


def _calls(rng):
    """Public calls large enough to run in parallel, with their inputs."""
    x = rng.standard_normal((3000, 257))
    A = sp.random(20_000, 3_000, density=0.01, format="csr", random_state=0)
    imgs = rng.standard_normal((8, 4, 20, 20))
    w = rng.standard_normal((6, 4, 3, 3))
    g = rng.standard_normal((8, 6, 20, 20))
    y = (x[:, 0] > 0).astype(int)
    from fastmath import metrics, optim, stats

    def adam():
        p = np.zeros(300_000)
        optim.Adam(p, lr=0.1).step(np.arange(300_000.0))
        return p

    return {
        "softmax": lambda: fm.softmax(x, axis=1),
        "logsumexp": lambda: fm.logsumexp(x, axis=1),
        "spmv": lambda: fm.spmv(A, x[:, 0]),
        "spmm": lambda: fm.spmm(A, x[:, :16]),
        "conv2d": lambda: fm.conv2d(imgs, w, padding=1),
        "conv2d_backward": lambda: fm.conv2d_backward(g, imgs, w, padding=1),
        "max_pool2d": lambda: fm.max_pool2d(imgs, 2)[0],
        "avg_pool2d": lambda: fm.avg_pool2d(imgs, 3, 1, 1),
        "linear_backward": lambda: fm.linear_backward(x[:, :64], x[:, :32], x[:32, :64]),
        "RunningMoments": lambda: stats.RunningMoments().update(x).cov,
        "mahalanobis": lambda: stats.mahalanobis(x[:, :8], np.zeros(8), np.eye(8)),
        "roc_auc_score": lambda: metrics.roc_auc_score(y, x[:, 1]),
        "Adam": adam,
    }


@pytest.mark.parametrize("name", sorted(_calls(np.random.default_rng(0))))
def test_serial_and_parallel_paths_agree_exactly(name):
    call = _calls(np.random.default_rng(0))[name]
    with fm.thread_limit(1):
        serial = call()
    with fm.thread_limit(2):
        parallel = call()
    pairs = list(zip(np.atleast_1d(serial) if not isinstance(serial, tuple) else serial,
                     np.atleast_1d(parallel) if not isinstance(parallel, tuple) else parallel))
    if name == "linear_backward":
        # grad_x and grad_weight are BLAS products, and BLAS runs on the thread count
        # it is given (1, then 2): it may split the sum differently, so they agree to
        # rounding only. grad_bias is fastmath's own chunked column sum: exact.
        blas, pairs = pairs[:2], pairs[2:]
        for a, b in blas:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    for a, b in pairs:
        np.testing.assert_array_equal(a, b)


# --- BLAS pools --------------------------------------------------------------

def _blas_threads():
    return sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})


@pytest.mark.parametrize("count", [1, 2])
def test_blas_outside_kernels_uses_fastmath_threads(monkeypatch, count):
    seen = []
    real = np.matmul

    def spy(*args, **kwargs):
        seen.append(_blas_threads())
        return real(*args, **kwargs)

    x = np.ones((400, 300))
    fm.softmax(x)  # a parallel region has run in this thread (the OpenBLAS quirk)
    before = _blas_threads()
    with fm.thread_limit(min(count, fm.max_threads())):
        monkeypatch.setattr(np, "matmul", spy)
        fm.linear(x, np.ones((300, 200)))
        monkeypatch.setattr(np, "matmul", real)
    assert seen == [[min(count, fm.max_threads())]]
    assert _blas_threads() == before


def test_blas_inside_parallel_kernels_runs_on_one_thread(monkeypatch):
    from fastmath.conv import _kernels

    seen = []
    real = _kernels.conv_forward

    def spy(*args):
        seen.append(_blas_threads())
        return real(*args)

    monkeypatch.setattr(_kernels, "conv_forward", spy)
    before = _blas_threads()
    x = np.ones((16, 8, 32, 32))  # above the serial threshold: the kernel runs on 2 threads
    with fm.thread_limit(2):
        # dilated: im2col + GEMM (the direct kernels take undilated 3x3 and 5x5)
        fm.conv2d(x, np.ones((16, 8, 3, 3)), padding=2, dilation=2)
    assert seen == [[1]]
    assert _blas_threads() == before


def test_overlapping_blas_blocks_restore_the_baseline():
    from concurrent.futures import ThreadPoolExecutor

    from fastmath._config.blas import blas_threads

    before = _blas_threads()

    def block(n):
        with blas_threads(n):
            inside = _blas_threads()
            np.linalg.norm(np.ones((200, 200)) @ np.ones((200, 200)))
        return inside

    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(block, [1, 2] * 20))
    assert all(len(s) == 1 and s[0] <= 2 for s in seen)
    assert _blas_threads() == before


def test_beside_torch_no_openmp_warning_and_same_results():
    pytest.importorskip("torch")
    proc = _run("""
        import numpy as np, torch, fastmath as fm
        rng = np.random.default_rng(0)
        x = rng.standard_normal((16, 8, 24, 24)).astype(np.float32)
        w = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
        g = rng.standard_normal((16, 16, 24, 24)).astype(np.float32)
        for _ in range(5):
            t = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1)
            ours = fm.conv2d(x, w, padding=1)
            gx, gw, gb = fm.conv2d_backward(g, x, w, padding=1)
            fm.linear(x.reshape(16, -1), np.ones((x[0].size, 32), np.float32))
            fm.max_pool2d(ours, 2)
        np.testing.assert_allclose(ours, t.numpy(), rtol=1e-4, atol=1e-3)
        print("ok", fm.threading_layer())
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok")
    assert "OpenBLAS Warning" not in proc.stderr and "OpenMP" not in proc.stderr


def test_blas_is_left_alone_where_it_cannot_overrun_the_count():
    """Work too small for BLAS to go parallel skips the two threadpoolctl round trips."""
    from fastmath._config.threads import kernel_threads

    before = _blas_threads()
    if before != [2]:
        pytest.skip(f"needs BLAS on 2 threads to tell the cases apart, found {before}")
    with fm.thread_limit(1):
        with kernel_threads(10 ** 9, "flops", blas="outside"):
            large = _blas_threads()
        with kernel_threads(10, "flops", blas="outside"):
            small_limited = _blas_threads()
        with kernel_threads(10 ** 9, "flops", blas="inside"):
            limited_kernel = _blas_threads()
    with fm.thread_limit(2):
        with kernel_threads(10, "flops", blas="outside"):
            small = _blas_threads()
        with kernel_threads(10, "flops", blas="inside"):
            small_kernel = _blas_threads()
    assert large == [1] and small_limited == [1] and limited_kernel == [1]  # the limit holds
    assert small == [2] and small_kernel == [2]  # small work: BLAS left alone
    assert _blas_threads() == before


def test_blas_is_left_alone_around_kernels_whose_products_openblas_keeps_serial(monkeypatch):
    """A parallel kernel whose every GEMM is at most BLAS_SERIAL_GEMM multiply-adds
    (OpenBLAS runs those on one thread by itself) skips the threadpoolctl round trips."""
    from fastmath._config.threads import BLAS_SERIAL_GEMM, kernel_threads
    from fastmath.conv import _kernels

    before = _blas_threads()
    if before != [2]:
        pytest.skip(f"needs BLAS on 2 threads to tell the cases apart, found {before}")
    with fm.thread_limit(2):
        with kernel_threads(10 ** 9, "flops", blas="inside", gemm=BLAS_SERIAL_GEMM):
            serial_products = _blas_threads()
        with kernel_threads(10 ** 9, "flops", blas="inside", gemm=BLAS_SERIAL_GEMM + 1):
            parallel_products = _blas_threads()
    assert serial_products == [2] and parallel_products == [1]

    seen = []
    real = _kernels.conv_forward
    monkeypatch.setattr(_kernels, "conv_forward", lambda *a: seen.append(_blas_threads()) or real(*a))
    x = np.ones((64, 1, 28, 28))  # dilated 3x3: 8 x 9 x 576 = 41,472 multiply-adds per image
    with fm.thread_limit(2):
        fm.conv2d(x, np.ones((8, 1, 3, 3)), dilation=2)
    assert seen == [[2]]
    assert _blas_threads() == before


@pytest.mark.parametrize("n, chunks", [(10, 3), (122, 14), (10 ** 12 + 7, 13), (5, 8), (0, 4)])
def test_fixed_chunk_bounds_are_the_exact_floors(n, chunks):
    from fastmath._chunks import fixed_chunk_bounds

    got = fixed_chunk_bounds(n, chunks)
    k = len(got) - 1
    assert k == max(1, min(chunks, n))
    # floor(i * n / k) in exact integer arithmetic (np.linspace gave 60 for 7 * 122 / 14 = 61)
    assert got.tolist() == [i * n // k for i in range(k + 1)]
