"""How a V/A prediction is scored against each kind of label (shared by the V/A benchmarks).

Continuous ratings and GEMS proxies: Spearman rank correlation (SRCC); binary quadrant signs
(EMOPIA): the area under the ROC curve (AUC), the rank statistic binary labels allow.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata, spearmanr


def auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve of ``scores`` for the ``positive`` items (ties count half)."""
    positive = np.asarray(positive, bool)
    n1, n0 = positive.sum(), (~positive).sum()
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def agreement(labels: np.ndarray, predicted: np.ndarray, label_type: str) -> tuple[str, float]:
    """(metric name, value) of a prediction against labels of one kind."""
    if label_type == "binary":
        return "auc", auc(np.asarray(labels) > 0, predicted)
    if len(labels) < 3:
        return "srcc", float("nan")
    return "srcc", float(spearmanr(labels, predicted).statistic)
