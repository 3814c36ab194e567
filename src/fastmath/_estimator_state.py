"""One rule for every fitted model: a fit or update that raises leaves the model as it was."""
from __future__ import annotations

import copy
from contextlib import contextmanager


@contextmanager
def unchanged_on_error(estimator, deep: bool = False):
    """Restore ``estimator``'s attributes if the block raises.

    ``deep=True`` also restores objects the block mutates in place (running
    statistics, reservoirs); without it only rebinding attributes is undone.
    """
    before = copy.deepcopy(estimator.__dict__) if deep else dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(before)
        raise
