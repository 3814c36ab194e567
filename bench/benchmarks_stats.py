"""asv benchmarks of the statistics family: curve metrics, Mahalanobis, moments, detectors."""
import numpy as np

from fastmath import anomaly, metrics, stats

from ._warm import warm_all


class CurveMetrics:
    timeout = 600

    def setup(self):
        rng = np.random.default_rng(0)
        self.y = rng.random(1_000_000) < 0.1
        self.s = rng.random(1_000_000) + 0.5 * self.y
        warm_all(self)

    def time_roc_auc_score(self):
        metrics.roc_auc_score(self.y, self.s)

    def time_average_precision_score(self):
        metrics.average_precision_score(self.y, self.s)

    def peakmem_roc_curve(self):
        metrics.roc_curve(self.y, self.s)


class Moments:
    param_names = ["dtype"]
    params = [["float32", "float64"]]
    timeout = 600

    def setup(self, dtype):
        rng = np.random.default_rng(0)
        self.X = rng.standard_normal((1_000_000, 32)).astype(dtype)
        self.cov = np.cov(self.X[:10_000].T.astype(np.float64))
        self.mean = self.X[:10_000].mean(axis=0, dtype=np.float64)
        warm_all(self, dtype)

    def time_running_moments(self, dtype):
        stats.RunningMoments().update(self.X)

    def time_mahalanobis(self, dtype):
        stats.mahalanobis(self.X, self.mean, self.cov)

    def peakmem_mahalanobis(self, dtype):
        stats.mahalanobis(self.X, self.mean, self.cov)


class Detectors:
    param_names = ["detector"]
    params = [["ZScoreDetector", "RobustZScoreDetector", "MahalanobisDetector"]]
    timeout = 600

    def setup(self, detector):
        self.X = np.random.default_rng(0).standard_normal((200_000, 16))
        self.detector = getattr(anomaly, detector)()
        warm_all(self, detector)

    def time_fit_predict(self, detector):
        self.detector.fit(self.X).predict(self.X)
