"""Metrics that evaluate models: classification curves and scores, recommender rankings."""
from .classification import (accuracy_score, average_precision_score, confusion_matrix, log_loss,
                             precision_recall_curve, roc_auc_score, roc_curve)
from .ranking import (AUC_at_k, auc_at_k, mae, map_at_k, mean_average_precision_at_k, ndcg_at_k,
                      precision_at_k, ranking_metrics_at_k, recall_at_k, rmse)

__all__ = ["AUC_at_k", "accuracy_score", "auc_at_k", "average_precision_score",
           "confusion_matrix", "log_loss", "mae", "map_at_k", "mean_average_precision_at_k",
           "ndcg_at_k", "precision_at_k", "precision_recall_curve", "ranking_metrics_at_k",
           "recall_at_k", "rmse", "roc_auc_score", "roc_curve"]
