"""What the CPU that numba compiles for can do, where a kernel's best form depends on it."""
from __future__ import annotations

from functools import lru_cache

__all__ = ["compile_features", "fast_gathers", "vector_bytes"]


@lru_cache(maxsize=None)
def compile_features() -> frozenset:
    """The LLVM features numba compiles kernels for (``NUMBA_CPU_FEATURES`` or the host's)."""
    from numba.core import config

    text = config.CPU_FEATURES
    if not text:
        from numba.core.codegen import get_host_cpu_features

        text = get_host_cpu_features()
    return frozenset(f[1:] for f in text.split(",") if f.startswith("+"))


def fast_gathers() -> bool:
    """Whether vector gathers beat scalar loads for sparse rows: AVX-512 CPUs.

    Measured for the CSR row sums of :func:`fastmath.spmv` (2M-5M stored
    values, one thread): on an Intel Xeon with AVX-512 (LLVM target
    rocketlake) the gathered form was 1.2x-1.4x faster than the scalar one;
    on an AMD EPYC with AVX2 only (znver3) it was 1.3x slower.
    """
    return "avx512f" in compile_features()


def vector_bytes() -> int:
    """Width of the vector registers numba compiles for: 64 bytes with AVX-512, else 32
    (AVX2). The register-tile kernels size their tiles by it."""
    return 64 if "avx512f" in compile_features() else 32
