"""``fastmath`` command line: ``fastmath bench ...`` and ``fastmath warmup``."""
from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(prog="fastmath", description="fastmath command line")
    parser.add_argument("command", choices=["bench", "warmup"],
                        help="bench: compare with peer libraries; warmup: compile every kernel")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments of the command")
    ns = parser.parse_args(argv[:1])
    if ns.command == "bench":
        from .bench.cli import main as bench_main

        return bench_main(argv[1:])
    from ._warmup import warmup

    warmup(verbose=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
