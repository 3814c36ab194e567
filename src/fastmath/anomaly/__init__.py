"""Outlier detectors with scikit-learn's API, for fraud detection and monitoring."""
from .detectors import MahalanobisDetector, RobustZScoreDetector, ZScoreDetector

__all__ = ["MahalanobisDetector", "RobustZScoreDetector", "ZScoreDetector"]
