"""Statistics: streaming moments, scaling, Mahalanobis distances, t-tests."""
from .mahalanobis import mahalanobis
from .moments import RunningMoments
from .scaling import median_abs_deviation, robust_zscore, zscore
from .ttest import TtestResult, ttest_ind

__all__ = ["RunningMoments", "TtestResult", "mahalanobis", "median_abs_deviation",
           "robust_zscore", "ttest_ind", "zscore"]
