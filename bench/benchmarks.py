"""asv benchmarks, generated from fastmath's kernel registry.

For every registry kernel that has benchmark cases, a class with a
``time_call`` and a ``peakmem_call`` benchmark (written once, in the base
class, as scikit-learn's asv suite writes ``time_fit``/``peakmem_fit`` in a
mixin), parametrized by dtype. Each runs the kernel's first case of that
dtype at the registry's "asv" size, on a fixed number of threads.
"""
import numpy as np

from fastmath import _registry
from fastmath._config.threads import thread_limit

THREADS = 1  # fixed: the figures track kernel quality, not the machine's load
# Kernels whose time moves between processes of identical code (memory placement of
# the sparse products, BLAS-bound statistics): more rounds, each a fresh process, so
# the median is over several placements (measured: up to 11% from one pair of runs).
EXTRA_ROUNDS = {"spmv": 4, "spmm": 4, "MahalanobisDetector": 4, "RunningMoments": 4,
                "SGDMF": 4}


class _KernelBenchmark:
    """Times one registry kernel; subclasses set ``kernel``."""

    kernel = None
    param_names = ["dtype"]
    params = [list(_registry.DTYPES)]
    timeout = 600  # a clean checkout compiles the kernels in the first setup
    # Stable figures on a noisy 2-core machine: asv picks the calls per sample
    # (number = 0) so that a sample takes about sample_time, takes 5 to 15
    # samples per round after warming up, and interleaves 2 rounds with the
    # other benchmarks; the asv-size cases take 10 to 200 ms per call.
    number = 0
    sample_time = 0.05
    repeat = (5, 15, 20.0)
    rounds = 2
    warmup_time = 0.2
    min_run_count = 2

    def setup(self, dtype):
        for case in _registry.get(self.kernel).cases("asv", np.random.default_rng(0)):
            if case.dtype == dtype:
                break
        else:
            raise NotImplementedError(f"{self.kernel} has no {dtype} case")
        self.call = case.ours
        self._threads = thread_limit(THREADS)
        self._threads.__enter__()
        self.call()  # compile, or load from the cache, outside the timing

    def teardown(self, dtype):
        # asv calls teardown even when setup skipped the dtype.
        threads = self.__dict__.pop("_threads", None)
        if threads is not None:
            threads.__exit__(None, None, None)

    def time_call(self, dtype):
        self.call()

    def peakmem_call(self, dtype):
        self.call()


for _kernel in _registry.REGISTRY.values():
    if _kernel.cases is not None:
        attrs = {"kernel": _kernel.name, "__module__": __name__}
        if _kernel.name in EXTRA_ROUNDS:
            attrs["rounds"] = EXTRA_ROUNDS[_kernel.name]
        globals()[_kernel.name] = type(_kernel.name, (_KernelBenchmark,), attrs)
