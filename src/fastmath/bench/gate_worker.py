"""The child process of the performance gate (``gate.py``): times one tree's kernels.

Run as a script with the tree's ``src`` on ``PYTHONPATH``, so it imports that
tree's fastmath and nothing of the parent's. It reads one JSON request per line
on stdin and answers one JSON line: ``{"op": "setup", "kernel", "dtype", "size"}``
builds the kernel's first case of that size and calls it once (compiling or loading it);
``{"op": "time", "number"}`` times that many back-to-back calls.
"""
import json
import sys
import time

import numpy as np


def _setup(kernel, dtype, size):
    from fastmath import _registry

    if kernel not in _registry.REGISTRY or _registry.get(kernel).cases is None:
        return None
    try:
        for case in _registry.get(kernel).cases(size, np.random.default_rng(0)):
            if case.dtype == dtype:
                case.ours()  # compile, or load from the cache
                return case.ours
    except Exception:  # noqa: BLE001 - a base whose API predates the case: not comparable
        return None
    return None


def main():
    call = None
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if request["op"] == "setup":
                call = _setup(request["kernel"], request["dtype"], request.get("size", "asv"))
                answer = {"ok": call is not None}
                if call is not None:
                    start = time.perf_counter()
                    call()
                    answer["once"] = time.perf_counter() - start
            else:
                start = time.perf_counter()
                for _ in range(request["number"]):
                    call()
                answer = {"seconds": time.perf_counter() - start}
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
