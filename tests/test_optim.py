import math

import numpy as np
import pytest
from conftest import DTYPES

import reference as ref
from fastmath.optim import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    InverseScalingLR,
    RMSprop,
    StepLR,
    clip_grad_norm,
)

CONFIGS = [
    ("sgd", SGD, {"lr": 0.05}),
    ("sgd", SGD, {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    ("sgd", SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("adagrad", Adagrad, {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01,
                          "initial_accumulator_value": 0.1}),
    ("rmsprop", RMSprop, {"lr": 0.01}),
    ("rmsprop", RMSprop, {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True,
                          "weight_decay": 0.01}),
    ("adam", Adam, {"lr": 0.01}),
    ("adam", Adam, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.05, "amsgrad": True}),
    ("adamw", AdamW, {"lr": 0.01}),
    ("adamw", AdamW, {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
]


def _ids(cfg):
    return f"{cfg[0]}-{sorted(cfg[2])}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cfg", CONFIGS, ids=[_ids(c) for c in CONFIGS])
def test_many_steps_match_reference(rng, dtype, cfg):
    kind, cls, hp = cfg
    shapes = [(7, 5), (13,), (1,), (0, 3)]
    params = [rng.standard_normal(s).astype(dtype) for s in shapes]
    refs = [ref.OptimizerReference(kind, s, **hp) for s in shapes]
    want = [p.astype(np.float64) for p in params]
    opt = cls(params, **hp)
    for _ in range(50):
        grads = [rng.standard_normal(s) for s in shapes]
        opt.step(grads)
        want = [r.step(w, g) for r, w, g in zip(refs, want, grads)]
    rtol = 1e-11 if dtype == np.float64 else 2e-4
    for p, w in zip(params, want):
        assert p.dtype == dtype
        np.testing.assert_allclose(p, w, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("cfg", CONFIGS, ids=[_ids(c) for c in CONFIGS])
def test_against_torch(rng, cfg):
    torch = pytest.importorskip("torch")
    kind, cls, hp = cfg
    torch_cls = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop,
                 "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[kind]
    p = rng.standard_normal((6, 4))
    tp = torch.tensor(p.copy(), requires_grad=True)
    topt = torch_cls([tp], **hp)
    opt = cls(p, **hp)
    for _ in range(30):
        g = rng.standard_normal(p.shape)
        tp.grad = torch.tensor(g)
        topt.step()
        opt.step(g)
    np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_single_array_and_strided_param(rng):
    big = np.zeros((6, 8))
    view = big[::2, ::2]  # not contiguous: updated through a copy and written back
    opt = SGD([view], lr=0.5)
    opt.step([np.ones((3, 4))])
    np.testing.assert_array_equal(big[::2, ::2], -0.5)
    assert big[1::2].sum() == 0 and big[:, 1::2].sum() == 0
    w = np.ones(4, np.float32)
    opt = Adam(w, lr=0.1)
    opt.step(np.ones(4))  # a single array takes a single gradient
    assert w.dtype == np.float32 and (w < 1).all()


def test_zero_state_restarts(rng):
    p1 = rng.standard_normal(5)
    p2 = p1.copy()
    grads = [rng.standard_normal(5) for _ in range(4)]
    a = Adam(p1, lr=0.1)
    for g in grads:
        a.step(g)
    a.zero_state()
    b = Adam(p2, lr=0.1)
    p2[...] = p1
    a.step(grads[0])
    b.step(grads[0])
    np.testing.assert_array_equal(p1, p2)
    assert a.step_count == 1


def test_nan_gradient_propagates():
    w = np.zeros(3)
    Adam(w, lr=0.1).step(np.array([np.nan, 1.0, 0.0]))
    assert np.isnan(w[0]) and np.isfinite(w[1:]).all()
    w = np.zeros(3)
    opt = Adam(w, lr=0.1, amsgrad=True)
    opt.step(np.array([np.nan, 1.0, 0.0]))
    opt.step(np.array([1.0, 1.0, 0.0]))
    assert np.isnan(w[0]) and np.isnan(opt.state[0]["max_exp_avg_sq"][0])


@pytest.mark.parametrize("make, message", [
    (lambda: SGD(np.zeros(2), lr=-1), r"lr must be a finite number in the range \[0.0, inf\]"),
    (lambda: SGD(np.zeros(2), nesterov=True), "nesterov=True needs momentum > 0"),
    (lambda: Adam(np.zeros(2), betas=(0.9, 1.0)), r"betas\[1\] .* range \[0.0, 1.0\)"),
    (lambda: Adam(np.zeros(2), betas=0.9), "betas must be a pair"),
    (lambda: Adam(np.zeros(2), eps=float("nan")), "eps must be a finite number"),
    (lambda: RMSprop(np.zeros(2), alpha=1.5), r"alpha .* range \[0.0, 1.0\]"),
    (lambda: Adam([]), "params must not be empty"),
    (lambda: StepLR(SGD(np.zeros(2)), step_size=0), r"step_size must be an integer in the range"),
    (lambda: CosineAnnealingLR(SGD(np.zeros(2)), T_max=5, eta_min=float("nan")),
     "eta_min must be a finite number"),
    (lambda: CosineAnnealingLR(SGD(np.zeros(2)), T_max=0), "T_max must be an integer"),
    (lambda: ExponentialLR(SGD(np.zeros(2)), gamma=0.0), r"gamma .* range \(0.0, inf\)"),
    (lambda: clip_grad_norm(np.ones(2), -1.0), "max_norm must be a finite number"),
    (lambda: clip_grad_norm(np.ones(2), 1.0, norm_type=0), "norm_type must be > 0"),
])
def test_bad_hyperparameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("make, message", [
    (lambda: SGD(np.zeros(2), lr="0.1"), "lr must be a real number"),
    (lambda: Adam(np.zeros(2), weight_decay=[0.1]), "weight_decay must be a real number"),
    (lambda: StepLR(SGD(np.zeros(2)), step_size=2.5), "step_size must be an integer"),
    (lambda: StepLR(SGD(np.zeros(2)), step_size=2, gamma="x"), "gamma must be a real number"),
    (lambda: CosineAnnealingLR(SGD(np.zeros(2)), T_max="10"), "T_max must be an integer"),
    (lambda: InverseScalingLR(SGD(np.zeros(2)), power_t=None), "power_t must be a real number"),
    (lambda: clip_grad_norm(np.ones(2), "1"), "max_norm must be a real number"),
    (lambda: clip_grad_norm(np.ones(2), 1.0, norm_type=[2]), "norm_type must be a number"),
])
def test_wrong_types_raise_type_errors(make, message):
    with pytest.raises(TypeError, match=message):
        make()


def test_numpy_scalars_are_accepted_everywhere():
    opt = SGD(np.zeros(2), lr=np.float32(0.5), momentum=np.float64(0.1))
    assert StepLR(opt, step_size=np.int64(2), gamma=np.float32(0.5)).step() == 0.5
    g = np.array([3.0, 4.0])
    assert clip_grad_norm(g, np.float32(1.0)) == 5.0
    assert clip_grad_norm(np.array([3.0, 4.0]), np.int64(1), norm_type=np.float64(2.0)) == 5.0


def test_schedules_overflow_to_inf_as_float_arithmetic():
    sched = ExponentialLR(SGD(np.zeros(2), lr=1.0), gamma=2.0)
    assert sched.lr_at(2000) == math.inf


def test_clip_grad_norm_does_not_overflow_float32():
    g = np.full(14, 1e30, np.float32)
    assert clip_grad_norm(g, 1.0) == pytest.approx(math.sqrt(14) * 1e30, rel=1e-6)
    assert np.isfinite(g).all() and np.linalg.norm(g.astype(np.float64)) == pytest.approx(1.0, rel=1e-5)
    huge = np.full(14, 1e200)
    assert clip_grad_norm(huge, 1.0) == pytest.approx(math.sqrt(14) * 1e200, rel=1e-12)


def test_clip_grad_norm_p_norms_as_torch(rng):
    torch = pytest.importorskip("torch")
    for p in (1.0, 3.0, "inf"):
        g = rng.standard_normal(7)
        t = torch.tensor(g.copy(), requires_grad=True)
        t.grad = torch.tensor(g.copy())
        want = torch.nn.utils.clip_grad_norm_([t], 0.5, norm_type=p).item()
        assert clip_grad_norm(g, 0.5, norm_type=p) == pytest.approx(want, rel=1e-12)
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)


def test_bad_params_and_grads():
    with pytest.raises(TypeError, match=r"params\[0\] must be float32 or float64"):
        SGD(np.zeros(2, dtype=int))
    with pytest.raises(TypeError, match=r"params\[1\] must be a numpy.ndarray"):
        SGD([np.zeros(2), [1.0, 2.0]])
    ro = np.zeros(2)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match=r"params\[0\] is read-only"):
        SGD(ro)
    opt = Adam([np.zeros(2), np.zeros((2, 3))])
    with pytest.raises(ValueError, match="grads must hold 2 arrays"):
        opt.step([np.zeros(2)])
    with pytest.raises(ValueError, match=r"grads\[1\] must have shape \(2, 3\) like params\[1\], got \(3, 2\)"):
        opt.step([np.zeros(2), np.zeros((3, 2))])
    with pytest.raises(TypeError, match=r"grads\[0\] must hold real numbers"):
        opt.step([np.zeros(2, complex), np.zeros((2, 3))])
    assert opt.step_count == 0  # nothing was applied


@pytest.mark.parametrize("dtype", DTYPES)
def test_clip_grad_norm(rng, dtype):
    grads = [rng.standard_normal((300, 70)).astype(dtype), rng.standard_normal(11).astype(dtype)]
    before = [g.copy() for g in grads]
    total = np.sqrt(sum((g.astype(float) ** 2).sum() for g in before))
    got = clip_grad_norm(grads, 1.0)
    assert got == pytest.approx(total, rel=1e-6)
    coef = 1.0 / (total + 1e-6)
    for g, b in zip(grads, before):
        np.testing.assert_allclose(g, b * coef, rtol=1e-6)
    small = [np.array([0.1, 0.2])]
    assert clip_grad_norm(small, 10.0) == pytest.approx(math.sqrt(0.05))
    np.testing.assert_array_equal(small[0], [0.1, 0.2])  # below the limit: untouched
    g = np.array([3.0, -7.0])
    assert clip_grad_norm(g, 1.0, norm_type=math.inf) == 7.0
    np.testing.assert_allclose(g, np.array([3.0, -7.0]) / (7 + 1e-6))


def test_clip_grad_norm_against_torch(rng):
    torch = pytest.importorskip("torch")
    grads = [rng.standard_normal((5, 4)), rng.standard_normal(3)]
    tensors = [torch.tensor(g.copy(), requires_grad=True) for g in grads]
    for t, g in zip(tensors, grads):
        t.grad = torch.tensor(g.copy())
    want = torch.nn.utils.clip_grad_norm_(tensors, 0.5).item()
    assert clip_grad_norm(grads, 0.5) == pytest.approx(want)
    for g, t in zip(grads, tensors):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_nonfinite():
    g = np.array([np.nan, 1.0])
    with pytest.raises(ValueError, match="hold NaN or Inf"):
        clip_grad_norm(g, 1.0, error_if_nonfinite=True)
    assert math.isnan(clip_grad_norm(g, 1.0))
    with pytest.raises(ValueError, match="norm_type must be > 0"):
        clip_grad_norm(g, 1.0, norm_type=-1)
    with pytest.raises(ValueError, match="max_norm must be a finite number in the range"):
        clip_grad_norm(g, -1.0)


def test_schedules():
    def run(make, n=6):
        opt = SGD(np.zeros(1), lr=0.8)
        sched = make(opt)
        return [sched.step() for _ in range(n)], opt

    rates, opt = run(lambda o: StepLR(o, step_size=2, gamma=0.5))
    assert rates == pytest.approx([0.8, 0.4, 0.4, 0.2, 0.2, 0.1]) and opt.lr == rates[-1]
    rates, _ = run(lambda o: ExponentialLR(o, gamma=0.9))
    assert rates == pytest.approx([0.8 * 0.9 ** t for t in range(1, 7)])
    rates, _ = run(lambda o: CosineAnnealingLR(o, T_max=6, eta_min=0.1))
    assert rates[-1] == pytest.approx(0.1) and rates[2] == pytest.approx(0.45)
    rates, _ = run(lambda o: InverseScalingLR(o, power_t=0.5))
    assert rates == pytest.approx([0.8 / math.sqrt(t + 1) for t in range(1, 7)])
    rates, _ = run(ConstantLR)
    assert rates == [0.8] * 6
    with pytest.raises(ValueError, match=r"gamma must be a finite number in the range \(0.0"):
        StepLR(SGD(np.zeros(1)), step_size=1, gamma=0)


def test_schedule_against_torch():
    torch = pytest.importorskip("torch")
    tp = torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([tp], lr=0.8)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=5, eta_min=0.05)
    opt = SGD(np.zeros(1), lr=0.8)
    sched = CosineAnnealingLR(opt, T_max=5, eta_min=0.05)
    for _ in range(5):
        topt.step()
        tsched.step()
        assert sched.step() == pytest.approx(topt.param_groups[0]["lr"])
