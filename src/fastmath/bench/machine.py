"""What a benchmark ran on: the CPU, its vector extensions, the library versions."""
from __future__ import annotations

import os
import platform
from functools import lru_cache
from importlib import metadata

VECTOR_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
                "amx_tile", "neon", "sve")
LIBRARIES = ("numpy", "scipy", "numba", "scikit-learn", "torch", "implicit", "scikit-surprise",
             "tbb")


def _cpuinfo() -> dict:
    try:
        with open("/proc/cpuinfo") as fh:
            text = fh.read()
    except OSError:
        return {}
    info = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key in ("model name", "flags", "Features") and key not in info:
            info[key] = value.strip()
    return info


@lru_cache(maxsize=None)
def describe() -> dict:
    """CPU model, core count, vector extensions and the versions of fastmath and its peers."""
    from .. import __version__

    info = _cpuinfo()
    flags = set((info.get("flags") or info.get("Features") or "").split())
    try:
        import llvmlite.binding as llvm

        llvm_cpu = llvm.get_host_cpu_name()
    except Exception:  # noqa: BLE001 - informational only
        llvm_cpu = "unknown"
    versions = {"fastmath": __version__}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {
        "cpu": info.get("model name") or platform.processor() or platform.machine(),
        "llvm_cpu": llvm_cpu,
        "cores": os.cpu_count(),
        "vector_extensions": [f for f in VECTOR_FLAGS if f in flags],
        "machine": platform.machine(),
        "versions": versions,
    }


def summary() -> str:
    """One line for the head of a benchmark table."""
    d = describe()
    ext = ", ".join(d["vector_extensions"]) or "none found"
    libs = ", ".join(f"{k} {v}" for k, v in d["versions"].items())
    return (f"CPU: {d['cpu']} ({d['cores']} cores, LLVM target {d['llvm_cpu']}; vector "
            f"extensions: {ext}). Libraries: {libs}.")
