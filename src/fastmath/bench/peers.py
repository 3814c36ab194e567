"""Optional peers: imported when installed, otherwise reported as skipped."""
from __future__ import annotations

import importlib


def optional(module: str):
    """Return ``(module, None)`` or ``(None, reason)`` when it cannot be imported."""
    try:
        return importlib.import_module(module), None
    except Exception as exc:  # noqa: BLE001 - any import failure means "not available"
        return None, f"{module} not installed ({type(exc).__name__}: {exc})"


def torch_peer():
    """torch, on fastmath's thread count like the rest of the comparison, or None and why."""
    torch, why = optional("torch")
    if torch is not None:
        from .._config.threads import get_num_threads

        torch.set_num_threads(get_num_threads())
    return torch, why


def add_torch(case, make):
    """Add the torch peer to ``case`` (``make(torch)`` builds its call), or record why not."""
    torch, why = torch_peer()
    if torch is None:
        case.skipped["torch"] = why
    else:
        case.peers["torch"] = make(torch)
    return case
