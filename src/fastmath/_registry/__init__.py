"""The registry of fastmath's public kernels: one row per public function or estimator.

Each row (:class:`Kernel`) says what the kernel is called and which package
exports it, how to call it on small data for each dtype (what ``fastmath
warmup`` compiles and the tests enumerate), how to benchmark it against its
peers (``fastmath bench``, ``--sweep``, the asv suite) and which peers those
are. One table drives warmup, benchmarks and tests, as numbagg's
``COMPARISONS`` does. Adding a kernel means its kernel, its public function,
its reference test and one row in the family's module here.

Examples
--------
>>> from fastmath import _registry
>>> _registry.get("softmax").family
'linalg'
>>> "conv" in _registry.FAMILIES
True
"""
from __future__ import annotations

from . import conv, linalg, linear_model, metrics, optim, recommend, stats
from ._types import DTYPES, SIZES, Case, Kernel

__all__ = ["DTYPES", "FAMILIES", "REGISTRY", "SIZES", "Case", "Kernel", "get", "select"]

REGISTRY: dict[str, Kernel] = {}
for _module in (linalg, conv, optim, linear_model, recommend, stats, metrics):
    for _kernel in _module.KERNELS:
        if _kernel.name in REGISTRY:
            raise RuntimeError(f"registry: {_kernel.name!r} is registered twice")
        REGISTRY[_kernel.name] = _kernel

FAMILIES = tuple(dict.fromkeys(k.family for k in REGISTRY.values()))


def get(name: str) -> Kernel:
    """The row of one kernel; ``KeyError`` listing the valid names when unknown."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown kernel {name!r}; valid names: {', '.join(sorted(REGISTRY))}") \
            from None


def select(families=None, names=None) -> list[Kernel]:
    """Rows of the given families and/or names (all when both are None), in registry order.

    Raises ``ValueError`` naming the unknown family or kernel and listing the valid ones.
    """
    for family in families or ():
        if family not in FAMILIES:
            raise ValueError(f"unknown family {family!r}; valid families: {', '.join(FAMILIES)}")
    for name in names or ():
        if name not in REGISTRY:
            raise ValueError(f"unknown kernel {name!r}; valid kernels: "
                             f"{', '.join(sorted(REGISTRY))}")
    return [k for k in REGISTRY.values()
            if (not families or k.family in families) and (not names or k.name in names)]
