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

TABLE = SCIPY_SPECIAL + SCIPY_STATS + SCIPY_SIGNAL


@pytest.mark.parametrize("case", TABLE, ids=str)
def test_drop_in_agrees_with_its_peer(case):
    check(case)
