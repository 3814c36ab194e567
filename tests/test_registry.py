"""The kernel registry: every public name is registered, and every row works."""
import importlib
import warnings

import numpy as np
import pytest

import fastmath
from fastmath import _registry

# Public names that are not kernels: configuration, base classes, result types.
NOT_KERNELS = {
    "fastmath": {"get_num_threads", "max_threads", "set_num_threads", "thread_limit",
                 "threading_layer", "set_compile_notice", "warmup"},
    "optim": {"Optimizer", "LRSchedule"},
    "stats": {"TtestResult"},
}


def _public(package):
    module = importlib.import_module(f"fastmath.{package}") if package != "fastmath" else fastmath
    return set(module.__all__) - NOT_KERNELS.get(package, set())


@pytest.mark.parametrize("package", ["fastmath", *_registry.FAMILIES])
def test_every_public_name_is_registered(package):
    missing = {name for name in _public(package) if name not in _registry.REGISTRY}
    assert not missing, f"public names of {package} missing from the registry: {sorted(missing)}"


def test_registry_rows_point_at_public_objects():
    for kernel in _registry.REGISTRY.values():
        module = importlib.import_module(f"fastmath.{kernel.family}")
        assert kernel.name in module.__all__, kernel.qualname
        assert kernel.resolve() is getattr(module, kernel.name)


def test_top_level_lazy_names_match_the_families():
    for family in ("conv", "linalg"):
        module = importlib.import_module(f"fastmath.{family}")
        assert set(module.__all__) <= set(fastmath.__all__)
        for name in module.__all__:
            assert getattr(fastmath, name) is getattr(module, name)


@pytest.mark.parametrize("name", sorted(_registry.REGISTRY))
def test_every_example_runs_for_each_dtype(name):
    kernel = _registry.get(name)
    for dtype in kernel.dtypes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = kernel.example(dtype)
        assert result is not None


def test_select_rejects_unknown_names_and_lists_valid_ones():
    with pytest.raises(ValueError, match="unknown kernel 'nope'.*softmax"):
        _registry.select(names=["nope"])
    with pytest.raises(ValueError, match="unknown family 'matrix'.*linalg"):
        _registry.select(families=["matrix"])
    assert [k.name for k in _registry.select(families=["linalg"], names=["softmax"])] == ["softmax"]


def test_families_are_package_names():
    for family in _registry.FAMILIES:
        assert importlib.import_module(f"fastmath.{family}")


@pytest.mark.parametrize("name", sorted(k.name for k in _registry.REGISTRY.values()
                                        if k.sweep is not None))
def test_sweeps_build_working_calls(name):
    kernel = _registry.get(name)
    for n in (1, 64):
        ours, peers = kernel.sweep(n, "float64", np.random.default_rng(0))
        ours()
        for peer in peers.values():
            peer()


def _documented_methods(cls):
    for name, method in vars(cls).items():
        if not name.startswith("_") and callable(method) and name not in ("get_params",
                                                                          "set_params"):
            yield name, method


@pytest.mark.parametrize("name", sorted(_registry.REGISTRY))
def test_every_public_name_has_a_full_docstring(name):
    """Parameters, Returns and a runnable Example (the doctests run them) for each kernel;
    Parameters and Returns for the public methods a class defines."""
    import inspect

    obj = _registry.get(name).resolve()
    doc = inspect.getdoc(obj) or ""
    wanted = ("Parameters", "Examples") if inspect.isclass(obj) else \
        ("Parameters", "Returns", "Examples")
    assert all(f"{s}\n---" in doc for s in wanted), f"{name}: needs {wanted}"
    if inspect.isclass(obj):
        for klass in obj.__mro__:
            if not klass.__module__.startswith("fastmath"):
                continue
            for method_name, method in _documented_methods(klass):
                method_doc = inspect.getdoc(getattr(obj, method_name)) or ""
                takes = [p for p in inspect.signature(method).parameters if p != "self"]
                need = ("Parameters", "Returns") if takes else ("Returns",)
                assert all(f"{s}\n---" in method_doc for s in need), \
                    f"{name}.{method_name}: needs {need}"
