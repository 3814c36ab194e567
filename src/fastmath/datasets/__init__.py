"""Data for the recommender family: generators, a MovieLens reader, a per-user split."""
from .interactions import (make_explicit_ratings, make_implicit_interactions,
                           train_test_split_interactions)
from .movielens import load_movielens

__all__ = ["load_movielens", "make_explicit_ratings", "make_implicit_interactions",
           "train_test_split_interactions"]
