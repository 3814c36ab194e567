"""asv benchmarks of the recommender family: ALS and SGDMF fits, top-N, ranking metrics."""
import numpy as np

from fastmath.datasets import (make_explicit_ratings, make_implicit_interactions,
                               train_test_split_interactions)
from fastmath.metrics import precision_at_k
from fastmath.recommend import ALS, SGDMF

from ._warm import warm_all


class ALSFit:
    param_names = ["solver", "factors"]
    params = [["cg", "cholesky"], [32, 64]]
    timeout = 600

    def setup(self, solver, factors):
        self.data = make_implicit_interactions(20_000, 8_000, 500_000, random_state=0)
        self.model = ALS(factors=factors, iterations=2, solver=solver, random_state=0,
                         show_progress=False)
        warm_all(self, solver, factors)

    def time_fit(self, solver, factors):
        self.model.fit(self.data)

    def peakmem_fit(self, solver, factors):
        self.model.fit(self.data)


class SGDMFFit:
    timeout = 600

    def setup(self):
        self.data = make_explicit_ratings(20_000, 10_000, 500_000, random_state=0)
        self.model = SGDMF(factors=100, epochs=2, random_state=0, show_progress=False)
        warm_all(self)

    def time_fit(self):
        self.model.fit(self.data)

    def peakmem_fit(self):
        self.model.fit(self.data)


class RecommendAndEvaluate:
    timeout = 600

    def setup(self):
        data = make_implicit_interactions(20_000, 8_000, 500_000, random_state=0)
        self.train, self.test = train_test_split_interactions(data, 0.2, random_state=0)
        self.model = ALS(factors=32, iterations=2, random_state=0, show_progress=False)
        self.model.fit(self.train)
        self.users = np.arange(5_000)
        warm_all(self)

    def time_recommend_5000_users(self):
        self.model.recommend(self.users, self.train[self.users], N=10)

    def time_precision_at_10(self):
        precision_at_k(self.model, self.train, self.test, K=10)
