"""The package version, importable without numba."""
__version__ = "0.2.0"
