"""What a registry row and a benchmark case are."""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, Iterable

DTYPES = ("float32", "float64")
SIZES = ("quick", "full", "asv")  # benchmark sizes: a fast check, the cases, asv's


@dataclass
class Case:
    """One benchmark case: our call and the peers' calls that do the same job.

    ``peers`` maps a peer's name to a zero-argument callable; ``target`` is the
    speedup an issue asks for against ``target_peer`` (reported, never
    asserted); ``skipped`` maps a missing peer to why it is missing;
    ``quality`` holds figures measured once, not timed.
    """

    family: str
    kernel: str
    case: str
    dtype: str
    ours: Callable[[], object]
    peers: dict = field(default_factory=dict)
    target: float | None = None
    target_peer: str | None = None
    skipped: dict = field(default_factory=dict)
    quality: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Kernel:
    """One public function or estimator of fastmath.

    Parameters
    ----------
    name : str
        The public name, unique across the package (``"softmax"``).
    family : str
        The subpackage that exports it (``"linalg"``).
    example : callable(dtype) -> object
        A small call on ``dtype`` data that exercises every compiled path of
        the kernel: what ``fastmath warmup`` compiles and the tests enumerate.
    cases : callable(size, rng) -> iterable of Case, optional
        Benchmark cases against the peers, for ``size`` in :data:`SIZES`.
    sweep : callable(n, dtype, rng) -> (ours, {peer: call}), optional
        The kernel on a problem of size ``n`` (``fastmath bench --sweep``).
    peers : tuple of str
        The libraries a user would pick instead.
    compiled : bool
        Whether it runs numba kernels (what warmup compiles).
    dtypes : tuple of str
        The dtypes ``example`` is run with.
    """

    name: str
    family: str
    example: Callable[[str], object]
    cases: Callable[[str, object], Iterable[Case]] | None = None
    sweep: Callable[[int, str, object], tuple] | None = None
    peers: tuple = ()
    compiled: bool = True
    dtypes: tuple = DTYPES

    @property
    def qualname(self) -> str:
        return f"fastmath.{self.family}.{self.name}"

    def resolve(self):
        """The public object itself."""
        return getattr(importlib.import_module(f"fastmath.{self.family}"), self.name)
