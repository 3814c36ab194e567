"""Benchmarks against peer libraries: ``fastmath bench`` / ``python -m fastmath.bench``."""

import os
import sys

__all__ = ["main", "quiet_idle_workers"]

# Idle worker threads spin after each call, and a library timed next on the
# same cores runs slower for it. OpenBLAS's spin for 2**28 TSC cycles (about
# 0.1 s): torch's 512x512 matmul at two threads, 0.79 ms alone, took 4.9 ms
# 10 ms after a NumPy BLAS call. libgomp's (torch's OpenMP) spin 300,000
# pauses, about 16 ms on this Xeon: our 256x256 matmul block after torch's
# took 182 us against 143 us with 30,000. The bench sets both below its pause
# between blocks (bench.timing.GAP_S, 10 ms), still far above the gaps
# between the calls of one block, so no library's workers fall asleep
# inside its own block: OpenBLAS 2**24 cycles (6.5 ms at 2.6 GHz), libgomp
# 100,000 pauses.
BENCH_SPIN_LIMITS = {"OPENBLAS_THREAD_TIMEOUT": "24", "GOMP_SPINCOUNT": "100000"}


def quiet_idle_workers() -> None:
    """Set :data:`BENCH_SPIN_LIMITS` in the environment, each unless the user
    set it. OpenBLAS and libgomp read them when they load, so this only acts
    before NumPy (and its OpenBLAS) is imported; torch loads libgomp later."""
    if "numpy" not in sys.modules:
        for name, value in BENCH_SPIN_LIMITS.items():
            os.environ.setdefault(name, value)


def main(argv=None) -> int:
    """Run ``fastmath bench`` with ``argv`` (see ``fastmath bench --help``)."""
    quiet_idle_workers()
    from .cli import main as _main

    return _main(argv)
