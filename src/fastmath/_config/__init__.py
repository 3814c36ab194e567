"""Configuration, the one home of how kernels are compiled and run.

* :mod:`.jit` -- the compile flags and the ``jit`` decorators every kernel uses;
* :mod:`.threads` -- thread counts, the threading layer and the serial path for small work;
* :mod:`.blas` -- BLAS thread pools around our calls;
* :mod:`.cache` -- where compiled code is cached, and how it stays fresh;
* :mod:`.notice` -- the message shown when a first call compiles;
* :mod:`.memory` -- the allocator's thresholds, so large temporaries are not faulted in per call.

This ``__init__`` imports nothing, so that ``import fastmath`` does not import
numba; import the submodule you need.
"""
