"""Collaborative filtering by matrix factorization: ALS and SGD."""
from .als import ALS
from .sgdmf import SGDMF

__all__ = ["ALS", "SGDMF"]
