"""The two views of speed a user feels: on a busy machine (``--contended``) and across sizes (``--sweep``)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager

import numpy as np

from .._config.threads import thread_limit
from .timing import _time_once, measure, quartiles

# --sweep: sizes 1, 4, 16, ... up to this many elements (or stored values, or rows)
SWEEP_MAX = 4 ** 11
SWEEP_BUDGET_S = 0.3


@contextmanager
def competitor():
    """A busy process at normal priority on one core (the last one), for the block only."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        if hasattr(os, "sched_setaffinity"):
            cores = sorted(os.sched_getaffinity(0))
            try:
                os.sched_setaffinity(proc.pid, {cores[-1]})
            except OSError:
                pass
        time.sleep(0.2)  # let it reach its loop
        yield proc
    finally:
        proc.kill()
        proc.wait()


def _one_thread(fn):
    def run():
        with thread_limit(1):
            return fn()
    return run


def run_contended(case, *, budget_s: float = 2.0) -> dict:
    """Time ``case`` quiet, then beside a busy competitor with the default threads and with one.

    Returns medians and quartiles, ``slowdown`` (contended / quiet, default
    threads) and ``vs_one_thread`` (default threads / one thread, both under
    contention): the issue's target is at most 1.25.
    """
    first = _time_once(case.ours)
    quiet = measure({"default": case.ours}, budget_s=budget_s / 2)["default"]
    with competitor():
        busy = measure({"default": case.ours, "one thread": _one_thread(case.ours)},
                       budget_s=budget_s)
    q, b, one = quartiles(quiet), quartiles(busy["default"]), quartiles(busy["one thread"])
    return {
        "family": case.family, "kernel": case.kernel, "case": case.case, "dtype": case.dtype,
        "first_call_s": first, "quiet_s": q[0], "quiet_iqr": q[2] - q[1],
        "contended_s": b[0], "contended_iqr": b[2] - b[1],
        "one_thread_s": one[0], "one_thread_iqr": one[2] - one[1],
        "slowdown": b[0] / q[0], "vs_one_thread": b[0] / one[0],
    }


def sweep_sizes(max_n: int = SWEEP_MAX) -> list[int]:
    """1, 4, 16, ... up to ``max_n``."""
    sizes, n = [], 1
    while n <= max_n:
        sizes.append(n)
        n *= 4
    return sizes


def run_sweep(kernel, dtype: str, *, max_n: int = SWEEP_MAX, budget_s: float = SWEEP_BUDGET_S,
              seed: int = 0) -> list:
    """Time the kernel and its peers at each size of :func:`sweep_sizes`; one row per size."""
    rows = []
    for n in sweep_sizes(max_n):
        rng = np.random.default_rng(seed)
        ours, peers = kernel.sweep(n, dtype, rng)
        ours()
        for fn in peers.values():
            fn()
        samples = measure({"fastmath": ours, **peers}, budget_s=budget_s, min_repeat=5)
        row = {"kernel": kernel.name, "family": kernel.family, "dtype": dtype, "n": n,
               "ours_s": quartiles(samples["fastmath"])[0], "peers": {}}
        for name in peers:
            row["peers"][name] = quartiles(samples[name])[0]
        rows.append(row)
    return rows
