import sys

from . import quiet_idle_workers

quiet_idle_workers()  # before .cli imports NumPy

from .cli import main  # noqa: E402

sys.exit(main())
