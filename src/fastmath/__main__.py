"""The ``fastmath`` command line: ``bench``, ``warmup`` and ``cache``."""
from __future__ import annotations

import argparse
import json
import sys


def _warmup_parser(sub):
    p = sub.add_parser("warmup", help="compile every kernel (or load it from the cache)",
                       description="Compile every public kernel for each of its dtypes, in a "
                       "pool of worker processes, or load it from the cache when it is there.")
    p.add_argument("--jobs", type=int, default=None,
                   help="worker processes (default: the CPUs this process may use)")
    p.add_argument("--family", action="append", help="only this family (repeatable)")
    p.add_argument("--kernel", action="append", help="only this kernel (repeatable)")
    p.add_argument("--list", action="store_true", help="list the units and exit")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def _cache_parser(sub):
    p = sub.add_parser("cache", help="show or clear the compiled-code cache",
                       description="Where fastmath caches compiled kernels: one directory per "
                       "fastmath and numba version, under NUMBA_CACHE_DIR when it is set, else "
                       "the user cache directory.")
    action = p.add_mutually_exclusive_group()
    action.add_argument("--info", action="store_true", help="show the cache (the default)")
    action.add_argument("--clear", action="store_true", help="delete this version's cache")
    p.add_argument("--all", action="store_true", help="with --clear: every version's cache")
    p.add_argument("--json", action="store_true", help="print --info as JSON")
    return p


def _parser():
    parser = argparse.ArgumentParser(prog="fastmath", description="fastmath command line")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("bench", help="compare with the peer libraries (see 'fastmath bench --help')",
                   add_help=False)
    _warmup_parser(sub)
    _cache_parser(sub)
    return parser


def _warmup(parser, args) -> int:
    from . import _warmup
    from ._validation import check_int

    try:
        todo = _warmup.units(args.family, args.kernel)
        jobs = None if args.jobs is None else check_int(args.jobs, "--jobs", low=1)
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))
    if args.list:
        for kernel, dtype in todo:
            print(f"{_warmup.unit_name(kernel, dtype)}\t{kernel.family}")
        return 0
    report = _warmup.warmup(families=args.family, kernels=args.kernel, jobs=jobs,
                            progress=False if args.no_progress else None)
    for name, seconds in report.items():
        if name != "total":
            print(f"{name}: {seconds:.3f} s")
    print(f"total: {report['total']:.3f} s for {len(report) - 1} units")
    return 0


def _cache(args) -> int:
    from ._config import cache

    if args.clear:
        removed = cache.clear(all_versions=args.all)
        print("\n".join(f"removed {p}" for p in removed) or "nothing to remove")
        return 0
    info = cache.info()
    if args.json:
        print(json.dumps(info, indent=1))
        return 0
    print(f"cache directory: {info['cache_dir']}")
    print(f"compiled entries: {info['entries']} ({info['bytes'] / 2**20:.1f} MiB)")
    for other in info["other_versions"]:
        print(f"other version: {other['path']} ({other['bytes'] / 2**20:.1f} MiB; "
              f"'fastmath cache --clear --all' removes it)")
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser()
    if argv[:1] == ["bench"]:
        from .bench import quiet_idle_workers

        quiet_idle_workers()
        from .bench.cli import main as bench_main

        return bench_main(argv[1:])
    args = parser.parse_args(argv)
    if args.command == "warmup":
        return _warmup(parser, args)
    return _cache(args)


if __name__ == "__main__":
    sys.exit(main())
