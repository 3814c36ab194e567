"""Timing: warm up, alternate ours and the peers, take medians and their spread."""
from __future__ import annotations

import os
import random
import statistics
import time
from typing import Callable

from .._registry._types import Case

__all__ = ["BLOCK_S", "NOISY_SPREAD", "Case", "measure", "quartiles", "run_case"]

# Calls of one library are timed in blocks of about this many seconds: the
# idle threads of one library's thread pool (TBB, OpenMP, OpenBLAS) spin for a
# while after it returns and would otherwise slow the next library's call.
BLOCK_S = 0.05
# And each block starts after this long idle (FASTMATH_BENCH_GAP), so that the
# worker threads of whichever library ran before have stopped spinning: torch's
# OpenMP threads (libgomp's default spin-wait) slowed two-thread fastmath calls
# by 20% to 40% over blocks of several milliseconds right after torch's. Every
# block, ours and the peers', gets the same pause. By default OpenBLAS's workers
# spin far longer (0.1 s) and libgomp's a little longer (16 ms here):
# ``fastmath bench`` sets both below this pause (``fastmath.bench.quiet_idle_workers``).
GAP_S = float(os.environ.get("FASTMATH_BENCH_GAP", "0.01"))
# A row whose interquartile range exceeds this fraction of its median is
# flagged: its ratio is not to be trusted.
NOISY_SPREAD = 0.10


def _time_once(fn: Callable[[], object], number: int = 1) -> float:
    """Seconds per call over ``number`` back-to-back calls."""
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def quartiles(samples) -> tuple[float, float, float]:
    """(median, first quartile, third quartile) of the samples."""
    samples = sorted(samples)
    if len(samples) < 2:
        return samples[0], samples[0], samples[0]
    q1, median, q3 = statistics.quantiles(samples, n=4, method="inclusive")
    return median, q1, q3


def measure(fns: dict, *, budget_s: float = 2.0, min_repeat: int = 3,
            max_repeat: int = 25) -> dict:
    """Samples of seconds per call of each callable, alternated in a shuffled order each round.

    Each callable has already run once (compiled). Each sample times a block
    of back-to-back calls of about :data:`BLOCK_S`, after :data:`GAP_S` idle.
    """
    per_call = {name: _time_once(fn) for name, fn in fns.items()}
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
            time.sleep(GAP_S)
            samples[name].append(_time_once(fns[name], number[name]))
    return samples


def run_case(case: Case, *, budget_s: float = 2.0, min_repeat: int = 3,
             max_repeat: int = 25) -> list:
    """Time ``case`` and return one row per peer (or one row with no peer).

    Every callable runs once untimed first (ours compiles, or loads from the
    cache, then; that first call is reported as ``first_call_s``). Rows hold
    the medians, the interquartile ranges (``*_iqr``) and ``noisy`` when either
    side's spread exceeds :data:`NOISY_SPREAD` of its median.
    """
    first_call = _time_once(case.ours)
    for fn in case.peers.values():
        fn()
    samples = measure({"fastmath": case.ours, **case.peers}, budget_s=budget_s,
                      min_repeat=min_repeat, max_repeat=max_repeat)
    ours_s, q1, q3 = quartiles(samples["fastmath"])
    base = {
        "family": case.family, "kernel": case.kernel, "case": case.case, "dtype": case.dtype,
        "ours_s": ours_s, "ours_iqr": q3 - q1, "first_call_s": first_call,
        "repeat": len(samples["fastmath"]),
    }
    if case.quality:
        base["quality"] = dict(case.quality)
    ours_noisy = q3 - q1 > NOISY_SPREAD * ours_s
    rows = []
    for name in case.peers:
        peer_s, p1, p3 = quartiles(samples[name])
        rows.append({
            **base, "peer": name, "peer_s": peer_s, "peer_iqr": p3 - p1,
            "speedup": peer_s / ours_s, "noisy": ours_noisy or p3 - p1 > NOISY_SPREAD * peer_s,
            "target": case.target if name == case.target_peer else None,
        })
    for name, why in case.skipped.items():
        rows.append({**base, "peer": name, "peer_s": None, "peer_iqr": None, "speedup": None,
                     "noisy": ours_noisy, "target": None, "skipped": why})
    if not rows:
        rows.append({**base, "peer": None, "peer_s": None, "peer_iqr": None, "speedup": None,
                     "noisy": ours_noisy, "target": None})
    return rows
