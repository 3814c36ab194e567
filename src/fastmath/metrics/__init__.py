"""Metrics that evaluate models: ranking metrics for recommenders, rating errors."""
from .ranking import (auc_at_k, mae, map_at_k, ndcg_at_k, precision_at_k, ranking_metrics_at_k,
                      recall_at_k, rmse)

__all__ = ["auc_at_k", "mae", "map_at_k", "ndcg_at_k", "precision_at_k",
           "ranking_metrics_at_k", "recall_at_k", "rmse"]
