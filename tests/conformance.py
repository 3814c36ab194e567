"""The conformance layer: fastmath's drop-ins side by side with their peers.

One table of cases, numbagg-style: each :class:`Case` names our function,
the peer's (by import path, skipped cleanly when the peer is missing), the
arguments, and how to compare. ``tests/test_conformance.py`` runs the table:
the results must agree in value, shape, dtype and kind (NumPy scalar or
array), the peer's warnings (other than NumPy's floating-point
RuntimeWarnings) must be raised too, and a call the peer refuses must be
refused with the same kind of exception.
"""
from __future__ import annotations

import importlib
import os
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest


@dataclass
class Case:
    """One call of a drop-in and of its peer.

    ``ours`` is a callable, ``peer`` an import path ("scipy.special.softmax")
    or a callable. ``args``/``kwargs`` are passed to both (``peer_kwargs``
    adds or overrides keywords for the peer only). ``rtol``/``atol`` compare
    floats; ``check_dtype`` compares result dtypes; ``raises`` says the peer
    is expected to raise (checked, so the table cannot rot silently).
    """

    name: str
    ours: Callable
    peer: object
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    peer_kwargs: dict = field(default_factory=dict)
    rtol: float | None = None  # default: 1e-12 for float64 results, 2e-6 for float32
    atol: float | None = None
    check_dtype: bool = True
    raises: bool = False

    def __str__(self):
        return self.name


def resolve(path):
    """The peer callable, or ``pytest.skip`` when its library is not installed."""
    if callable(path):
        return path
    module, _, attr = path.rpartition(".")
    try:
        obj = importlib.import_module(module)
    except ImportError as exc:
        if os.environ.get("FASTMATH_REQUIRE_PEERS") == "1":  # CI: a missing peer is a failure
            pytest.fail(f"peer {module} not installed: {exc}")
        pytest.skip(f"peer {module} not installed: {exc}")
    return getattr(obj, attr)


def _call(fn, args, kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - compared below
            return None, exc, [w.category for w in caught]
    return result, None, [w.category for w in caught]


def assert_same(ours, theirs, case: Case, path="result"):
    """Values, shapes, dtypes and scalar-or-array kind agree (recursively for tuples)."""
    if hasattr(theirs, "statistic") and hasattr(theirs, "pvalue"):
        for name in ("statistic", "pvalue", "df"):
            if hasattr(theirs, name):
                assert_same(getattr(ours, name), getattr(theirs, name), case, f"{path}.{name}")
        if hasattr(theirs, "confidence_interval"):
            assert_same(tuple(ours.confidence_interval()), tuple(theirs.confidence_interval()),
                        case, f"{path}.confidence_interval()")
        return
    if isinstance(theirs, (tuple, list)) and not isinstance(theirs, np.ndarray):
        assert isinstance(ours, (tuple, list)), f"{case}: {path} is {type(ours).__name__}"
        assert len(ours) == len(theirs), f"{case}: {path} has {len(ours)} items, peer {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, case, f"{path}[{i}]")
        return
    if isinstance(theirs, (np.ndarray, np.generic)) or np.isscalar(theirs):
        assert isinstance(ours, np.ndarray) == isinstance(theirs, np.ndarray), (
            f"{case}: {path} is {type(ours).__name__}, the peer's is {type(theirs).__name__}")
        a, b = np.asarray(ours), np.asarray(theirs)
        assert a.shape == b.shape, f"{case}: {path} shape {a.shape}, peer {b.shape}"
        if case.check_dtype:
            assert a.dtype == b.dtype, f"{case}: {path} dtype {a.dtype}, peer {b.dtype}"
        if a.dtype.kind in "fc" or b.dtype.kind in "fc":
            single = np.float32 in (a.dtype, b.dtype)
            rtol = case.rtol if case.rtol is not None else (2e-6 if single else 1e-12)
            atol = case.atol if case.atol is not None else (2e-7 if single else 1e-14)
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True,
                                       err_msg=f"{case}: {path}")
        else:
            np.testing.assert_array_equal(a, b, err_msg=f"{case}: {path}")
        return
    assert ours == theirs, f"{case}: {path} is {ours!r}, peer {theirs!r}"


def check(case: Case) -> None:
    """Run one case against its peer."""
    peer = resolve(case.peer)
    theirs, their_exc, their_warnings = _call(peer, case.args,
                                              {**case.kwargs, **case.peer_kwargs})
    ours, our_exc, our_warnings = _call(case.ours, case.args, case.kwargs)
    if their_exc is not None:
        assert case.raises, f"{case}: the peer raised {their_exc!r}; mark the case raises=True"
        assert our_exc is not None, f"{case}: the peer raised {their_exc!r}, we returned {ours!r}"
        assert _same_family(our_exc, their_exc), (
                f"{case}: the peer raised {type(their_exc).__name__}, we raised "
                f"{type(our_exc).__name__}: {our_exc}")
        return
    assert not case.raises, f"{case}: expected the peer to raise, it returned {theirs!r}"
    assert our_exc is None, f"{case}: the peer returned {theirs!r}, we raised {our_exc!r}"
    # NumPy's floating-point RuntimeWarnings are incidental; the others are documented behaviour
    for category in set(their_warnings) - {RuntimeWarning}:
        assert any(issubclass(c, category) or issubclass(category, c) for c in our_warnings), (
            f"{case}: the peer warned {category.__name__}, we warned {our_warnings}")
    assert_same(ours, theirs, case)


def _same_family(ours: Exception, theirs: Exception) -> bool:
    """Exceptions of the same family: one a subclass of the other (AxisError is a ValueError)."""
    return isinstance(ours, type(theirs)) or isinstance(theirs, type(ours))
