"""Collaborative filtering by matrix factorization: ALS and SGD, and a popularity baseline."""
from .als import ALS
from .popular import MostPopular
from .sgdmf import SGDMF

__all__ = ["ALS", "MostPopular", "SGDMF"]
