"""Seeded random numbers inside kernels: splitmix64, the same stream on any thread.

numba's ``np.random`` state belongs to the thread that runs the code, so a
kernel whose work moves between threads would not be reproducible with it.
These helpers keep the state in a one-element uint64 array owned by the
caller.
"""
from __future__ import annotations

import numpy as np

from ._config.jit import jit


@jit
def next_uniform(state):
    """Advance ``state[0]`` (splitmix64) and return a uniform float in [0, 1)."""
    state[0] += np.uint64(0x9E3779B97F4A7C15)
    z = state[0]
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@jit
def random_below(state, n):
    """A uniform integer in [0, n)."""
    return min(n - 1, np.int64(next_uniform(state) * n))


@jit
def shuffle_inplace(order, state):
    """Fisher-Yates shuffle of ``order``."""
    for i in range(order.shape[0] - 1, 0, -1):
        j = random_below(state, i + 1)
        order[i], order[j] = order[j], order[i]
