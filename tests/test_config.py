import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

import fastmath as fm
from fastmath._config import jit as _jit

SRC = pathlib.Path(fm.__file__).resolve().parent


def test_threads_roundtrip():
    n = fm.get_num_threads()
    try:
        fm.set_num_threads(1)
        assert fm.get_num_threads() == 1
    finally:
        fm.set_num_threads(n)
    assert fm.get_num_threads() == n


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (10_000, ValueError), (1.5, TypeError),
                                      (True, TypeError), ("2", TypeError)])
def test_set_num_threads_rejects(bad, exc):
    with pytest.raises(exc, match="n must"):
        fm.set_num_threads(bad)


def test_threading_layer_is_threadsafe():
    assert fm.threading_layer() in ("tbb", "omp")


def test_flags_exclude_nnan_ninf():
    assert not {"nnan", "ninf", "fast"} & _jit.FASTMATH_FLAGS
    assert "reassoc" not in _jit.FASTMATH_FLAGS_ORDERED


def test_no_kernel_sets_its_own_flags():
    """Flags, caching and parallelism come from _config.jit only (as stumpy enforces)."""
    offenders = []
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        if path.name == "jit.py" and path.parent.name == "_config":
            continue
        if re.search(r"fastmath\s*=\s*True|numba\.njit|@njit|from numba import .*njit", text):
            offenders.append(path.name)
    assert offenders == []


def _run(code, env, **kw):
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300, **kw)


def test_cache_respects_numba_cache_dir(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    code = "import numpy as np, fastmath as fm; print(fm.softmax(np.ones((2, 3)), axis=1)[0, 0])"
    proc = _run(code, env)
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout) == pytest.approx(1 / 3)
    assert list(tmp_path.rglob("*.nbi")), "numba wrote no cache index to NUMBA_CACHE_DIR"


def test_cache_works_from_read_only_package(tmp_path):
    """A read-only install falls back to a writable cache directory.

    The copy is made read-only with chmod; since root ignores permissions,
    os.access is also made to answer "not writable" for it, which is what a
    read-only mount would answer.
    """
    pkg = tmp_path / "site" / "fastmath"
    shutil.copytree(SRC, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    for path in [*pkg.rglob("*"), pkg]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME")}
    env.update(PYTHONPATH=str(tmp_path / "site"), HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
    code = f"""
import os
_access = os.access
os.access = lambda p, mode, *a, **k: (False if str(p).startswith({str(pkg)!r}) and mode & os.W_OK
                                      else _access(p, mode, *a, **k))
import numpy as np, fastmath as fm
from fastmath._config import cache
assert fm.__file__.startswith({str(pkg)!r})
print(fm.softmax(np.ones((2, 3)), axis=1)[0, 0])
print(cache.cache_dir())
"""
    proc = _run(code, env)
    assert proc.returncode == 0, proc.stderr
    value, cache_dir = proc.stdout.split()
    assert float(value) == pytest.approx(1 / 3)
    assert pathlib.Path(cache_dir).is_relative_to(home)
    assert list(pathlib.Path(cache_dir).rglob("*.nbi")), "no cache written to the fallback directory"


def test_thread_limit_sets_and_restores():
    before = fm.get_num_threads()
    with fm.thread_limit(1):
        assert fm.get_num_threads() == 1
    assert fm.get_num_threads() == before
    with fm.thread_limit(0):
        assert fm.get_num_threads() == before
    with fm.thread_limit(10_000):
        assert fm.get_num_threads() == fm.max_threads()
    with pytest.raises(ValueError, match="n must"):
        with fm.thread_limit(-1):
            pass
    with pytest.raises(TypeError, match="n must"):
        with fm.thread_limit(1.5):
            pass


_REUSE_CODE = """
import resource, numpy as np
import fastmath.linalg  # imports the kernels, and with them the allocator setting
from fastmath._config.memory import malloc_tuned
np.ones(2**20 // 8)  # glibc maps 1 MB apart; its free sets the thresholds near 1 and 2 MB
faults = []
for _ in range(6):  # a call's temporaries: several at once, each below that size
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    buffers = [np.ones(900 * 1024 // 8) for _ in range(8)]
    del buffers
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(malloc_tuned(), max(faults[2:]))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux")
                    or __import__("platform").libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_freed_temporaries_are_reused_without_page_faults():
    # with glibc's own thresholds the 7 MB freed at the top of the heap go back
    # to the system, and every round faults them in again (about 1,800 pages)
    proc = _run(_REUSE_CODE, {**os.environ, "FASTMATH_MALLOC_TUNING": "1"})
    assert proc.returncode == 0, proc.stderr
    tuned, faults = proc.stdout.split()
    assert tuned == "True" and int(faults) < 20, proc.stdout
    proc = _run(_REUSE_CODE, {**os.environ, "FASTMATH_MALLOC_TUNING": "0"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "False"
