"""Quickstart: a few fastmath kernels next to the NumPy/SciPy call they replace.

Run with ``python examples/quickstart.py``; it checks each result against the
reference and prints the speedup measured on this machine (medians of
alternating runs after one warm-up call).
"""
import time

import numpy as np
import scipy.signal
import scipy.special
from sklearn.metrics.pairwise import euclidean_distances

import fastmath as fm


def median_time(fn, repeat=7):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def compare(name, ours, theirs, rtol):
    np.testing.assert_allclose(ours(), theirs(), rtol=rtol, atol=1e-6)  # also warms up
    t_ours, t_theirs = median_time(ours), median_time(theirs)
    print(f"{name:<40} fastmath {t_ours * 1e3:8.2f} ms   reference {t_theirs * 1e3:8.2f} ms   "
          f"speedup {t_theirs / t_ours:5.2f}x")


def main():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2048, 2048)).astype(np.float32)
    compare("softmax 2048x2048 float32 vs scipy", lambda: fm.softmax(x, axis=-1),
            lambda: scipy.special.softmax(x, axis=-1), 1e-4)
    points = rng.standard_normal((3000, 64))
    compare("pairwise_sqdist 3000x3000 vs sklearn", lambda: fm.pairwise_sqdist(points),
            lambda: euclidean_distances(points, squared=True), 1e-6)
    stack = rng.standard_normal((100_000, 4, 4))
    compare("100k stacked 4x4 matmul vs numpy", lambda: fm.matmul(stack, stack),
            lambda: np.matmul(stack, stack), 1e-10)
    image, kernel = rng.standard_normal((512, 512)), rng.standard_normal((5, 5))
    compare("correlate2d 512x512 * 5x5 vs scipy", lambda: fm.correlate2d(image, kernel, "same"),
            lambda: scipy.signal.correlate2d(image, kernel, "same"), 1e-8)


if __name__ == "__main__":
    main()
