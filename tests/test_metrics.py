"""Metrics against straightforward reference computations written here (scipy.stats, plain Python)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from affectzoo.metrics import KRCC, MAE, PLCC, RMSE, SRCC, HitRateAtK, MAPAtK, NDCGAtK, ThresholdAccuracy

rng = np.random.default_rng(0)


def batched(metric, preds, target, *extra, batches=3):
    """Feed the metric in several updates, as a validation epoch does."""
    for chunk in zip(*(np.array_split(np.asarray(a), batches) for a in (preds, target, *extra))):
        metric.update(*(torch.as_tensor(c) for c in chunk))
    return metric.compute().item()


@pytest.mark.parametrize("metric, reference", [
    (SRCC, lambda p, t: stats.spearmanr(p, t).statistic),
    (PLCC, lambda p, t: stats.pearsonr(p, t).statistic),
    (KRCC, lambda p, t: stats.kendalltau(p, t, variant="b").statistic),
])
def test_correlations_match_scipy_and_keep_their_sign(metric, reference):
    target = rng.random(40).astype(np.float32)
    preds = (0.7 * target + 0.3 * rng.random(40)).astype(np.float32)
    assert batched(metric(), preds, target) == pytest.approx(reference(preds, target), abs=1e-5)
    # a model that ranks backwards scores negative, never abs()
    backwards = batched(metric(), -preds, target)
    assert backwards < 0 and backwards == pytest.approx(reference(-preds, target), abs=1e-5)


def test_krcc_with_ties_is_tau_b():
    preds = np.array([1, 1, 2, 3, 3, 3, 4], dtype=np.float32)
    target = np.array([1, 2, 2, 3, 4, 4, 5], dtype=np.float32)
    assert batched(KRCC(), preds, target, batches=2) == pytest.approx(stats.kendalltau(preds, target).statistic,
                                                                       abs=1e-5)


def test_correlations_accept_column_predictions():
    preds, target = torch.rand(10, 1), torch.rand(10)
    metric = SRCC()
    metric.update(preds, target)
    assert metric.compute().item() == pytest.approx(stats.spearmanr(preds[:, 0], target).statistic, abs=1e-5)


def test_mae_rmse():
    preds, target = rng.random(30).astype(np.float32), rng.random(30).astype(np.float32)
    assert batched(MAE(), preds, target) == pytest.approx(np.abs(preds - target).mean(), abs=1e-6)
    assert batched(RMSE(), preds, target) == pytest.approx(math.sqrt(((preds - target) ** 2).mean()), abs=1e-6)


def test_threshold_accuracy():
    preds = np.array([0.1, 0.5, 0.7, 0.49, 0.9], dtype=np.float32)
    target = np.array([0.2, 0.6, 0.3, 0.51, 0.95], dtype=np.float32)
    # same side of 0.5: yes, yes, no, no, yes
    assert batched(ThresholdAccuracy(0.5), preds, target, batches=2) == pytest.approx(3 / 5)
    assert batched(ThresholdAccuracy(0.15), preds, target, batches=2) == pytest.approx(4 / 5)


# ---- retrieval: plain-Python references ----

def ranked(preds, target):
    order = sorted(range(len(preds)), key=lambda i: -preds[i])
    return [target[i] for i in order]


def ap_at_k(preds, target, k):
    """Mean of precision@i over the relevant items within the top k (torchmetrics' AP@k definition)."""
    hits, precisions = 0, []
    for i, rel in enumerate(ranked(preds, target)[:k], start=1):
        if rel:
            hits += 1
            precisions.append(hits / i)
    return sum(precisions) / len(precisions) if precisions else 0.0


def hr_at_k(preds, target, k):
    return float(any(ranked(preds, target)[:k]))


def ndcg_at_k(preds, target, k):
    dcg = sum(rel / math.log2(i + 2) for i, rel in enumerate(ranked(preds, target)[:k]))
    ideal = sum(rel / math.log2(i + 2) for i, rel in enumerate(sorted(target, reverse=True)[:k]))
    return dcg / ideal


def queries(n_queries=6, n_items=12, graded=False, seed=0):
    """Cosine-like scores in [-1, 1] (many negative), sparse unsorted query ids, shuffled rows."""
    gen = np.random.default_rng(seed)
    ids = gen.choice(np.arange(-50, 1000), size=n_queries, replace=False)
    rows = []
    for q in ids:
        scores = gen.uniform(-1, 1, n_items)
        target = gen.integers(0, 4 if graded else 2, n_items)
        target[gen.integers(n_items)] = 1  # at least one relevant item
        rows += [(float(s), int(t), int(q)) for s, t in zip(scores, target)]
    gen.shuffle(rows)
    preds, target, index = (np.array(c) for c in zip(*rows))
    return preds.astype(np.float32), target, index


def per_query_mean(fn, preds, target, index, k):
    return float(np.mean([fn(list(preds[index == q]), list(target[index == q]), k) for q in np.unique(index)]))


@pytest.mark.parametrize("k", [1, 3, 10])
@pytest.mark.parametrize("metric, reference, graded", [
    (MAPAtK, ap_at_k, False), (HitRateAtK, hr_at_k, False), (NDCGAtK, ndcg_at_k, True)])
def test_retrieval_matches_reference_with_negative_scores_and_sparse_ids(metric, reference, graded, k):
    preds, target, index = queries(graded=graded)
    value = batched(metric(k, empty_target_action="error"), preds, target, index, batches=4)
    assert value == pytest.approx(per_query_mean(reference, preds, target, index, k), abs=1e-5)


def test_map_is_invariant_to_an_order_preserving_shift():
    preds, target, index = queries()
    low = batched(MAPAtK(5, empty_target_action="error"), preds - 10.0, target, index)
    high = batched(MAPAtK(5, empty_target_action="error"), preds + 10.0, target, index)
    assert low == pytest.approx(high, abs=1e-6)


@pytest.mark.parametrize("bad_k", [0, -1, 2.5, True])
def test_top_k_is_validated(bad_k):
    with pytest.raises(ValueError, match="top_k must be a positive integer"):
        MAPAtK(bad_k, empty_target_action="skip")


def test_top_k_larger_than_a_candidate_list_is_an_error():
    metric = HitRateAtK(5, empty_target_action="skip")
    metric.update(torch.rand(3), torch.tensor([0, 1, 0]), torch.tensor([7, 7, 7]))
    with pytest.raises(ValueError, match="query 7 has 3 candidates, fewer than top_k=5"):
        metric.compute()


def test_empty_target_action_must_be_explicit_and_is_applied():
    with pytest.raises(TypeError):
        MAPAtK(2)  # no silent default
    preds = torch.tensor([0.9, 0.1, 0.8, 0.2])
    target = torch.tensor([1, 0, 0, 0])
    index = torch.tensor([0, 0, 1, 1])  # query 1 has no relevant item
    results = {}
    for action in ("skip", "neg", "pos"):
        metric = MAPAtK(2, empty_target_action=action)
        metric.update(preds, target, index)
        results[action] = metric.compute().item()
    assert results == {"skip": 1.0, "neg": 0.5, "pos": 1.0}
    metric = MAPAtK(2, empty_target_action="error")
    metric.update(preds, target, index)
    with pytest.raises(ValueError, match="query 1 has no relevant item"):
        metric.compute()


def test_query_split_across_updates_is_ranked_as_one_list():
    metric = MAPAtK(2, empty_target_action="error")
    metric.update(torch.tensor([-0.5]), torch.tensor([1]), torch.tensor([42]))
    metric.update(torch.tensor([-0.1]), torch.tensor([0]), torch.tensor([42]))
    assert metric.compute().item() == pytest.approx(0.5)  # relevant item ranked second


def test_bad_retrieval_inputs():
    metric = MAPAtK(1, empty_target_action="skip")
    with pytest.raises(ValueError, match="binary relevance"):
        metric.update(torch.rand(2), torch.tensor([2, 0]), torch.tensor([0, 0]))
    with pytest.raises(ValueError, match="integers"):
        metric.update(torch.rand(2), torch.tensor([1, 0]), torch.tensor([0.0, 0.0]))
    with pytest.raises(ValueError, match="differ in size"):
        metric.update(torch.rand(3), torch.tensor([1, 0]), torch.tensor([0, 0]))
