"""Draw the recorded asv history as PNG charts, one per family, readable offline.

    .venv/bin/python scripts/asv-history.py [--results .asv/results] [--out asv-history]
                                            [--machine NAME] [--family conv ...]

Reads asv's results JSON (``<results>/<machine>/<commit>-<env>.json``), puts
the commits on the x axis in the order git gives them (oldest left), and draws
for every benchmark of a family its median time with the interquartile range
as a band (asv's ``stats_q_25``/``stats_q_75``), one line per benchmark and
dtype. Writes ``<out>/<family>.png`` and prints the paths.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path


def load(results: Path, machine: str | None):
    """{benchmark name: {commit: (median, q25, q75) per param}} and the machine used."""
    machines = [d for d in results.iterdir() if d.is_dir()] if results.is_dir() else []
    if machine:
        machines = [d for d in machines if d.name == machine]
    if not machines:
        raise SystemExit(f"no asv results under {results} (run `asv run` first)")
    folder = max(machines, key=lambda d: len(list(d.glob("*.json"))))
    history = defaultdict(dict)
    for path in folder.glob("*.json"):
        if path.name == "machine.json":
            continue
        data = json.loads(path.read_text())
        columns = data.get("result_columns", [])
        commit = data.get("commit_hash")
        for name, row in data.get("results", {}).items():
            row = dict(zip(columns, row))
            values = row.get("result") or []
            q25 = row.get("stats_q_25") or [None] * len(values)
            q75 = row.get("stats_q_75") or [None] * len(values)
            params = row.get("params") or [[]]
            history[name][commit] = (values, q25, q75, params)
    return folder.name, history


def commit_order(commits):
    """The commits oldest first (git's order); unknown ones at the end, as found."""
    try:
        log = subprocess.run(["git", "rev-list", "--all", "--reverse"], capture_output=True,
                             text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        log = []
    rank = {c: i for i, c in enumerate(log)}
    return sorted(commits, key=lambda c: rank.get(c, len(rank)))


def family_of(name: str) -> str:
    """asv names benchmarks ``benchmarks.<kernel>.time_call``; the registry knows the family."""
    from fastmath import _registry

    kernel = name.split(".")[1] if name.count(".") >= 2 else name
    return _registry.REGISTRY[kernel].family if kernel in _registry.REGISTRY else "other"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=Path(".asv/results"))
    parser.add_argument("--out", type=Path, default=Path("asv-history"))
    parser.add_argument("--machine", help="asv machine name (default: the one with most runs)")
    parser.add_argument("--family", action="append", help="only these families")
    args = parser.parse_args(argv)
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("asv-history draws with matplotlib: pip install 'fastmath[examples]'")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    machine, history = load(args.results, args.machine)
    commits = commit_order({c for runs in history.values() for c in runs})
    by_family = defaultdict(list)
    for name in sorted(history):
        if ".time_" in name:
            by_family[family_of(name)].append(name)
    args.out.mkdir(parents=True, exist_ok=True)
    for family, names in sorted(by_family.items()):
        if args.family and family not in args.family:
            continue
        fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(commits) + 3), 4))
        for name in names:
            runs = history[name]
            params = next(iter(runs.values()))[3][0] or [""]
            for p, param in enumerate(params):
                xs, med, lo, hi = [], [], [], []
                for x, commit in enumerate(commits):
                    if commit not in runs or p >= len(runs[commit][0]):
                        continue
                    values, q25, q75, _ = runs[commit]
                    if values[p] is None:
                        continue
                    xs.append(x)
                    med.append(values[p] * 1e3)
                    lo.append((q25[p] if q25[p] is not None else values[p]) * 1e3)
                    hi.append((q75[p] if q75[p] is not None else values[p]) * 1e3)
                if not xs:
                    continue
                label = f"{name.split('.')[1]} {str(param).strip(chr(39))}".strip()
                line, = ax.plot(xs, med, marker="o", label=label)
                ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.25)
        ax.set_xticks(range(len(commits)))
        ax.set_xticklabels([c[:8] for c in commits], rotation=45, ha="right", fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel("time per call (ms, median and IQR)")
        ax.set_title(f"{family} on {machine}")
        ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1.0), loc="upper left")
        fig.tight_layout()
        path = args.out / f"{family}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
