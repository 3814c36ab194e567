"""``fastmath bench``: time fastmath against the libraries users would pick instead."""
from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys

from tqdm import tqdm

from .. import _config
from .timing import run_case

# family name -> module with a ``cases(quick, seed)`` generator
FAMILIES = {
    "conv": "fastmath.bench.conv",
    "matrix": "fastmath.bench.matrix",
    "optim": "fastmath.bench.optim",
    "recommend": "fastmath.bench.recommend",
    "stats": "fastmath.bench.stats",
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fastmath bench",
        description="Time fastmath kernels and their peers in one process "
        "(alternating runs, medians; speedup = peer time / fastmath time).",
    )
    p.add_argument("--family", action="append", choices=sorted(FAMILIES),
                   help="family to run (repeatable; default: all)")
    p.add_argument("--quick", action="store_true", help="small cases, for a fast check")
    p.add_argument("--kernel", action="append", help="only these kernels (repeatable)")
    p.add_argument("--json", metavar="PATH", help="write the rows as JSON")
    p.add_argument("--plot", metavar="PATH", help="write a PNG bar chart of the speedups")
    p.add_argument("--threads", type=int, help="threads for fastmath and torch (default: all cores)")
    p.add_argument("--budget", type=float, default=2.0,
                   help="seconds of timing per case, roughly (default 2)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def _fmt_time(s) -> str:
    if s is None:
        return "-"
    return f"{s * 1e3:.3f} ms" if s < 1 else f"{s:.3f} s"


def format_table(rows: list) -> str:
    """Rows as a Markdown table (the README shows one)."""
    head = ["family", "kernel", "case", "dtype", "fastmath", "peer", "peer time", "speedup", "target"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        speed = "-" if r["speedup"] is None else f"{r['speedup']:.2f}x"
        target = "" if r.get("target") is None else f">= {r['target']}x"
        peer = r["peer"] or "-"
        if r.get("skipped"):
            peer = f"{peer} (skipped: not installed)"
        lines.append("| " + " | ".join([
            r["family"], r["kernel"], r["case"], r["dtype"], _fmt_time(r["ours_s"]), peer,
            _fmt_time(r["peer_s"]), speed, target]) + " |")
    return "\n".join(lines)


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
    """Horizontal bar chart of the speedups, log scale, 1x marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [r for r in rows if r["speedup"]]
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
    ax.set_title(f"fastmath bench ({platform.machine()}, {_config.get_num_threads()} threads)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.threads is not None:
        _config.set_num_threads(args.threads)
    families = args.family or sorted(FAMILIES)
    rows = []
    progress = tqdm(desc="bench", unit="case", disable=args.no_progress, file=sys.stderr)
    for family in families:
        module = importlib.import_module(FAMILIES[family])
        if args.kernel and not set(args.kernel) & set(module.KERNELS):
            continue  # do not build the family's data for nothing
        for case in module.cases(quick=args.quick):
            if args.kernel and case.kernel not in args.kernel:
                continue
            progress.set_postfix_str(f"{case.kernel} {case.case} {case.dtype}"[:60])
            rows.extend(run_case(case, budget_s=args.budget))
            progress.update()
    progress.close()
    print(f"fastmath bench: {platform.processor() or platform.machine()}, "
          f"{_config.get_num_threads()} threads, threading layer {_config.threading_layer()}"
          f"{', quick cases' if args.quick else ''}")
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
            json.dump(rows, fh, indent=1)
    if args.plot:
        plot(rows, args.plot)
    return 0
