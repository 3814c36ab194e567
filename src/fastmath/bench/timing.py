"""Timing: warm up, alternate ours and the peers, take medians."""
from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Case:
    """One benchmark case: our kernel and the peers that do the same job.

    ``peers`` maps a peer's name to a zero-argument callable; ``target`` is the
    speedup the issue asks for against ``target_peer`` (reported, never asserted).
    """

    family: str
    kernel: str
    case: str
    dtype: str
    ours: Callable[[], object]
    peers: dict = field(default_factory=dict)
    target: float | None = None
    target_peer: str | None = None
    skipped: dict = field(default_factory=dict)  # peer name -> why it is missing
    # quality figures measured once (not timed): {"metric (library)": value}
    quality: dict = field(default_factory=dict)


def _time_once(fn: Callable[[], object], number: int = 1) -> float:
    """Seconds per call over ``number`` back-to-back calls."""
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


# Calls of one library are timed in blocks of about this many seconds: the
# idle threads of one library's thread pool (OpenMP, OpenBLAS) spin for a
# while after it returns and would otherwise slow the next library's call.
BLOCK_S = 0.05


def run_case(case: Case, *, budget_s: float = 2.0, min_repeat: int = 3, max_repeat: int = 25) -> list:
    """Time ``case`` and return one row per peer (or one row with no peer).

    Every callable runs once untimed (ours compiles, or loads from the cache,
    then; that first call is reported as ``first_call_s``), then the callables
    are run in turn, in a shuffled order each round, each as a block of
    back-to-back calls of about ``BLOCK_S`` seconds, and the median time per
    call is kept.
    """
    first_call = _time_once(case.ours)
    for fn in case.peers.values():
        fn()
    fns = {"fastmath": case.ours, **case.peers}
    per_call = {"fastmath": _time_once(case.ours), **{n: _time_once(f) for n, f in case.peers.items()}}
    number = {name: max(1, min(100, int(BLOCK_S / max(t, 1e-9)))) for name, t in per_call.items()}
    per_round = sum(per_call[name] * number[name] for name in fns)
    repeat = int(min(max_repeat, max(min_repeat, budget_s / max(per_round, 1e-9))))
    samples = {name: [] for name in fns}
    # Shuffle the order every round: a library's spinning worker threads slow
    # down whatever runs right after it, so a fixed order would bias one side.
    order = random.Random(0)
    names = list(fns)
    for _ in range(repeat):
        order.shuffle(names)
        for name in names:
            samples[name].append(_time_once(fns[name], number[name]))
    ours_s = statistics.median(samples["fastmath"])
    base = {
        "family": case.family, "kernel": case.kernel, "case": case.case, "dtype": case.dtype,
        "ours_s": ours_s, "first_call_s": first_call, "repeat": repeat,
    }
    if case.quality:
        base["quality"] = dict(case.quality)
    rows = []
    for name in case.peers:
        peer_s = statistics.median(samples[name])
        rows.append({
            **base, "peer": name, "peer_s": peer_s, "speedup": peer_s / ours_s,
            "target": case.target if name == case.target_peer else None,
        })
    for name, why in case.skipped.items():
        rows.append({**base, "peer": name, "peer_s": None, "speedup": None, "target": None,
                     "skipped": why})
    if not rows:
        rows.append({**base, "peer": None, "peer_s": None, "speedup": None, "target": None})
    return rows
