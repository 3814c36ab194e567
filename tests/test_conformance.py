"""The conformance table: every drop-in beside its peer (see ``conformance.py``)."""
import numpy as np
import pytest
from conformance import Case, check

import fastmath as fm

RNG = np.random.default_rng(7)
X = RNG.standard_normal((4, 5)) * 3
X3 = RNG.standard_normal((3, 4, 2))
X32 = X.astype(np.float32)
WITH_INF = np.array([[0.0, np.nan, 1.0], [np.inf, 1.0, 2.0], [-np.inf, -np.inf, -np.inf],
                     [-np.inf, 0.0, 1.0], [np.inf, -np.inf, 0.0]])


def _special(name):
    return f"scipy.special.{name}"


SCIPY_SPECIAL = [
    *[Case(f"softmax{label}", fm.softmax, _special("softmax"), args, kw)
      for label, args, kw in [
          ("()", (X,), {}), ("(axis=0)", (X,), {"axis": 0}), ("(axis=-1)", (X,), {"axis": -1}),
          ("(axis=(0, 2))", (X3,), {"axis": (0, 2)}), ("(float32)", (X32,), {"axis": 1}),
          ("(scalar)", (3.0,), {}), ("(list)", ([1, 2, 3],), {}),
          ("(inf, nan)", (WITH_INF,), {"axis": 1}), ("(1-element)", (np.ones(1),), {}),
          ("(empty rows)", (np.ones((0, 3)),), {"axis": 1})]],
    *[Case(f"softmax{label}", fm.softmax, _special("softmax"), args, kw, raises=True)
      for label, args, kw in [
          ("(empty axis)", (np.ones((3, 0)),), {"axis": 1}), ("(empty)", ([],), {}),
          ("(axis out of bounds)", (X,), {"axis": 2}), ("(float axis)", (X,), {"axis": 1.5}),
          ("(repeated axis)", (X,), {"axis": (0, 0)})]],
    *[Case(f"logsumexp{label}", fm.logsumexp, _special("logsumexp"), args, kw, rtol=1e-14)
      for label, args, kw in [
          ("()", (X,), {}), ("(axis=0)", (X,), {"axis": 0}), ("(axis=(0, 2))", (X3,), {"axis": (0, 2)}),
          ("(keepdims)", (X,), {"axis": 1, "keepdims": True}),
          ("(keepdims, full)", (X,), {"keepdims": True}),
          ("(b)", (X,), {"axis": 1, "b": np.arange(5.0)}),
          ("(b broadcasts a)", ([1.0, 2.0],), {"b": [[1.0], [2.0]]}),
          ("(b=0)", ([1.0, 2.0],), {"b": 0.0}),
          ("(return_sign)", ([1.0, 2.0],), {"b": [1.0, -1.0], "return_sign": True}),
          ("(negative sum)", ([1.0, 2.0],), {"b": [1.0, -1.0]}),
          ("(zero sum)", ([1.0, 1.0],), {"b": [1.0, -1.0], "return_sign": True}),
          ("(scalar)", (3.0,), {}), ("(scalar, sign)", (3.0,), {"return_sign": True}),
          ("(float32)", (X32,), {"axis": 0}), ("(inf, nan)", (WITH_INF,), {"axis": 1}),
          ("(precision)", ([0.0, -20.0],), {}), ("(empty)", ([],), {}),
          ("(empty axis)", (np.ones((3, 0)),), {"axis": 1}),
          ("(empty rows)", (np.ones((0, 3)),), {"axis": 1}), ("(ints)", ([1, 2],), {})]],
    *[Case(f"logsumexp{label}", fm.logsumexp, _special("logsumexp"), args, kw, raises=True)
      for label, args, kw in [
          ("(axis out of bounds)", (np.ones(3),), {"axis": 1}),
          ("(b does not broadcast)", (np.ones(3),), {"b": np.ones(2)})]],
]

A1, B1 = RNG.standard_normal(30), RNG.standard_normal(45) * 2 + 0.4
A2, B2 = RNG.standard_normal((30, 3)), RNG.standard_normal((45, 3))
A_NAN = A1.copy()
A_NAN[3] = np.nan
SCIPY_STATS = [
    *[Case(f"ttest_ind{label}", fm.stats.ttest_ind, "scipy.stats.ttest_ind", args, kw,
           rtol=1e-10)
      for label, args, kw in [
          ("()", (A1, B1), {}), ("(welch)", (A1, B1), {"equal_var": False}),
          ("(less)", (A1, B1), {"alternative": "less"}),
          ("(greater, welch)", (A1, B1), {"alternative": "greater", "equal_var": False}),
          ("(2-D)", (A2, B2), {}), ("(axis=1)", (A2.T, B2.T), {"axis": 1}),
          ("(axis=None)", (A2, B2), {"axis": None}), ("(keepdims)", (A2, B2), {"keepdims": True}),
          ("(broadcast)", (A2, B2[:, :1]), {}), ("(float32)", (A2.astype(np.float32), B2), {}),
          ("(nan propagate)", (A_NAN, B1), {}), ("(nan omit)", (A_NAN, B1), {"nan_policy": "omit"}),
          ("(zero variance, welch)", (np.zeros(3), np.ones(3)), {"equal_var": False}),
          ("(one value)", ([1.0], [2.0, 3.0]), {}), ("(scalars)", (1.0, 2.0), {}),
          ("(empty)", ([], [1.0, 2.0]), {}),
          ("(huge values)", ([1e308, -1e308, 1e308], [1e308, -1e308, 1e308]), {}),
          ("(ints)", ([1, 2, 3, 4], [2, 4, 6, 9]), {})]],
    *[Case(f"ttest_ind{label}", fm.stats.ttest_ind, "scipy.stats.ttest_ind", args, kw,
           raises=True)
      for label, args, kw in [
          ("(nan raise)", (A_NAN, B1), {"nan_policy": "raise"}),
          ("(bad alternative)", (A1, B1), {"alternative": "both"}),
          ("(bad axis)", (A1, B1), {"axis": 1})]],
]

IMG, KER = RNG.standard_normal((6, 7)), RNG.standard_normal((3, 2))
SCIPY_SIGNAL = [
    *[Case(f"{name}{label}", getattr(fm, name), f"scipy.signal.{name}", args, kw)
      for name in ("correlate2d", "convolve2d")
      for label, args, kw in [
          ("()", (IMG, KER), {}), ("(valid)", (IMG, KER), {"mode": "valid"}),
          ("(same)", (IMG, KER), {"mode": "same"}),
          ("(fillvalue)", (IMG, KER), {"fillvalue": 2.0}),
          ("(wrap)", (IMG, KER), {"boundary": "wrap"}), ("(circular)", (IMG, KER), {"boundary": "circular"}),
          ("(symm, same)", (IMG, KER), {"boundary": "symm", "mode": "same"}),
          ("(symmetric, big kernel)", (KER, IMG), {"boundary": "symmetric"}),
          ("(valid, swapped)", (KER, IMG), {"mode": "valid"}),
          ("(float32)", (IMG.astype(np.float32), KER.astype(np.float32)), {}),
          ("(empty kernel)", (IMG, np.ones((0, 2))), {}),
          ("(nan fill)", (IMG, KER), {"fillvalue": np.nan})]],
    # a documented difference: integers compute in float64 and stay float64 (SciPy: int64)
    *[Case(f"{name}(ints)", getattr(fm, name), f"scipy.signal.{name}",
           (np.arange(12).reshape(3, 4), np.ones((2, 2), int)), check_dtype=False)
      for name in ("correlate2d", "convolve2d")],
    *[Case(f"{name}{label}", getattr(fm, name), f"scipy.signal.{name}", args, kw, raises=True)
      for name in ("correlate2d", "convolve2d")
      for label, args, kw in [
          ("(valid, neither larger)", (np.ones((2, 5)), np.ones((5, 2))), {"mode": "valid"}),
          ("(1-D)", (np.ones(3), np.ones(2)), {}), ("(bad mode)", (IMG, KER), {"mode": "x"}),
          ("(bad boundary)", (IMG, KER), {"boundary": "x"})]],
]

Z = RNG.standard_normal((7, 4)) * 3 + 1
Z_NAN = Z.copy()
Z_NAN[2, 1] = np.nan
SCIPY_STATS += [
    *[Case(f"zscore{label}", fm.stats.zscore, "scipy.stats.zscore", args, kw)
      for label, args, kw in [
          ("()", (Z,), {}), ("(axis=1, ddof=1)", (Z,), {"axis": 1, "ddof": 1}),
          ("(axis=None)", (Z,), {"axis": None}), ("(float32)", (Z.astype(np.float32),), {}),
          ("(constant)", ([5.0, 5.0, 5.0],), {}), ("(denormal spread)", ([1e-320, 2e-320, 3e-320],), {}),
          ("(huge)", ([1e200, 2e200, 3e200],), {}), ("(nan)", (Z_NAN,), {}),
          ("(nan omit)", (Z_NAN,), {"nan_policy": "omit"}), ("(one value)", ([1.0],), {}),
          ("(empty)", (np.ones((0, 3)),), {})]],
    Case("zscore(nan raise)", fm.stats.zscore, "scipy.stats.zscore", (Z_NAN,),
         {"nan_policy": "raise"}, raises=True),
    *[Case(f"median_abs_deviation{label}", fm.stats.median_abs_deviation,
           "scipy.stats.median_abs_deviation", args, kw)
      for label, args, kw in [
          ("()", (Z,), {}), ("(axis=1)", (Z,), {"axis": 1}), ("(axis=None)", (Z,), {"axis": None}),
          ("(normal)", (Z,), {"scale": "normal"}), ("(scale=2)", (Z,), {"scale": 2.0}),
          ("(center=mean)", (Z,), {"center": np.mean}), ("(keepdims)", (Z,), {"keepdims": True}),
          ("(1-D)", ([1.0, 2.0, 3.0, 10.0],), {}), ("(nan)", (Z_NAN,), {}),
          ("(nan omit)", (Z_NAN,), {"nan_policy": "omit"}), ("(empty)", (np.ones((0, 3)),), {})]],
]

YB = RNG.random(200) < 0.3
SB = np.round(RNG.random(200) + 0.3 * YB, 2)
WB = RNG.random(200)
YC = RNG.integers(0, 3, 200)
PC = RNG.random((200, 3))
PC /= PC.sum(axis=1, keepdims=True)
YM, SM = RNG.random((200, 4)) < 0.4, RNG.random((200, 4))


def _sk(name):
    return f"sklearn.metrics.{name}"


SKLEARN_METRICS = [
    *[Case(f"{name}{label}", getattr(fm.metrics, name), _sk(name), args, kw)
      for name in ("roc_auc_score", "average_precision_score")
      for label, args, kw in [
          ("()", (YB, SB), {}), ("(weights)", (YB, SB), {"sample_weight": WB}),
          ("(labels {2, 3})", (YB + 2, SB), {"pos_label": 3} if name[0] == "a" else {}),
          ("(strings)", (np.where(YB, "b", "a"), SB), {"pos_label": "b"} if name[0] == "a" else {}),
          ("(float32 scores)", (YB, SB.astype(np.float32)), {}),
          ("(multilabel)", (YM, SM), {}), ("(multilabel micro)", (YM, SM), {"average": "micro"}),
          ("(multilabel None)", (YM, SM), {"average": None}),
          ("(multilabel weighted)", (YM, SM), {"average": "weighted"})]],
    *[Case(f"roc_auc_score{label}", fm.metrics.roc_auc_score, _sk("roc_auc_score"), args, kw)
      for label, args, kw in [
          ("(one class)", ([1, 1, 1], [0.1, 0.2, 0.3]), {}),
          ("(max_fpr)", (YB, SB), {"max_fpr": 0.3}),
          ("(ovr)", (YC, PC), {"multi_class": "ovr"}), ("(ovo)", (YC, PC), {"multi_class": "ovo"}),
          ("(ovr weighted)", (YC, PC), {"multi_class": "ovr", "average": "weighted"}),
          ("(ovr None)", (YC, PC), {"multi_class": "ovr", "average": None}),
          ("(ovr labels)", (YC, PC), {"multi_class": "ovr", "labels": [0, 1, 2]}),
          ("(ovr weights)", (YC, PC), {"multi_class": "ovr", "sample_weight": WB})]],
    *[Case(f"roc_auc_score{label}", fm.metrics.roc_auc_score, _sk("roc_auc_score"), args, kw,
           raises=True)
      for label, args, kw in [
          ("(multiclass, no multi_class)", (YC, PC), {}),
          ("(ovo weights)", (YC, PC), {"multi_class": "ovo", "sample_weight": WB}),
          ("(not probabilities)", (YC, PC * 2), {"multi_class": "ovr"}),
          ("(nan labels)", ([0.0, 1.0, np.nan], [0.1, 0.2, 0.3]), {}),
          ("(continuous labels)", ([0.5, 1.5, 2.5], [0.1, 0.2, 0.3]), {}),
          ("(nan scores)", ([0, 1, 1], [0.1, np.nan, 0.3]), {}),
          ("(weights of another length)", (YB, SB), {"sample_weight": WB[:10]}),
          ("(2-D weights)", (YB, SB), {"sample_weight": WB[:, None].repeat(2, 1)}),
          ("(string weights)", (YB, SB), {"sample_weight": np.array(["a"] * 200)}),
          ("(max_fpr=0)", (YB, SB), {"max_fpr": 0.0}), ("(bad average)", (YB, SB), {"average": "x"}),
          ("(mixed labels)", (np.array([0, "a", 1], dtype=object), [0.1, 0.2, 0.3]), {}),
          ("(empty)", ([], []), {})]],
    *[Case(f"average_precision_score{label}", fm.metrics.average_precision_score,
           _sk("average_precision_score"), args, kw, raises=True)
      for label, args, kw in [
          ("(absent pos_label)", ([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]), {"pos_label": 2}),
          ("(multiclass pos_label)", (YC, PC), {"pos_label": 2}),
          ("(nan scores)", ([0, 1, 1], [0.1, np.nan, 0.3]), {})]],
    Case("average_precision_score(multiclass)", fm.metrics.average_precision_score,
         _sk("average_precision_score"), (YC, PC)),
    *[Case(f"{name}{label}", getattr(fm.metrics, name), _sk(name), args, kw)
      for name in ("roc_curve", "precision_recall_curve")
      for label, args, kw in [
          ("()", (YB, SB), {}), ("(weights)", (YB, SB), {"sample_weight": WB}),
          ("(drop_intermediate)", (YB, SB), {"drop_intermediate": True}),
          ("(keep all)", (YB, SB), {"drop_intermediate": False}),
          ("(pos_label)", (YB + 2, SB), {"pos_label": 2}),
          ("(float32)", (YB, SB.astype(np.float32)), {}),
          ("(no positives)", ([0, 0, 0], [0.1, 0.2, 0.3]), {}),
          ("(ints)", (YB, (SB * 10).astype(int)), {})]],
    *[Case(f"{name}{label}", getattr(fm.metrics, name), _sk(name), args, kw, raises=True)
      for name in ("roc_curve", "precision_recall_curve")
      for label, args, kw in [
          ("(strings without pos_label)", (np.where(YB, "b", "a"), SB), {}),
          ("(multiclass)", (YC, SB), {})]],
]

TABLE = SCIPY_SPECIAL + SCIPY_STATS + SCIPY_SIGNAL + SKLEARN_METRICS


@pytest.mark.parametrize("case", TABLE, ids=str)
def test_drop_in_agrees_with_its_peer(case):
    check(case)


# (ours, the peer's import path, {our parameter: the peer's name}) for classes whose
# parameters share their meaning: every shared default must be the peer's.
DEFAULTS = [
    ("fastmath.linear_model.SGDClassifier", "sklearn.linear_model.SGDClassifier", {}),
    ("fastmath.linear_model.SGDRegressor", "sklearn.linear_model.SGDRegressor", {}),
    ("fastmath.recommend.ALS", "implicit.cpu.als.AlternatingLeastSquares", {}),
    ("fastmath.recommend.SGDMF", "surprise.SVD",
     {"factors": "n_factors", "epochs": "n_epochs", "learning_rate": "lr_all",
      "regularization": "reg_all", "init_std": "init_std_dev"}),
    *[(f"fastmath.optim.{name}", f"torch.optim.{name}", {})
      for name in ("SGD", "Adam", "AdamW", "Adagrad", "RMSprop")],
    ("fastmath.optim.StepLR", "torch.optim.lr_scheduler.StepLR", {}),
    ("fastmath.optim.CosineAnnealingLR", "torch.optim.lr_scheduler.CosineAnnealingLR", {}),
]


@pytest.mark.parametrize("ours, peer, names", DEFAULTS, ids=[d[0] for d in DEFAULTS])
def test_defaults_are_the_peers(ours, peer, names):
    import inspect

    from conformance import resolve

    ours_cls, peer_cls = resolve(ours), resolve(peer)
    mine = {k: p.default for k, p in inspect.signature(ours_cls).parameters.items()
            if p.default is not inspect.Parameter.empty}
    theirs = {k: p.default for k, p in inspect.signature(peer_cls).parameters.items()
              if p.default is not inspect.Parameter.empty}
    shared = {k: names.get(k, k) for k in mine if names.get(k, k) in theirs}
    assert shared, f"no shared parameters between {ours} and {peer}"
    for k, their_name in shared.items():
        if k in ("num_threads", "n_jobs", "random_state", "verbose"):
            continue  # thread counts and seeds: our defaults are our thread policy
        assert mine[k] == theirs[their_name], \
            f"{k}: {mine[k]!r} here, {theirs[their_name]!r} in {peer}"
