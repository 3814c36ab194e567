"""Linear models trained by SGD: drop-ins for scikit-learn's SGD estimators."""
from .classifier import SGDClassifier
from .regressor import SGDRegressor

__all__ = ["SGDClassifier", "SGDRegressor"]
