"""A tag vote for music arousal: a few of a tagger's own tags, chosen because they order every source.

musicnn's taggers were trained on hundreds of thousands of tagged songs; tags such as ``fast``,
``dance``, ``slow`` or ``quiet`` already order clips by arousal within classical, rock, game-music
MIDI and pop-piano collections alike. A head fitted on all of a clip's standardised features
instead learns what separates the labelled sources at hand (MIDI renders against recordings) and
ranks a new collection of real recordings worse than a hand feature does. The vote keeps the
tagger's knowledge and fits only which tags to read:

1. per training source, the Spearman correlation of every candidate tag (a musicnn tag's mean over
   the clip's patches) with the arousal labels;
2. the source-balanced mean of those correlations ranks the tags; the ``k`` highest count for
   arousal, the ``k`` lowest against it;
3. ``k`` (1..``max_tags``) is chosen by leave-one-source-out within the training sources: each
   source is scored by a vote whose tags were ranked on the other sources, and the ``k`` with the
   best mean score wins (the smaller on ties). With one source there is nothing to hold out and
   ``k`` is 1.

The vote is ``mean(z[positive]) - mean(z[negative])`` over the standardised features ``z``, a fixed
linear map saved as a buffer with the weights; its scale and offset on the V/A scale are trained.
"""

from __future__ import annotations

import torch
from scipy.stats import rankdata
from torch import Tensor, nn


def average_ranks(x: Tensor) -> Tensor:
    """Ranks of ``x`` ``[N, D]`` along dim 0, ties sharing their mean rank (as Spearman's rho needs)."""
    return torch.from_numpy(rankdata(x.detach().cpu().double().numpy(), axis=0)).to(x.device)


def spearman_columns(x: Tensor, y: Tensor) -> Tensor:
    """Spearman's rho of every column of ``x`` ``[N, D]`` with ``y`` ``[N]``; 0 where a side is constant."""
    rx = average_ranks(x.double())
    ry = average_ranks(y.double()[:, None])
    rx = rx - rx.mean(0)
    ry = ry - ry.mean(0)
    denominator = (rx.square().sum(0) * ry.square().sum(0)).sqrt()
    rho = (rx * ry).sum(0) / denominator.clamp(min=1e-12)
    return torch.where(denominator > 0, rho, torch.zeros_like(rho))


def vote_weights(correlations: Tensor, k: int) -> Tensor:
    """``+1/k`` on the ``k`` best-correlated candidates, ``-1/k`` on the ``k`` worst, 0 elsewhere."""
    order = correlations.argsort()
    weights = torch.zeros_like(correlations)
    weights[order[-k:]] = 1.0 / k
    weights[order[:k]] = -1.0 / k
    return weights


def _spearman(a: Tensor, b: Tensor) -> float:
    return float(spearman_columns(a[:, None], b)[0])


def choose_vote(candidates: Tensor, arousal: Tensor, sources: Tensor, max_tags: int) -> tuple[Tensor, int, dict]:
    """Fit the vote: ``candidates`` ``[N, C]`` (standardised tag features), ``arousal`` ``[N]``, ``sources`` ``[N]``.

    Returns the weights ``[C]``, the chosen ``k`` and the inner leave-one-source-out score of every ``k``.
    """
    if max_tags < 1 or 2 * max_tags > candidates.shape[1]:
        raise ValueError(f"max_tags must be between 1 and {candidates.shape[1] // 2}, got {max_tags}")
    candidates, arousal = candidates.double(), arousal.double()
    codes = sources.unique().tolist()
    per_source = {code: spearman_columns(candidates[sources == code], arousal[sources == code]) for code in codes}
    ranking = torch.stack(list(per_source.values())).mean(0)
    if len(codes) < 2:
        return vote_weights(ranking, 1), 1, {}
    # each source's tags ranked on the other sources alone (the same for every k)
    ranked_without = {code: torch.stack([per_source[o] for o in codes if o != code]).mean(0) for code in codes}
    inner = {}
    for k in range(1, max_tags + 1):
        scores = [_spearman(candidates[sources == code] @ vote_weights(ranked_without[code], k),
                            arousal[sources == code]) for code in codes]
        inner[k] = sum(scores) / len(scores)
    best = max(inner, key=lambda k: (inner[k], -k))
    return vote_weights(ranking, best), best, inner


class TagVote(nn.Module):
    """The fitted vote over a side's standardised feature vector, and its trained scale and offset.

    ``candidates`` are the positions of the candidate tags in that vector. :meth:`fit` is called once
    on the training rows; the weights are buffers (saved, not trained).
    """

    def __init__(self, dim: int, candidates: list[int], max_tags: int) -> None:
        super().__init__()
        self.register_buffer("candidates", torch.tensor(candidates, dtype=torch.long))
        self.register_buffer("weights", torch.zeros(dim))
        self.register_buffer("fitted", torch.zeros((), dtype=torch.bool))
        self.max_tags = max_tags
        self.scale = nn.Parameter(torch.tensor(0.5))
        self.offset = nn.Parameter(torch.zeros(()))

    def fit(self, standardized: Tensor, arousal: Tensor, sources: Tensor) -> dict:
        """Choose the tags on training rows; returns the inner scores per ``k``."""
        weights, k, inner = choose_vote(standardized[:, self.candidates], arousal, sources, self.max_tags)
        self.weights.zero_()
        self.weights[self.candidates] = weights.to(self.weights)
        self.fitted.fill_(True)
        return {"k": k, "inner_srcc": inner}

    def forward(self, standardized: Tensor) -> Tensor:
        """Arousal before the squashing: ``scale * vote + offset`` ``[B]``."""
        return self.scale * (standardized @ self.weights) + self.offset

    def chosen(self) -> tuple[list[int], list[int]]:
        """Positions (in the side's vector) voting for and against arousal."""
        return (torch.nonzero(self.weights > 0).flatten().tolist(), torch.nonzero(self.weights < 0).flatten().tolist())
