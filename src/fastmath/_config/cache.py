"""Where compiled kernels are cached, and why the cache cannot go stale.

The cache of fastmath's kernels lives in one directory per fastmath and numba
version, ``<root>/fastmath-<version>-numba-<version>/``, laid out like the
package (``linalg/``, ``conv/``, ...), so that:

* an upgrade of either never loads code compiled from older sources;
* the path does not depend on where the package is installed, so a cache
  built once (a Docker image, a CI cache, asv's per-commit environments) can
  be copied and reused; numba's index keys add the CPU, so a copy made on
  another CPU is simply not used;
* an entry is stamped with a hash of its module's source *and* of the
  fastmath modules it imports compiled code from, so a change to a shared
  helper recompiles the kernels that inline it (numba's own stamp covers
  the module's file only);
* a kernel that a factory builds from other kernels (a closure over their
  dispatchers) is keyed the same way in every process (:func:`_cell_key`),
  so it loads from the cache like any other.

The root is ``NUMBA_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/fastmath``,
else ``~/.cache/fastmath``, else a per-user temporary directory: the first one
that is writable.
"""
from __future__ import annotations

import ast
import hashlib
import os
import re
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from .._version import __version__

PACKAGE_DIR = Path(__file__).resolve().parents[1]
# A module whose code can end up inside a compiled kernel: it defines kernels,
# intrinsics or overloads, the compile flags, or LLVM IR that intrinsics emit.
_COMPILED_CODE = re.compile(rb"^\s*@(jit|jit_parallel|intrinsic|overload)\b|^FASTMATH_FLAGS\s*="
                            rb"|^from llvmlite import ir\b", re.MULTILINE)


def _candidate_roots():
    explicit = os.environ.get("NUMBA_CACHE_DIR")
    if explicit:
        return [Path(explicit)]
    roots = []
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        roots.append(Path(xdg) / "fastmath")
    home = os.environ.get("HOME")
    if home:
        roots.append(Path(home) / ".cache" / "fastmath")
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    roots.append(Path(tempfile.gettempdir()) / f"fastmath-cache-{uid}")
    return roots


def version_tag() -> str:
    """``fastmath-<version>-numba-<version>``: the versioned part of the cache path."""
    import numba

    return f"fastmath-{__version__}-numba-{numba.__version__}"


@lru_cache(maxsize=None)
def cache_dir() -> Path | None:
    """The versioned cache directory in use (created if needed), or None if none is writable."""
    for root in _candidate_roots():
        path = root / version_tag()
        try:
            path.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=path).close()
        except OSError:
            continue
        return path
    return None


def _module_file(current: Path, level: int, module: str | None) -> list[Path]:
    """Files a relative import ``from <level dots><module> import ...`` may refer to."""
    base = current.parent
    for _ in range(level - 1):
        base = base.parent
    target = base.joinpath(*module.split(".")) if module else base
    found = [p for p in (target.with_suffix(".py"), target / "__init__.py") if p.is_file()]
    return found


def _imported_modules(path: Path) -> list[Path]:
    """fastmath modules imported by ``path`` (relative imports, and names imported from packages)."""
    tree = ast.parse(path.read_text())
    files = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            found = _module_file(path, node.level, node.module)
            files.extend(found)
            for alias in node.names:  # ``from . import _kernels``
                files.extend(_module_file(path, node.level,
                                          f"{node.module}.{alias.name}" if node.module
                                          else alias.name))
    return [f.resolve() for f in files if f.resolve().is_relative_to(PACKAGE_DIR)]


@lru_cache(maxsize=None)
def source_stamp(path: str) -> str:
    """Hash of ``path`` and of every fastmath module it imports compiled code from, transitively."""
    start = Path(path).resolve()
    seen, todo, digest = set(), [start], hashlib.sha256()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        text = current.read_bytes()
        if current == start or _COMPILED_CODE.search(text):
            digest.update(str(current.relative_to(PACKAGE_DIR)).encode() + b"\0" + text)
            todo.extend(_imported_modules(current))
    return digest.hexdigest()


def install_locator() -> None:
    """Put fastmath's locator first in numba's list (idempotent); other code is unaffected."""
    from numba.core import caching

    class FastmathCacheLocator(caching._CacheLocator):
        """Cache files of fastmath's kernels under :func:`cache_dir`, stamped by :func:`source_stamp`."""

        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            relative = Path(py_file).resolve().parent.relative_to(PACKAGE_DIR)
            self._cache_path = str(cache_dir().joinpath(*relative.parts))

        def get_cache_path(self):
            return self._cache_path

        def get_source_stamp(self):
            return source_stamp(self._py_file)

        def get_disambiguator(self):
            return str(self._lineno)

        @classmethod
        def from_function(cls, py_func, py_file):
            if cache_dir() is None or not Path(py_file).resolve().is_relative_to(PACKAGE_DIR):
                return None
            self = cls(py_func, py_file)
            try:
                self.ensure_cache_path()
            except OSError:
                return None
            return self

    locators = caching.CacheImpl._locator_classes
    if not any(c.__name__ == "FastmathCacheLocator" for c in locators):
        locators.insert(0, FastmathCacheLocator)
        _install_closure_keys(caching, FastmathCacheLocator)


def _cell_key(value):
    """A description of a closure variable that is the same in every process.

    numba keys a closure's cache entries by the pickle of its variables, and a
    pickled dispatcher carries a UUID drawn anew in each process: a kernel made
    by a factory from other kernels (the Winograd weight gradients) then
    missed the cache in every new process (3 s of compiling on each first
    call) and added entries to it each time. A dispatcher is described by its
    function's module, name, bytecode and, recursively, its own closure; the
    source stamp already covers the code of the modules involved.
    """
    from numba.core.dispatcher import Dispatcher
    from numba.core.serialize import dumps

    if isinstance(value, Dispatcher):
        func = value.py_func
        return ("dispatcher", func.__module__, func.__qualname__,
                hashlib.sha256(func.__code__.co_code).hexdigest(),
                tuple(_cell_key(c.cell_contents) for c in func.__closure__ or ()))
    if isinstance(value, tuple):
        return ("tuple",) + tuple(_cell_key(v) for v in value)
    return hashlib.sha256(dumps(value)).hexdigest()


def _install_closure_keys(caching, locator_class):
    """Key fastmath's closures by :func:`_cell_key` (numba's own key for all other code)."""
    import pickle

    original = caching.FunctionCache._index_key

    def _index_key(self, sig, codegen):
        func = self._py_func
        if func.__closure__ is None or not isinstance(self._impl.locator, locator_class):
            return original(self, sig, codegen)
        cells = pickle.dumps(tuple(_cell_key(c.cell_contents) for c in func.__closure__))
        return (sig, codegen.magic_tuple(), (hashlib.sha256(func.__code__.co_code).hexdigest(),
                                             hashlib.sha256(cells).hexdigest()))

    caching.FunctionCache._index_key = _index_key


# --- merging caches written by separate processes (``fastmath warmup``) --------

def _read_index(path: Path):
    """(numba version, source stamp, {key: data file name}) of a numba index file, or None."""
    import pickle

    try:
        with open(path, "rb") as f:
            version = pickle.load(f)
            stamp, overloads = pickle.loads(f.read())
    except (OSError, EOFError, pickle.UnpicklingError, ValueError):
        return None
    return version, stamp, overloads


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f"{path.name}.tmp.{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def merge(sources, dest: Path) -> int:
    """Merge numba cache directories ``sources`` (laid out like ``dest``) into ``dest``.

    Each source was written by one process alone. For every index file, the
    entries missing from ``dest`` are added with data files renumbered so
    names never collide; an index in ``dest`` from another numba version or
    another source stamp is replaced. Files are written atomically. Returns
    the number of entries added.
    """
    import pickle

    from numba.core.serialize import dumps

    added = 0
    for src in map(Path, sources):
        if not src.is_dir():
            continue
        for index in sorted(src.rglob("*.nbi")):
            found = _read_index(index)
            if found is None:
                continue
            version, stamp, overloads = found
            target = dest / index.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            existing = _read_index(target) if target.exists() else None
            merged = {}
            if existing is not None and existing[:2] == (version, stamp):
                merged = dict(existing[2])
            used = set(merged.values())
            base = index.name[:-len(".nbi")]
            for key, data_name in overloads.items():
                if key in merged:
                    continue
                number = 1
                while f"{base}.{number}.nbc" in used:
                    number += 1
                new_name = f"{base}.{number}.nbc"
                used.add(new_name)
                _write_atomic(target.parent / new_name, (index.parent / data_name).read_bytes())
                merged[key] = new_name
                added += 1
            _write_atomic(target, pickle.dumps(version, protocol=-1) + dumps((stamp, merged)))
    return added


# --- inspection and maintenance (``fastmath cache``) --------------------------

def info() -> dict:
    """What is cached: the directory in use, its size and entries, and other versions' directories."""
    current = cache_dir()
    report = {"cache_dir": str(current) if current else None, "entries": 0, "bytes": 0,
              "other_versions": []}
    if current is None:
        return report
    for f in current.rglob("*"):
        if f.is_file():
            report["bytes"] += f.stat().st_size
            report["entries"] += f.suffix == ".nbc"
    for sibling in sorted(current.parent.glob("fastmath-*-numba-*")):
        if sibling != current and sibling.is_dir():
            size = sum(f.stat().st_size for f in sibling.rglob("*") if f.is_file())
            report["other_versions"].append({"path": str(sibling), "bytes": size})
    return report


def clear(all_versions: bool = False) -> list[str]:
    """Delete the cache of this version (and of every other version); returns what was removed."""
    current = cache_dir()
    if current is None:
        return []
    targets = [current]
    if all_versions:
        targets += [p for p in current.parent.glob("fastmath-*-numba-*") if p != current]
    removed = []
    for path in targets:
        if path.is_dir():
            shutil.rmtree(path)
            removed.append(str(path))
    cache_dir.cache_clear()
    return removed
