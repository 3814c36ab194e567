"""Registry rows of the optimizers (``fastmath.optim``)."""
from __future__ import annotations

import numpy as np

from ..bench.peers import torch_peer
from ._types import Case, Kernel

FAMILY = "optim"


def _optim():
    from fastmath import optim

    return optim


# --- examples ----------------------------------------------------------------------

OPTIMIZER_EXAMPLES = {
    "SGD": lambda o, p: o.SGD(p, lr=0.0, momentum=0.9),
    "Adagrad": lambda o, p: o.Adagrad(p, lr=0.0),
    "RMSprop": lambda o, p: o.RMSprop(p, lr=0.0, centered=True, momentum=0.5),
    "Adam": lambda o, p: o.Adam(p, lr=0.0, amsgrad=True),
    "AdamW": lambda o, p: o.AdamW(p, lr=0.0),
}


def _optimizer_example(name):
    def example(dtype):
        p = np.zeros((3, 2), dtype)
        opt = OPTIMIZER_EXAMPLES[name](_optim(), p)
        opt.step(np.ones((3, 2), dtype))
        return p
    return example


def _clip_example(dtype):
    g = np.ones((3, 2), dtype)
    return _optim().clip_grad_norm(g, 0.1), _optim().clip_grad_norm([g], 0.1, norm_type=np.inf)


def _schedule_example(name):
    def example(dtype):
        o = _optim()
        opt = o.SGD(np.zeros(2, dtype), lr=1.0)
        kwargs = {"StepLR": dict(step_size=2), "ExponentialLR": dict(gamma=0.5),
                  "CosineAnnealingLR": dict(T_max=4)}.get(name, {})
        schedule = getattr(o, name)(opt, **kwargs)
        return [schedule.step() for _ in range(3)]
    return example


# --- benchmark cases -------------------------------------------------------------

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


def _adam_cases(size, rng):
    n = {"quick": 1_000_000, "asv": 5_000_000, "full": 10_000_000}[size]
    for dtype in (np.float32, np.float64):
        p = rng.standard_normal(n).astype(dtype)
        g = rng.standard_normal(n).astype(dtype) * 1e-3
        opt = _optim().Adam(p.copy(), lr=1e-3)
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


def _clip_cases(size, rng):
    n = {"quick": 1_000_000, "asv": 5_000_000, "full": 10_000_000}[size]
    for dtype in (np.float32, np.float64):
        g = rng.standard_normal(n).astype(dtype)
        case = Case(FAMILY, "clip_grad_norm", f"{n:,} params", dtype.__name__,
                    lambda g=g: _optim().clip_grad_norm(g, 1e9),
                    {"numpy": lambda g=g: float(np.sqrt(np.dot(g, g)))})
        torch, why = torch_peer()
        if torch is None:
            case.skipped["torch"] = why
        else:
            tp = torch.zeros(n, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True)
            tp.grad = torch.from_numpy(g)
            case.peers["torch"] = lambda tp=tp: torch.nn.utils.clip_grad_norm_([tp], 1e9)
        yield case


def _adam_sweep(n, dtype, rng):
    p = rng.standard_normal(n).astype(dtype)
    g = rng.standard_normal(n).astype(dtype)
    opt = _optim().Adam(p, lr=1e-6)
    state = {"p": p.copy(), "m": np.zeros_like(p), "v": np.zeros_like(p), "t": 0}

    def numpy_step():
        state["t"] += 1
        _numpy_adam(state["p"], g, state["m"], state["v"], state["t"])

    peers = {"numpy": numpy_step}
    torch, _ = torch_peer()
    if torch is not None:
        tp = torch.tensor(p.copy(), requires_grad=True)
        tp.grad = torch.from_numpy(g.copy())
        peers["torch"] = torch.optim.Adam([tp], lr=1e-6).step
    return (lambda: opt.step(g)), peers


KERNELS = [
    *[Kernel(name, FAMILY, _optimizer_example(name), peers=("torch",))
      for name in ("SGD", "Adagrad", "RMSprop", "AdamW")],
    Kernel("Adam", FAMILY, _optimizer_example("Adam"), _adam_cases, _adam_sweep,
           ("numpy", "torch")),
    Kernel("clip_grad_norm", FAMILY, _clip_example, _clip_cases, peers=("numpy", "torch")),
    *[Kernel(name, FAMILY, _schedule_example(name), peers=("torch",), compiled=False)
      for name in ("ConstantLR", "StepLR", "ExponentialLR", "CosineAnnealingLR",
                   "InverseScalingLR")],
]
