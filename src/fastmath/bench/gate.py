"""A performance gate: the working tree against a base commit, interleaved, one thread.

``scripts/perf-gate.sh BASE`` (or ``python -m fastmath.bench.gate BASE``)
exports BASE's ``src/`` to a temporary directory, starts one worker process
per tree (each imports its own fastmath; compiled kernels whose source did
not change are shared through the cache, whose path does not depend on
where the package lives), and times the asv-size case of every kernel of the
families the change touched, alternating the two workers block by block. It
exits 1 when a kernel's median is slower than BASE's by more than the
threshold (default 1.5x), and prints every ratio with its spread.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WORKER = Path(__file__).with_name("gate_worker.py")
# files whose change can move every family's timings
SHARED = ("_config/", "_validation", "_chunks.py", "_prefetch.py", "_random.py", "_cycles.py",
          "_estimator_state.py")


def touched_families(paths, families) -> list[str]:
    """The registry families a change to ``paths`` (repository-relative) can slow down."""
    touched = []
    for path in paths:
        if not path.startswith("src/fastmath/"):
            continue
        inner = path[len("src/fastmath/"):]
        if inner.startswith(SHARED):
            return list(families)
        head = inner.split("/", 1)[0]
        if head in families and head not in touched:
            touched.append(head)
    return touched


@dataclass
class Verdict:
    kernel: str
    dtype: str
    base: np.ndarray  # seconds per call, one per round
    head: np.ndarray

    @property
    def ratio(self) -> float:
        """head / base median time: above 1 is slower than the base."""
        return float(np.median(self.head) / np.median(self.base))

    @property
    def spread(self) -> float:
        """The larger relative interquartile range of the two sides."""
        def iqr(t):
            q1, q3 = np.percentile(t, [25, 75])
            return float((q3 - q1) / np.median(t))
        return max(iqr(self.base), iqr(self.head))

    def slower(self, threshold: float) -> bool:
        """Slower beyond ``threshold``, and not just by noise: every head round lost to the
        base median by more than its spread allows."""
        return self.ratio > threshold and np.percentile(self.head, 25) > np.median(self.base)


class Worker:
    """A child process timing registry cases of one source tree."""

    def __init__(self, src: Path, threads: int):
        n = str(threads)  # numba's variable too, for bases older than FASTMATH_NUM_THREADS
        env = dict(os.environ, PYTHONPATH=str(src), FASTMATH_NUM_THREADS=n, NUMBA_NUM_THREADS=n,
                   FASTMATH_COMPILE_NOTICE="0", OMP_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n,
                   MKL_NUM_THREADS=n)
        self.proc = subprocess.Popen([sys.executable, str(WORKER)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)

    def ask(self, **request):
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the gate worker died (exit {self.proc.wait()})")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def export_tree(base: str, dest: Path, registry_from: Path | None = None) -> Path:
    """``src/`` of commit ``base`` under ``dest``; returns its ``src`` directory.

    With ``registry_from`` (this tree's ``fastmath/_registry``), the base's own
    registry, if it has one, is replaced by a copy of it, so both trees time the
    same cases even when a change resized them; kernels whose calls the base
    does not support are skipped.
    """
    archive = subprocess.run(["git", "archive", "--format=tar", base, "src"], check=True,
                             capture_output=True).stdout
    with tempfile.TemporaryFile() as f:
        f.write(archive)
        f.seek(0)
        with tarfile.open(fileobj=f) as tar:
            tar.extractall(dest, filter="data")
    registry = dest / "src" / "fastmath" / "_registry"
    if registry_from is not None:
        shutil.rmtree(registry, ignore_errors=True)
        shutil.copytree(registry_from, registry)
        shutil.copy(registry_from.parent / "bench" / "peers.py", registry.parent / "bench")
    return dest / "src"


def compare(base: Worker, head: Worker, kernels, rounds: int, block: float, size: str = "asv",
            pause: float = 0.02):
    """Interleaved timings of every (kernel, dtype) both trees have, first case of ``size``."""
    verdicts = []
    for name in kernels:
        for dtype in ("float32", "float64"):
            b = base.ask(op="setup", kernel=name, dtype=dtype, size=size)
            h = head.ask(op="setup", kernel=name, dtype=dtype, size=size)
            if not (b["ok"] and h["ok"]):
                continue
            number = max(1, int(block / max(min(b["once"], h["once"]), 1e-7)))
            times = {"base": [], "head": []}
            for r in range(rounds):
                order = (("base", base), ("head", head)) if r % 2 == 0 else \
                    (("head", head), ("base", base))
                for side, worker in order:
                    time.sleep(pause)  # the other tree's idle threads stop spinning first
                    times[side].append(worker.ask(op="time", number=number)["seconds"] / number)
            verdicts.append(Verdict(name, dtype, np.array(times["base"]),
                                    np.array(times["head"])))
    return verdicts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="perf-gate", description="Fail when the working tree is slower than BASE.")
    parser.add_argument("base", nargs="?", default="HEAD~1", help="commit to compare with")
    parser.add_argument("--threshold", type=float, default=1.5,
                        help="slowdown (head/base median) that fails the gate (default 1.5)")
    parser.add_argument("--family", action="append",
                        help="families to time (default: those the change touches)")
    parser.add_argument("--kernel", action="append", help="only these kernels")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds (default 7)")
    parser.add_argument("--block", type=float, default=0.03,
                        help="seconds of back-to-back calls per round (default 0.03)")
    parser.add_argument("--threads", type=int, default=1,
                        help="fastmath threads in both trees (default 1: kernel quality)")
    parser.add_argument("--size", choices=("asv", "quick", "full"), default="asv",
                        help="registry case size (default asv: 10 to 200 ms per call)")
    args = parser.parse_args(argv)
    if args.threshold <= 1.0 or args.rounds < 3:
        parser.error("--threshold must be > 1 and --rounds at least 3")
    from .. import _registry

    if args.kernel:
        kernels = [k.name for k in _registry.select(names=args.kernel)]
    else:
        changed = subprocess.run(["git", "diff", "--name-only", args.base], check=True,
                                 capture_output=True, text=True).stdout.split()
        families = args.family or touched_families(changed, _registry.FAMILIES)
        if not families:
            print(f"perf-gate: no kernel family changed since {args.base}; nothing to time")
            return 0
        kernels = [k.name for k in _registry.select(families=families) if k.cases]
    with tempfile.TemporaryDirectory(prefix="fastmath-gate-") as tmp:
        head_src = Path(__file__).resolve().parents[2]
        base_src = export_tree(args.base, Path(tmp), head_src / "fastmath" / "_registry")
        base, head = Worker(base_src, args.threads), Worker(head_src, args.threads)
        try:
            verdicts = compare(base, head, kernels, args.rounds, args.block, args.size)
        finally:
            base.close()
            head.close()
    failed = [v for v in verdicts if v.slower(args.threshold)]
    print(f"perf-gate: {args.base} -> working tree, {args.threads} thread(s), {args.size} "
          f"cases, {args.rounds} rounds, threshold {args.threshold}x")
    print("| kernel | dtype | base | head | head/base | spread |")
    print("|---|---|---|---|---|---|")
    for v in verdicts:
        flag = " SLOWER" if v in failed else ""
        print(f"| {v.kernel} | {v.dtype} | {np.median(v.base) * 1e3:.3f} ms | "
              f"{np.median(v.head) * 1e3:.3f} ms | {v.ratio:.2f}x{flag} | {v.spread:.0%} |")
    if failed:
        print(f"perf-gate: {len(failed)} case(s) slower than {args.base} by more than "
              f"{args.threshold}x", file=sys.stderr)
        return 1
    print(f"perf-gate: {len(verdicts)} cases, none slower by more than {args.threshold}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
