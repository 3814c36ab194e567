"""Benchmark cases of the optimization family (issue targets in ``target``)."""
from __future__ import annotations

import numpy as np

from fastmath.optim import Adam

from .peers import torch_peer
from .timing import Case

FAMILY = "optim"


def _numpy_adam(p, g, m, v, t, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    """A careful NumPy Adam step: in-place ufuncs, one temporary."""
    m *= b1
    m += (1 - b1) * g
    v *= b2
    tmp = g * g
    tmp *= 1 - b2
    v += tmp
    np.sqrt(v, out=tmp)
    tmp /= np.sqrt(1 - b2 ** t)
    tmp += eps
    np.divide(m, tmp, out=tmp)
    tmp *= lr / (1 - b1 ** t)
    p -= tmp


def _adam(rng, n):
    for dtype in (np.float32, np.float64):
        p = rng.standard_normal(n).astype(dtype)
        g = rng.standard_normal(n).astype(dtype) * 1e-3
        opt = Adam(p.copy(), lr=1e-3)
        state = {"p": p.copy(), "m": np.zeros_like(p), "v": np.zeros_like(p), "t": 0}

        def numpy_step(state=state, g=g):
            state["t"] += 1
            _numpy_adam(state["p"], g, state["m"], state["v"], state["t"])

        case = Case(FAMILY, "Adam.step", f"{n:,} params", dtype.__name__,
                    lambda opt=opt, g=g: opt.step(g), {"numpy": numpy_step}, 4.0, "numpy")
        torch, why = torch_peer()
        if torch is None:
            case.skipped["torch (fused)"] = why
        else:
            tp = torch.tensor(p.copy(), requires_grad=True)
            tp.grad = torch.from_numpy(g.copy())
            try:
                topt = torch.optim.Adam([tp], lr=1e-3, fused=True)
                topt.step()
                case.peers["torch (fused)"] = topt.step
            except (RuntimeError, ValueError) as exc:  # fused CPU Adam missing in this build
                case.skipped["torch (fused)"] = f"torch fused Adam unavailable: {exc}"
        yield case


def cases(quick: bool = False, seed: int = 0):
    """Yield the family's cases one at a time (each builds its own data)."""
    rng = np.random.default_rng(seed)
    yield from _adam(rng, 1_000_000 if quick else 10_000_000)
