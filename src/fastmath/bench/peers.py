"""Optional peers: imported when installed, otherwise reported as skipped."""
from __future__ import annotations

import importlib
import os
import tempfile


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
        from .. import get_num_threads

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


def surprise_peer():
    """scikit-surprise, or None and why; its import no longer leaves ``~/.surprise_data``.

    surprise creates its data folder when imported; unless the user chose one
    (``SURPRISE_DATA_FOLDER``), it goes to a temporary folder removed at once.
    """
    if "SURPRISE_DATA_FOLDER" in os.environ:
        return optional("surprise")
    with tempfile.TemporaryDirectory(prefix="fastmath-surprise-") as folder:
        os.environ["SURPRISE_DATA_FOLDER"] = folder
        try:
            return optional("surprise")
        finally:
            del os.environ["SURPRISE_DATA_FOLDER"]
