"""Parallel kernels called from many Python threads at once (workqueue would abort)."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

import fastmath as fm
import reference as ref


def test_eight_threads_at_once():
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((200, 300)) * (i + 1) for i in range(8)]
    A = sp.random(400, 200, density=0.05, format="csr", random_state=1)

    def work(i):
        x = inputs[i]
        return i, fm.softmax(x, axis=-1), fm.spmm(A, x), fm.matmul(x.reshape(-1, 4, 4)[:3000], x.reshape(-1, 4, 4)[:3000])

    for _ in range(3):
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(work, range(8)))
        for i, soft, prod, mm in results:
            x = inputs[i]
            np.testing.assert_allclose(soft, ref.softmax(x, -1), rtol=1e-12, atol=1e-300)
            np.testing.assert_allclose(prod, ref.spmm(A, x), rtol=1e-10, atol=1e-10)
            stack = x.reshape(-1, 4, 4)[:3000]
            np.testing.assert_allclose(mm, ref.matmul(stack, stack), rtol=1e-10, atol=1e-10)


def test_conv_from_threads_restores_blas_threads():
    from threadpoolctl import threadpool_info

    before = {(i["filepath"], i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"}
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 3, 12, 12))
    w = rng.standard_normal((4, 3, 3, 3))
    want = ref.conv2d(x, w, padding=((1, 1), (1, 1)))

    def work(_):
        return fm.conv2d(x, w, padding=1), fm.conv2d_backward(np.ones_like(want), x, w, padding=1)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(16)))
    first_grads = results[0][1]
    for out, grads in results:
        np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
        for a, b in zip(grads, first_grads):
            np.testing.assert_array_equal(a, b)
    after = {(i["filepath"], i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"}
    assert after == before
