"""Warnings of the statistics family: SciPy's own classes, so filters written for SciPy apply."""
try:
    from scipy.stats._axis_nan_policy import SmallSampleWarning
except ImportError:  # pragma: no cover - older or newer SciPy
    class SmallSampleWarning(RuntimeWarning):
        """A sample is too small for the statistic: the results are NaN."""

TOO_SMALL = ("One or more sample arguments is too small; all returned values will be NaN. "
             "See documentation for sample size requirements.")

__all__ = ["SmallSampleWarning", "TOO_SMALL"]
