"""Shared by the asv benchmark classes."""


def warm_all(bench, *params):
    """Run every ``time_*`` / ``peakmem_*`` method of ``bench`` once.

    On a clean checkout the first call compiles the kernel; doing that in
    ``setup`` keeps compilation out of the timed runs.
    """
    for name in dir(bench):
        if name.startswith(("time_", "peakmem_")):
            getattr(bench, name)(*params)
