"""Benchmarks against peer libraries: ``fastmath bench`` / ``python -m fastmath.bench``."""
from .cli import main

__all__ = ["main"]
