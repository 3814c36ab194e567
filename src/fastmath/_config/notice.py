"""A visible first compile: say so when a call compiles for more than about a second.

numba compiles a kernel the first time it meets a new argument type, which
takes seconds, and then caches it on disk. When one of fastmath's kernels is
still compiling after :data:`DELAY_S`, this module says so once per family
and dtype, through ``logging`` (logger ``"fastmath"``, level INFO) and, on an
interactive terminal or in Jupyter, a short line on stderr::

    fastmath: compiling the recommend kernels for float32 (first use; cached afterwards)

Silence it with ``fastmath.set_compile_notice(False)`` or the environment
variable ``FASTMATH_COMPILE_NOTICE=0``.
"""
from __future__ import annotations

import logging
import os
import sys
import threading

__all__ = ["DELAY_S", "install", "set_compile_notice"]

DELAY_S = 1.0
logger = logging.getLogger("fastmath")
_state = {"enabled": os.environ.get("FASTMATH_COMPILE_NOTICE", "1").strip() not in ("0", "")}
_said = set()
_lock = threading.Lock()
_local = threading.local()


def set_compile_notice(enabled: bool) -> None:
    """Turn the first-compile message on or off (on by default).

    Examples
    --------
    >>> import fastmath
    >>> fastmath.set_compile_notice(False)
    >>> fastmath.set_compile_notice(True)
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be a bool, got {type(enabled).__name__}")
    _state["enabled"] = enabled


def _interactive() -> bool:
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def describe(dispatcher, args) -> tuple[str, str]:
    """(family, dtype) of a compile: the fastmath subpackage and the float type of the arguments."""
    module = getattr(dispatcher.py_func, "__module__", "") or ""
    parts = module.split(".")
    family = parts[1] if len(parts) > 2 else "core"
    text = " ".join(str(a) for a in args)
    dtype = "float32" if "float32" in text else ("float64" if "float64" in text else "")
    return family, dtype


def _say(key):
    family, dtype = key
    with _lock:
        if key in _said or not _state["enabled"]:
            return
        _said.add(key)
    kind = f"{family} kernels" + (f" for {dtype}" if dtype else "")
    message = f"fastmath: compiling the {kind} (first use; cached afterwards)"
    logger.info(message)
    if _interactive():
        print(message, file=sys.stderr, flush=True)


def install() -> None:
    """Listen to numba's compile events (idempotent)."""
    from numba.core import event

    class CompileNotice(event.Listener):
        """Starts a timer when a top-level fastmath kernel starts compiling."""

        def on_start(self, ev):
            depth = getattr(_local, "depth", 0)
            _local.depth = depth + 1
            dispatcher = ev.data.get("dispatcher")
            module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
            if depth or not module.startswith("fastmath.") or not _state["enabled"]:
                return
            key = describe(dispatcher, ev.data.get("args", ()))
            if key in _said:
                return
            timer = threading.Timer(DELAY_S, _say, args=(key,))
            timer.daemon = True
            timer.start()
            _local.timer = timer

        def on_end(self, ev):
            _local.depth = max(0, getattr(_local, "depth", 1) - 1)
            if _local.depth == 0:
                timer = getattr(_local, "timer", None)
                if timer is not None:
                    timer.cancel()
                    _local.timer = None

    if not any(type(l).__name__ == "CompileNotice" for l in event._registered["numba:compile"]):
        event.register("numba:compile", CompileNotice())
