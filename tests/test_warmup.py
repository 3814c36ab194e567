"""Cold start: warmup in a process pool, the cache, the first-compile notice, lazy import."""
import os
import pickle
import subprocess
import sys
import textwrap

import pytest

import fastmath as fm
from fastmath import _warmup
from fastmath._config import cache


def _run(code, timeout=900, **env):
    full = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=full,
                          capture_output=True, text=True, timeout=timeout)


def _cli(*args, **env):
    full = {**os.environ, **env}
    return subprocess.run([sys.executable, "-m", "fastmath", *args], env=full,
                          capture_output=True, text=True, timeout=900)


def test_warmup_compiles_every_registry_kernel_for_each_dtype():
    report = fm.warmup(progress=False)
    expected = {_warmup.unit_name(k, d) for k, d in _warmup.units()}
    assert set(report) == expected | {"total"}
    # now every example runs without compiling anything: each unit is in memory or the cache
    with _warmup.load_only():
        for kernel, dtype in _warmup.units():
            _warmup._run_example(kernel, dtype)


def test_load_only_raises_for_a_missing_kernel(tmp_path):
    proc = _run("""
        import numpy as np
        from fastmath import _warmup
        import fastmath as fm
        try:
            with _warmup.load_only():
                fm.softmax(np.ones(3))
        except _warmup.WouldCompile as exc:
            print("would compile:", exc)
    """, NUMBA_CACHE_DIR=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("would compile: fastmath.linalg._kernels.softmax_rows")


def test_parallel_warmup_then_everything_loads_without_compiling(tmp_path):
    """Two workers on an empty cache; a fresh process then loads every unit from the cache.

    This is also the README's recipe for shipping a warm cache: warm it at
    build time, copy the directory (an image layer, a CI cache), point
    NUMBA_CACHE_DIR at the copy.
    """
    import shutil

    built = tmp_path / "built"
    proc = _cli("warmup", "--jobs", "2", "--family", "linalg", "--family", "stats",
                "--no-progress", NUMBA_CACHE_DIR=str(built))
    assert proc.returncode == 0, proc.stderr
    assert "total:" in proc.stdout
    shipped = tmp_path / "image" / "fastmath-cache"
    shutil.copytree(built, shipped)
    shutil.rmtree(built)
    env = dict(NUMBA_CACHE_DIR=str(shipped))
    check = _run("""
        from fastmath import _warmup
        with _warmup.load_only():
            for kernel, dtype in _warmup.units(["linalg", "stats"]):
                _warmup._run_example(kernel, dtype)
        print("all loaded")
    """, **env)
    assert check.returncode == 0, check.stderr
    assert "all loaded" in check.stdout


def test_merge_renumbers_entries_of_separate_writers(tmp_path):
    """Two caches that both numbered their entry 1 merge into one index with both entries."""
    base = "mod.kern-10.py311"
    version = "0.68.1"
    for n, key in ((1, "key-a"), (2, "key-b")):
        d = tmp_path / f"w{n}" / "linalg"
        d.mkdir(parents=True)
        (d / f"{base}.1.nbc").write_bytes(key.encode())
        (d / f"{base}.nbi").write_bytes(pickle.dumps(version) +
                                        pickle.dumps(("stamp", {key: f"{base}.1.nbc"})))
    dest = tmp_path / "dest"
    added = cache.merge([tmp_path / "w1", tmp_path / "w2"], dest)
    assert added == 2
    version_read, stamp, overloads = cache._read_index(dest / "linalg" / f"{base}.nbi")
    assert (version_read, stamp) == (version, "stamp")
    assert sorted(overloads.values()) == [f"{base}.1.nbc", f"{base}.2.nbc"]
    for key, name in overloads.items():
        assert (dest / "linalg" / name).read_bytes() == key.encode()
    assert cache.merge([tmp_path / "w1"], dest) == 0  # already there


def test_warmup_help_prints_help():
    proc = _cli("warmup", "--help")
    assert proc.returncode == 0
    assert "--jobs" in proc.stdout and "--family" in proc.stdout and "--list" in proc.stdout


def test_warmup_list_and_filters():
    proc = _cli("warmup", "--list", "--kernel", "softmax")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["softmax[float32]", "linalg", "softmax[float64]", "linalg"]
    bad = _cli("warmup", "--kernel", "nope")
    assert bad.returncode == 2 and "unknown kernel 'nope'" in bad.stderr


def test_cache_info_and_clear(tmp_path):
    env = dict(NUMBA_CACHE_DIR=str(tmp_path))
    _run("import numpy as np, fastmath as fm; fm.softmax(np.ones(3))", **env)
    info = _cli("cache", "--info", **env)
    assert info.returncode == 0, info.stderr
    versioned = tmp_path / cache.version_tag()
    assert str(versioned) in info.stdout
    assert any(versioned.rglob("*.nbc"))
    stale = tmp_path / "fastmath-0.0.1-numba-0.50.0"
    stale.mkdir()
    assert "other version" in _cli("cache", **env).stdout
    cleared = _cli("cache", "--clear", "--all", **env)
    assert cleared.returncode == 0 and not versioned.exists() and not stale.exists()


def test_cache_path_names_both_versions_and_not_the_install_location():
    import numba

    path = cache.cache_dir()
    assert path.name == f"fastmath-{fm.__version__}-numba-{numba.__version__}"
    from fastmath.linalg import _kernels

    located = _kernels.softmax_rows._cache._cache_path
    assert located == str(path / "linalg")


def test_source_stamp_changes_with_a_helper(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg"
    (pkg / "_config").mkdir(parents=True)
    (pkg / "_config" / "jit.py").write_text("FASTMATH_FLAGS = 1\n")
    (pkg / "helper.py").write_text("@jit\ndef h(x):\n    return x\n")
    (pkg / "plain.py").write_text("VALUE = 1\n")
    kernel = pkg / "kernel.py"
    kernel.write_text("from .helper import h\nfrom .plain import VALUE\nfrom ._config.jit import jit\n")
    monkeypatch.setattr(cache, "PACKAGE_DIR", pkg.resolve())
    cache.source_stamp.cache_clear()
    before = cache.source_stamp(str(kernel))
    (pkg / "plain.py").write_text("VALUE = 2\n")  # no compiled code: not part of the stamp
    cache.source_stamp.cache_clear()
    assert cache.source_stamp(str(kernel)) == before
    (pkg / "helper.py").write_text("@jit\ndef h(x):\n    return x + 1\n")
    cache.source_stamp.cache_clear()
    assert cache.source_stamp(str(kernel)) != before
    # a module of LLVM IR helpers (no decorator) reaches the intrinsics that import it
    (pkg / "ir_helpers.py").write_text("from llvmlite import ir\nWIDTH = 8\n")
    (pkg / "helper.py").write_text("from .ir_helpers import WIDTH\n@jit\ndef h(x):\n    return x\n")
    cache.source_stamp.cache_clear()
    before = cache.source_stamp(str(kernel))
    (pkg / "ir_helpers.py").write_text("from llvmlite import ir\nWIDTH = 16\n")
    cache.source_stamp.cache_clear()
    assert cache.source_stamp(str(kernel)) != before
    cache.source_stamp.cache_clear()


NOTICE = """
    import logging, numpy as np
    logging.basicConfig(level=logging.INFO, format="LOG %(name)s %(message)s")
    from fastmath._config import notice
    notice.DELAY_S = 0.0
    import fastmath as fm
    fm.softmax(np.ones((3, 3), np.float32))
    fm.logsumexp(np.ones((3, 3), np.float32))
"""


def test_first_compile_is_announced_once(tmp_path):
    proc = _run(NOTICE, NUMBA_CACHE_DIR=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("LOG fastmath")]
    assert lines == ["LOG fastmath fastmath: compiling the linalg kernels for float32 "
                     "(first use; cached afterwards)"]
    again = _run(NOTICE, NUMBA_CACHE_DIR=str(tmp_path))  # cached now: nothing to say
    assert "compiling" not in again.stderr


def test_first_compile_notice_can_be_silenced(tmp_path):
    proc = _run(NOTICE, NUMBA_CACHE_DIR=str(tmp_path), FASTMATH_COMPILE_NOTICE="0")
    assert proc.returncode == 0, proc.stderr
    assert "compiling" not in proc.stderr
    with pytest.raises(TypeError):
        fm.set_compile_notice("no")


def test_import_is_lazy():
    proc = _run("""
        import sys, fastmath
        assert "numba" not in sys.modules, "numba imported by 'import fastmath'"
        assert "fastmath.linalg" not in sys.modules
        names = dir(fastmath)
        assert "softmax" in names and "recommend" in names and "set_num_threads" in names
        fastmath.softmax
        assert "numba" in sys.modules
        from fastmath import *
        print(len(fastmath.__all__))
    """)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) == len(fm.__all__)


def test_load_only_refuses_compiles_of_its_own_thread_only():
    import threading

    from fastmath._config.jit import jit
    from fastmath._warmup import WouldCompile, load_only

    def make():
        @jit(cache=False)
        def twice(x):
            return 2 * x
        twice.py_func.__module__ = "fastmath.test_probe"  # the guard watches fastmath's kernels
        return twice

    other, mine, result = make(), make(), []
    with load_only():
        worker = threading.Thread(target=lambda: result.append(other(21)))
        worker.start()
        worker.join()
        with pytest.raises(WouldCompile):
            mine(21)
    assert result == [42]


def test_kernels_made_by_factories_load_from_the_cache_in_a_new_process(tmp_path):
    """The Winograd weight gradients are closures over other kernels: a second
    process loads them instead of compiling them again (numba's own cache key
    pickles a dispatcher with a per-process UUID)."""
    code = """
        from contextlib import nullcontext
        import numpy as np
        import fastmath as fm
        from fastmath import _warmup
        rng = np.random.default_rng(0)
        x = rng.standard_normal((8, 16, 32, 32)).astype(np.float32)
        with _warmup.load_only() if {check} else nullcontext():
            for k, stride in ((16, 1), (32, 2)):  # F(4x4, 3x3) and the stride-2 kernels
                w = rng.standard_normal((k, 16, 3, 3)).astype(np.float32)
                out = fm.conv2d(x, w, stride=stride, padding=1)
                fm.conv2d_backward(np.ones_like(out), x, w, stride=stride, padding=1)
        print("done")
    """
    first = _run(code.format(check=False), NUMBA_CACHE_DIR=str(tmp_path))
    assert first.returncode == 0, first.stderr
    entries = sorted(p.name for p in tmp_path.rglob("*weight_grad_parts*.nbc"))
    assert len(entries) == 2, entries  # both layers took a Winograd weight gradient
    second = _run(code.format(check=True), NUMBA_CACHE_DIR=str(tmp_path))
    assert second.returncode == 0, second.stderr
    assert "done" in second.stdout
    assert sorted(p.name for p in tmp_path.rglob("*weight_grad_parts*.nbc")) == entries
