"""Registry rows of the convolution family (``fastmath.conv``)."""
from __future__ import annotations

import numpy as np

from ..bench.peers import add_torch
from ._types import Case, Kernel

FAMILY = "conv"
# (N, C, H, W, K, R, stride, groups): the layers plus a stride-2 and a depthwise one
LAYERS = [
    (32, 3, 32, 32, 16, 3, 1, 1),
    (32, 16, 32, 32, 32, 3, 1, 1),
    (64, 32, 16, 16, 64, 3, 1, 1),
    (8, 64, 56, 56, 64, 3, 1, 1),
    (16, 1, 28, 28, 8, 5, 1, 1),
    (32, 32, 32, 32, 64, 3, 2, 1),
    (32, 64, 32, 32, 64, 3, 1, 64),
]
# layers of a ResNet on 224x224 images, float32 only: its 7x7 stride-2 first
# layer and deep layers (few images, many channels)
RESNET_LAYERS = [
    (8, 3, 224, 224, 64, 7, 2, 1),
    (8, 256, 14, 14, 256, 3, 1, 1),
    (8, 512, 7, 7, 512, 3, 1, 1),
    (8, 128, 28, 28, 256, 3, 2, 1),
    (8, 256, 14, 14, 512, 3, 2, 1),
    (8, 256, 14, 14, 1024, 1, 1, 1),
]
QUICK_LAYERS = [(4, 3, 16, 16, 8, 3, 1, 1), (4, 8, 16, 16, 8, 3, 2, 8)]
ASV_LAYERS = [(32, 16, 32, 32, 32, 3, 1, 1), (32, 32, 32, 32, 32, 3, 1, 32)]


def _fm():
    import fastmath.conv as cv

    return cv


def _rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


# --- examples ------------------------------------------------------------------

def _conv_inputs(dtype):
    rng = np.random.default_rng(0)
    return (_rand(rng, (2, 2, 6, 6), dtype), _rand(rng, (2, 2, 3, 3), dtype),
            _rand(rng, (2, 2, 1, 1), dtype))


def _winograd_inputs(dtype):
    """A small layer the Winograd kernels take: 16 channels, 19M multiply-adds
    at stride 1, 4.7M at stride 2."""
    rng = np.random.default_rng(0)
    return _rand(rng, (8, 16, 32, 32), dtype), _rand(rng, (16, 16, 3, 3), dtype)


def _conv2d_example(dtype):
    cv = _fm()
    x, w, w1 = _conv_inputs(dtype)
    xw, ww = _winograd_inputs(dtype)
    # stride 2: the direct kernel takes 16 channels; 40 take Winograd in float32
    x40 = np.concatenate([xw, xw, xw[:, :8]], axis=1)
    w40 = np.concatenate([ww, ww, ww[:, :8]], axis=1)
    # stride 1: the direct kernel's tiles of 4 channels (8 output channels)
    # and of one (2 output channels, as ``w``), 3x3 and 5x5; 7x7 at stride 2 (a
    # ResNet's first layer)
    w5 = np.ones((8, 2, 5, 5), dtype)
    w7 = np.ones((8, 2, 7, 7), dtype)
    # 256 x 256 channels with 64 tiles: Winograd position by position
    deep = cv.conv2d(np.ones((1, 256, 32, 32), dtype), np.ones((256, 256, 3, 3), dtype), padding=1)
    return (deep, cv.conv2d(x, w), cv.conv2d(x, w1), cv.conv2d(x, w[:, :1], groups=2, padding=1),
            cv.conv2d(x, np.concatenate([w] * 4), padding=1), cv.conv2d(x, w5, padding=2),
            cv.conv2d(x, w7, stride=2, padding=3),
            cv.conv2d(xw, ww, padding=1), cv.conv2d(xw, ww, stride=2, padding=1),
            cv.conv2d(x40, w40, stride=2, padding=1))


def _conv2d_backward_example(dtype):
    cv = _fm()
    x, w, w1 = _conv_inputs(dtype)
    xw, ww = _winograd_inputs(dtype)
    dw = w[:, :1]  # depthwise: its 3x3 stride-1 kernels and the general ones
    return (cv.conv2d_backward(np.ones((2, 2, 4, 4), dtype), x, w),
            cv.conv2d_backward(np.ones((2, 2, 6, 6), dtype), x, w1),
            cv.conv2d_backward(np.ones((2, 2, 6, 6), dtype), x, dw, groups=2, padding=1),
            cv.conv2d_backward(np.ones((2, 2, 3, 3), dtype), x, dw, stride=2, padding=1,
                               groups=2),
            cv.conv2d_backward(np.ones((8, 8, 32, 32), dtype), xw, ww[:8], padding=1),
            cv.conv2d_backward(np.ones((8, 16, 32, 32), dtype), xw, ww, padding=1),
            cv.conv2d_backward(np.ones((8, 16, 16, 16), dtype), xw, ww, stride=2, padding=1))


def _pool_example(name):
    def example(dtype):
        cv = _fm()
        x = _conv_inputs(dtype)[0]
        if name == "max_pool2d":
            return cv.max_pool2d(x, 2)
        if name == "max_pool2d_backward":
            out, argmax = cv.max_pool2d(x, 2)
            return cv.max_pool2d_backward(out, argmax, x.shape)
        if name == "avg_pool2d":
            return cv.avg_pool2d(x, 2)
        return cv.avg_pool2d_backward(cv.avg_pool2d(x, 2), x.shape, 2)
    return example


def _correlate_example(name):
    def example(dtype):
        x, w, _ = _conv_inputs(dtype)
        return getattr(_fm(), name)(x[0, 0], w[0, 0], "same")
    return example


# --- benchmark cases -------------------------------------------------------------

def _layer_name(layer):
    n, c, h, w, k, r, stride, groups = layer
    return f"N{n} C{c} {h}x{w} K{k} R{r}" + (f" s{stride}" if stride > 1 else "") + (
        " depthwise" if groups == c and groups > 1 else "")


def _layers(size):
    """(dtype, layer) pairs of one size."""
    layers = {"quick": QUICK_LAYERS, "asv": ASV_LAYERS, "full": LAYERS}[size]
    resnet = RESNET_LAYERS if size == "full" else []
    return ([(np.float32, layer) for layer in layers + resnet]
            + [(np.float64, layer) for layer in layers])


def _layer_data(rng, layer, dtype):
    n, c, h, w, k, r, stride, groups = layer
    x = _rand(rng, (n, c, h, w), dtype)
    wt = _rand(rng, (k, c // groups, r, r), dtype)
    b = _rand(rng, k, dtype)
    return x, wt, b, dict(stride=stride, padding=r // 2, groups=groups)


def _conv2d_cases(size, rng):
    cv = _fm()
    for dtype, layer in _layers(size):
        x, wt, b, kw = _layer_data(rng, layer, dtype)
        case = Case(FAMILY, "conv2d", _layer_name(layer), dtype.__name__,
                    lambda x=x, wt=wt, b=b, kw=kw: cv.conv2d(x, wt, b, **kw),
                    target=1.0 if dtype == np.float32 else 1.5, target_peer="torch")

        def torch_fwd(t, x=x, wt=wt, b=b, kw=kw):
            tx, tw, tb = (t.from_numpy(a) for a in (x, wt, b))

            def run():
                with t.no_grad():
                    t.nn.functional.conv2d(tx, tw, tb, kw["stride"], kw["padding"], 1,
                                           kw["groups"])
            return run

        yield add_torch(case, torch_fwd)


def _conv2d_backward_cases(size, rng):
    cv = _fm()
    for dtype, layer in _layers(size):
        x, wt, b, kw = _layer_data(rng, layer, dtype)
        g = _rand(rng, cv.conv2d(x, wt, b, **kw).shape, dtype)

        def ours(x=x, wt=wt, b=b, g=g, kw=kw):
            cv.conv2d(x, wt, b, **kw)
            cv.conv2d_backward(g, x, wt, **kw)

        case = Case(FAMILY, "conv2d fwd+bwd", _layer_name(layer), dtype.__name__, ours,
                    target=1.0 if dtype == np.float32 else 1.5, target_peer="torch")

        def torch_both(t, x=x, wt=wt, b=b, g=g, kw=kw):
            tx, tw, tb, tg = (t.from_numpy(a) for a in (x, wt, b, g))

            def run():
                xx, ww, bb = (v.detach().requires_grad_() for v in (tx, tw, tb))
                t.nn.functional.conv2d(xx, ww, bb, kw["stride"], kw["padding"], 1,
                                       kw["groups"]).backward(tg)
            return run

        yield add_torch(case, torch_both)


def _correlate_cases(name):
    def cases(size, rng):
        import scipy.signal

        ours, peer = getattr(_fm(), name), getattr(scipy.signal, name)
        n = {"quick": 128, "asv": 2048, "full": 512}[size]
        for dtype in (np.float32, np.float64):
            image = _rand(rng, (n, n), dtype)
            for r in ((3, 5, 7) if size == "full" else (5,)):
                kernel = _rand(rng, (r, r), dtype)
                for mode in ("valid", "same"):
                    yield Case(FAMILY, name, f"{n}x{n} * {r}x{r} {mode}", dtype.__name__,
                               lambda i=image, k=kernel, m=mode: ours(i, k, m),
                               {"scipy": lambda i=image, k=kernel, m=mode: peer(i, k, m)},
                               5.0, "scipy")
    return cases


def _pool_cases(name):
    def cases(size, rng):
        cv = _fm()
        n, c, h = {"quick": (8, 16, 32), "asv": (128, 64, 32), "full": (64, 64, 32)}[size]
        for dtype in (np.float32, np.float64):
            x = _rand(rng, (n, c, h, h), dtype)
            out, argmax = cv.max_pool2d(x, 2)
            grad = _rand(rng, out.shape, dtype)
            ours = {"max_pool2d": lambda x=x: cv.max_pool2d(x, 2),
                    "max_pool2d_backward": lambda g=grad, a=argmax, x=x:
                        cv.max_pool2d_backward(g, a, x.shape),
                    "avg_pool2d": lambda x=x: cv.avg_pool2d(x, 2),
                    "avg_pool2d_backward": lambda g=grad, x=x:
                        cv.avg_pool2d_backward(g, x.shape, 2)}[name]
            case = Case(FAMILY, name, f"N{n} C{c} {h}x{h}, 2x2", dtype.__name__, ours)

            def torch_pool(t, x=x, grad=grad):
                F = t.nn.functional
                tx, tg = t.from_numpy(x), t.from_numpy(grad)
                if name == "max_pool2d":
                    return lambda: F.max_pool2d(tx, 2, return_indices=True)
                if name == "avg_pool2d":
                    return lambda: F.avg_pool2d(tx, 2)

                def backward():
                    xx = tx.detach().requires_grad_()
                    pool = F.max_pool2d if name == "max_pool2d_backward" else F.avg_pool2d
                    pool(xx, 2).backward(tg)
                return backward

            yield add_torch(case, torch_pool)
    return cases


# --- sweeps ------------------------------------------------------------------------

def _conv_sweep(backward):
    def sweep(n, dtype, rng):
        cv = _fm()
        if n < 512:  # one small image
            s = max(1, int(np.sqrt(n)))
            x, w = _rand(rng, (1, 1, s, s), dtype), _rand(rng, (1, 1, min(3, s), min(3, s)), dtype)
        else:  # a batch of digit-sized 8-channel images
            x = _rand(rng, (max(1, n // 512), 8, 8, 8), dtype)
            w = _rand(rng, (8, 8, 3, 3), dtype)
        pad = w.shape[-1] // 2
        g = _rand(rng, cv.conv2d(x, w, padding=pad).shape, dtype)
        ours = ((lambda: cv.conv2d_backward(g, x, w, padding=pad)) if backward
                else (lambda: cv.conv2d(x, w, padding=pad)))
        peers = {}
        from ..bench.peers import torch_peer

        t, _ = torch_peer()
        if t is not None:
            tx, tw, tg = t.from_numpy(x), t.from_numpy(w), t.from_numpy(g)
            if backward:
                def torch_call():
                    xx, ww = tx.detach().requires_grad_(), tw.detach().requires_grad_()
                    t.nn.functional.conv2d(xx, ww, padding=pad).backward(tg)
            else:
                def torch_call():
                    with t.no_grad():
                        t.nn.functional.conv2d(tx, tw, padding=pad)
            peers["torch"] = torch_call
        return ours, peers
    return sweep


def _correlate_sweep(n, dtype, rng):
    import scipy.signal

    s = max(3, int(np.sqrt(n)))
    image, kernel = _rand(rng, (s, s), dtype), _rand(rng, (3, 3), dtype)
    return (lambda: _fm().correlate2d(image, kernel, "same")), {
        "scipy": lambda: scipy.signal.correlate2d(image, kernel, "same")}


KERNELS = [
    Kernel("conv2d", FAMILY, _conv2d_example, _conv2d_cases, _conv_sweep(False), ("torch",)),
    Kernel("conv2d_backward", FAMILY, _conv2d_backward_example, _conv2d_backward_cases,
           _conv_sweep(True), ("torch",)),
    Kernel("max_pool2d", FAMILY, _pool_example("max_pool2d"), _pool_cases("max_pool2d"),
           peers=("torch",)),
    Kernel("max_pool2d_backward", FAMILY, _pool_example("max_pool2d_backward"),
           _pool_cases("max_pool2d_backward"), peers=("torch",)),
    Kernel("avg_pool2d", FAMILY, _pool_example("avg_pool2d"), _pool_cases("avg_pool2d"),
           peers=("torch",)),
    Kernel("avg_pool2d_backward", FAMILY, _pool_example("avg_pool2d_backward"),
           _pool_cases("avg_pool2d_backward"), peers=("torch",)),
    Kernel("correlate2d", FAMILY, _correlate_example("correlate2d"),
           _correlate_cases("correlate2d"), _correlate_sweep, ("scipy",)),
    Kernel("convolve2d", FAMILY, _correlate_example("convolve2d"),
           _correlate_cases("convolve2d"), peers=("scipy",)),
]
