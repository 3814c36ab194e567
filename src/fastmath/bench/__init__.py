"""Benchmarks against peer libraries: ``fastmath bench`` / ``python -m fastmath.bench``."""

__all__ = ["main"]


def main(argv=None) -> int:
    """Run ``fastmath bench`` with ``argv`` (see ``fastmath bench --help``)."""
    from .cli import main as _main

    return _main(argv)
