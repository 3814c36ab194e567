"""Measure what a new user feels at start-up: import, cold and warm warmup, first calls.

Runs everything in fresh processes with ``NUMBA_CACHE_DIR`` pointed at an
empty directory, as the README's cold-start figures are:

    .venv/bin/python scripts/measure-cold-start.py [--jobs N] [--skip-cold]

* ``import fastmath`` (median of 5 processes);
* ``fastmath warmup`` on the empty cache (cold) and again (warm);
* the first call of every registry kernel and dtype in a fresh process with
  the cache warm: the registry's example call, timed after its family's
  module is imported (which imports numba: reported separately) and after
  numba's one-time set-up of its typing and lowering registries (which the
  first compiled function of any kind pays once per process: also reported).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def _python(code: str, env: dict) -> str:
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--jobs", type=int, default=None, help="warmup worker processes")
    p.add_argument("--cache", help="use this cache directory instead of a new empty one")
    p.add_argument("--skip-cold", action="store_true", help="assume the cache is warm already")
    args = p.parse_args(argv)
    cache = args.cache or tempfile.mkdtemp(prefix="fastmath-cold-")
    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "FASTMATH_COMPILE_NOTICE": "0"}
    imports = [float(_python("import time; t = time.perf_counter(); import fastmath; "
                             "print(time.perf_counter() - t)", env)) for _ in range(5)]
    print(f"import fastmath: {statistics.median(imports):.3f} s (median of 5)", flush=True)
    jobs = [] if args.jobs is None else ["--jobs", str(args.jobs)]
    for label in (() if args.skip_cold else ("cold",)) + ("warm",):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "fastmath", "warmup", "--no-progress", *jobs],
                       env=env, check=True, capture_output=True)
        print(f"fastmath warmup ({label} cache): {time.perf_counter() - t0:.1f} s wall",
              flush=True)
    first = json.loads(_python("""
import json, subprocess, sys
from fastmath import _warmup
print(json.dumps([[k.name, d] for k, d in _warmup.units()]))
""", env))
    rows, family_imports, numba_setup = [], [], []
    for name, dtype in first:
        family_s, setup_s, seconds = map(float, _python(f"""
import importlib, time, warnings
warnings.simplefilter("ignore")
from fastmath import _registry
kernel = _registry.get({name!r})
t = time.perf_counter()
importlib.import_module("fastmath." + kernel.family)
family = time.perf_counter() - t
t = time.perf_counter()
from numba.core.registry import cpu_target
cpu_target.target_context.refresh()
cpu_target.typing_context.refresh()
setup = time.perf_counter() - t
t = time.perf_counter()
kernel.example({dtype!r})
print(family, setup, time.perf_counter() - t)
""", env).split())
        rows.append((seconds, f"{name}[{dtype}]"))
        family_imports.append(family_s)
        numba_setup.append(setup_s)
    print(f"import of a family module (numba, scipy and the kernels' module): median "
          f"{statistics.median(family_imports):.3f} s, max {max(family_imports):.3f} s")
    print(f"numba's one-time set-up at the first compiled call of a process: median "
          f"{statistics.median(numba_setup):.3f} s")
    rows.sort(reverse=True)
    print("first call with the cache warm (registry example, fresh process), slowest first:")
    for seconds, unit in rows:
        print(f"  {unit}: {seconds * 1e3:.1f} ms")
    over = [u for s, u in rows if s > 0.05]
    print(f"{len(over)} of {len(rows)} units over 50 ms" + (f": {', '.join(over)}" if over else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
