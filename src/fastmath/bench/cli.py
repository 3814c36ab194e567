"""``fastmath bench``: time fastmath against the libraries users would pick instead.

Three views, all read from the kernel registry:

* the default: each benchmark case, ours and every installed peer alternated
  in one process, medians with their interquartile range;
* ``--contended``: each case quiet, then beside a busy process on one core,
  with the default threads and with one thread;
* ``--sweep``: each kernel from one element up to a large problem, against
  its peer, with the per-call overhead at the smallest size.

``--family distributed`` runs apart (see :mod:`fastmath.bench.distributed`):
the cost of the Dask path against in-memory, and its scaling with workers.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import nullcontext

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from .. import _registry
from .._config import threads as _threads
from .._config.memory import malloc_tuned
from . import machine, views
from .timing import NOISY_SPREAD, run_case


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fastmath bench",
        description="Time fastmath kernels and their peers in one process (alternating runs, "
        "medians and interquartile ranges; speedup = peer time / fastmath time).",
    )
    p.add_argument("--family", action="append", choices=_registry.FAMILIES + ("distributed",),
                   help="family (package) to run; repeatable; default: all but 'distributed', "
                   "which runs on its own (needs fastmath[distributed])")
    p.add_argument("--kernel", action="append", metavar="NAME",
                   help="only this kernel (a public name, e.g. softmax); repeatable")
    p.add_argument("--size", choices=("quick", "full"), default="full",
                   help="case sizes: 'full' (the issues' cases, default) or 'quick'")
    p.add_argument("--quick", action="store_const", const="quick", dest="size",
                   help="same as --size quick")
    view = p.add_mutually_exclusive_group()
    view.add_argument("--contended", action="store_true",
                      help="time each case quiet, then beside a busy process on one core")
    view.add_argument("--sweep", action="store_true",
                      help="time each kernel from one element up to a large problem")
    p.add_argument("--sweep-max", type=int, default=views.SWEEP_MAX, metavar="N",
                   help=f"largest --sweep size (default {views.SWEEP_MAX})")
    p.add_argument("--threads", type=int, help="threads for fastmath, torch and the peers' "
                   "BLAS and OpenMP pools (default: the CPUs this process may use)")
    p.add_argument("--budget", type=float, default=2.0,
                   help="seconds of timing per case, roughly (default 2)")
    p.add_argument("--json", metavar="PATH", help="write the machine and the rows as JSON")
    p.add_argument("--plot", metavar="PATH", help="write a PNG bar chart of the speedups")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def _fmt_time(s) -> str:
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    return f"{s * 1e3:.3f} ms" if s < 1 else f"{s:.3f} s"


def _with_spread(median, iqr) -> str:
    if median is None:
        return "-"
    return f"{_fmt_time(median)} ± {100 * iqr / median:.0f}%" if median else _fmt_time(median)


def format_table(rows: list) -> str:
    """Rows as a Markdown table (the README shows them); '±' is the IQR as % of the median."""
    head = ["family", "kernel", "case", "dtype", "fastmath", "peer", "peer time", "speedup",
            "target", "note"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        speed = "-" if r["speedup"] is None else f"{r['speedup']:.2f}x"
        target = "" if r.get("target") is None else f">= {r['target']}x"
        peer = r["peer"] or "-"
        note = ""
        if r.get("skipped"):
            note = "peer not installed"
        elif r.get("noisy"):
            note = f"noisy (IQR > {NOISY_SPREAD:.0%})"
        lines.append("| " + " | ".join([
            r["family"], r["kernel"], r["case"], r["dtype"],
            _with_spread(r["ours_s"], r["ours_iqr"]), peer,
            _with_spread(r["peer_s"], r.get("peer_iqr") or 0), speed, target, note]) + " |")
    return "\n".join(lines)


def format_contended(rows: list) -> str:
    head = ["kernel", "case", "dtype", "quiet", "contended", "contended, 1 thread",
            "slowdown vs quiet", "default / 1 thread (target <= 1.25)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append("| " + " | ".join([
            r["kernel"], r["case"], r["dtype"], _with_spread(r["quiet_s"], r["quiet_iqr"]),
            _with_spread(r["contended_s"], r["contended_iqr"]),
            _with_spread(r["one_thread_s"], r["one_thread_iqr"]), f"{r['slowdown']:.2f}x",
            f"{r['vs_one_thread']:.2f}x" + (" **over**" if r["vs_one_thread"] > 1.25 else "")])
            + " |")
    return "\n".join(lines)


def format_sweep(rows: list) -> str:
    """One table per kernel and dtype: size, ours, each peer and the speedup."""
    out = []
    groups = {}
    for r in rows:
        groups.setdefault((r["kernel"], r["dtype"]), []).append(r)
    for (kernel, dtype), group in groups.items():
        peers = list(group[0]["peers"])
        head = ["n", "fastmath"] + [f"{p}" for p in peers] + [f"speedup vs {p}" for p in peers]
        lines = [f"{kernel} ({dtype})", "", "| " + " | ".join(head) + " |",
                 "|" + "---|" * len(head)]
        for r in group:
            cells = [f"{r['n']:,}", _fmt_time(r["ours_s"])]
            cells += [_fmt_time(r["peers"][p]) for p in peers]
            cells += [f"{r['peers'][p] / r['ours_s']:.2f}x" for p in peers]
            lines.append("| " + " | ".join(cells) + " |")
        first = group[0]
        overhead = ", ".join(f"{first['ours_s'] / first['peers'][p]:.2f}x {p}'s"
                             for p in peers) or "no peer"
        lines.append("")
        lines.append(f"per-call overhead at n={first['n']}: {_fmt_time(first['ours_s'])} "
                     f"({overhead})")
        out.append("\n".join(lines))
    return "\n\n".join(out)


def _first_calls(rows: list) -> str:
    seen = {}
    for r in rows:
        key = (r["kernel"], r["dtype"])
        seen[key] = max(seen.get(key, 0.0), r["first_call_s"])
    body = "\n".join(f"| {k} | {d} | {_fmt_time(t)} |" for (k, d), t in seen.items())
    return "| kernel | dtype | slowest first call (compile or cache load) |\n|---|---|---|\n" + body


def _quality(rows: list) -> str:
    """Quality figures (accuracy, precision@10, RMSE) that some cases measure once."""
    seen = {}
    for r in rows:
        for name, value in r.get("quality", {}).items():
            seen[(r["kernel"], r["case"], name)] = value
    if not seen:
        return ""
    body = "\n".join(f"| {k} | {c} | {n} | {v:.4f} |" for (k, c, n), v in seen.items())
    return "| kernel | case | quality measure | value |\n|---|---|---|---|\n" + body


def plot(rows: list, path: str) -> None:
    """Horizontal bar chart of the speedups, log scale, 1x marked, the CPU in the title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [r for r in rows if r.get("speedup")]
    labels = [f"{r['kernel']} {r['case']} {r['dtype']} vs {r['peer']}" for r in shown]
    values = [r["speedup"] for r in shown]
    fig, ax = plt.subplots(figsize=(10, 0.3 * len(shown) + 1.5))
    colors = ["tab:green" if v >= 1 else "tab:red" for v in values]
    ax.barh(range(len(shown)), values, color=colors)
    ax.set_yticks(range(len(shown)), labels, fontsize=7)
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", lw=0.8)
    ax.invert_yaxis()
    ax.set_xlabel("speedup = peer time / fastmath time")
    ax.set_title(f"fastmath bench: {machine.describe()['cpu']}, "
                 f"{_threads.get_num_threads()} threads", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _check_plot_dependency(parser, args):
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error("--plot needs matplotlib: pip install 'fastmath[examples]' "
                         "(or pip install matplotlib)")


def _distributed(parser, args) -> int:
    if args.family != ["distributed"] or args.kernel or args.sweep or args.contended:
        parser.error("--family distributed runs on its own (no other family, --kernel, "
                     "--sweep or --contended)")
    try:
        from . import distributed
    except ImportError as exc:  # pragma: no cover - the extra is not installed
        parser.error(f"--family distributed needs fastmath[distributed]: {exc}")
    rows = distributed.run(args.size)
    print(f"fastmath bench (distributed, {args.size} sizes): threading layer "
          f"{_threads.threading_layer()}.")
    print(machine.summary())
    print()
    print(distributed.format_rows(rows))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"machine": machine.describe(), "view": "distributed", "size": args.size,
                       "rows": rows}, fh, indent=1)
    return 0


def _collect(selected, args, view: str) -> list:
    """Run the selected kernels' cases (or sweeps) in the chosen view; the result rows."""
    rows = []
    progress = tqdm(desc=f"bench ({view})", unit="case", disable=args.no_progress, file=sys.stderr)
    rng = np.random.default_rng(0)
    for kernel in selected:
        if args.sweep:
            for dtype in kernel.dtypes:
                progress.set_postfix_str(f"{kernel.name} {dtype}"[:60])
                rows.extend(views.run_sweep(kernel, dtype, max_n=args.sweep_max))
                progress.update()
            continue
        for case in kernel.cases(args.size, rng):
            progress.set_postfix_str(f"{case.kernel} {case.case} {case.dtype}"[:60])
            if args.contended:
                rows.append(views.run_contended(case, budget_s=args.budget))
            else:
                rows.extend(run_case(case, budget_s=args.budget))
            progress.update()
    progress.close()
    return rows


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.family and "distributed" in args.family:
        return _distributed(parser, args)
    try:
        selected = _registry.select(args.family, args.kernel)
    except ValueError as exc:
        parser.error(str(exc))
    _check_plot_dependency(parser, args)
    if args.threads is not None:
        _threads.set_num_threads(args.threads)
    if args.sweep:
        selected = [k for k in selected if k.sweep is not None]
        view = "sweep"
    else:
        selected = [k for k in selected if k.cases is not None]
        view = "contended" if args.contended else "default"
    if not selected:
        parser.error(f"none of the selected kernels has a {view} benchmark")
    # --threads holds the peers' BLAS and OpenMP pools at the same count
    # (threadpoolctl), so a one-thread table compares kernels, not threading
    limits = nullcontext() if args.threads is None else threadpool_limits(args.threads)
    with limits:
        rows = _collect(selected, args, view)
    allocator = "set by fastmath" if malloc_tuned() else "the C library's own"
    blas_spin = os.environ.get("OPENBLAS_THREAD_TIMEOUT")
    omp_spin = os.environ.get("GOMP_SPINCOUNT")
    print(f"fastmath bench ({view} view, {args.size} sizes): {_threads.get_num_threads()} threads, "
          f"threading layer {_threads.threading_layer()}, malloc thresholds {allocator}, "
          f"idle spin: OpenBLAS {f'2**{blas_spin} cycles' if blas_spin else 'default'}, "
          f"libgomp {f'{omp_spin} pauses' if omp_spin else 'default'}.")
    print(machine.summary())
    print()
    if args.sweep:
        print(format_sweep(rows))
    elif args.contended:
        print(format_contended(rows))
    else:
        print(format_table(rows))
        print()
        print(_first_calls(rows))
        quality = _quality(rows)
        if quality:
            print()
            print(quality)
        for r in rows:
            if r.get("skipped"):
                print(f"skipped {r['peer']} for {r['kernel']}: {r['skipped']}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"machine": machine.describe(), "view": view, "size": args.size,
                       "threads": _threads.get_num_threads(), "rows": rows}, fh, indent=1)
    if args.plot and not args.sweep and not args.contended:
        plot(rows, args.plot)
    return 0
