"""Colour-emotion model: which of Russell's eight emotions a colour (and a palette) expresses.

Fitted to two human data sets (readers in ``affectzoo.data.readers_palettes``):

* Bottini lab, experiment 4: 73 participants each picked a colour on an RGB wheel for 27 emotion
  words. Each of the eight categories takes the picks of the word that names it
  (``DEFAULT_WORD_MAP``); the study has no word "content", so content takes "satisfied", which
  Russell (1980) scaled next to content (both pleasant and low in arousal). The other 19 words (uncertain,
  pity, disgusted, frustrated, jealous, bored, surprised, stressed, tired, curious, sleepy, serene,
  alarmed, guilty, generous, astonished, interested, shy, empathetic) are left out, so every
  category rests on the same number of picks of its own word.
* Berkeley Color Project (BCP-37): mean happy / sad / angry association ratings of 37 colours.

Model. For each category k a density over CIELab is estimated with Gaussian kernels of one
bandwidth h (Euclidean Lab distance, i.e. CIE76 units):

    p_k(x) = (1 - w) * mean_i N(x; pick_i, h^2 I)  +  w * sum_j beta_jk N(x; bcp_j, h^2 I)

where the second term exists for happy, sad and angry only: beta_jk is the BCP colour j's rating
for k, standardised over the 37 colours, floored at 0 (only colours more associated than average
count) and normalised to sum to 1, i.e. a rating-weighted kernel density over the BCP colours.
With ``bcp_weight`` w = 0.5 the two studies have an equal say where both measured the category.
A colour's emotion is the posterior under a uniform prior, P(k | x) = p_k(x) / sum_j p_j(x): an
8-vector that sums to 1, smooth and differentiable in x (usable in a training loss). A palette's
emotion is the mean of its colours' vectors.

Fitting chooses h from a small grid by leave-one-subject-out cross-entropy of the Bottini picks'
categories (each participant's picks are scored by a model built without that participant); the
chosen h and its held-out cross-entropy and accuracy are kept in ``fit_stats``. The fitted model is
plain data (support colours, weights, h) and round-trips through JSON with ``to_dict``/``from_dict``.
It embeds the picks and BCP colours it was fitted on; their terms (Bottini: GPL-3.0; BCP: none
stated) travel with it.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import pandas as pd
import torch
from torch import Tensor

from affectzoo.affect.color import hex_to_lab, srgb_to_lab
from affectzoo.affect.russell import CATEGORIES
from affectzoo.errors import InputError

DEFAULT_WORD_MAP: dict[str, str] = {
    "excited": "excited", "happy": "happy", "satisfied": "content", "calm": "calm",
    "depressed": "depressed", "sad": "sad", "afraid": "afraid", "angry": "angry",
}
BCP_RATED: tuple[str, ...] = ("happy", "sad", "angry")
DEFAULT_BANDWIDTHS: tuple[float, ...] = (5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 40.0)
DEFAULT_BCP_WEIGHT = 0.5
_FORMAT_VERSION = 1


def _require_columns(frame: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InputError(name, f"missing column(s) {missing}")


def _bcp_weights(ratings: pd.Series) -> Tensor:
    """Rating-weighted kernel weights: positive part of the standardised rating, normalised to sum 1."""
    values = torch.tensor(ratings.to_numpy(dtype=float), dtype=torch.float64)
    spread = values.std(unbiased=False)
    if not spread > 0:
        raise InputError("bcp37_df", f"the {ratings.name!r} ratings are constant; they carry no association")
    positive = ((values - values.mean()) / spread).clamp(min=0.0)
    return positive / positive.sum()


def _log_kernel_mixture(lab: Tensor, support: Tensor, log_weights: Tensor, bandwidth: float) -> Tensor:
    """log sum_i exp(log_w_i) N(x; support_i, h^2 I), without the Gaussian constant (it cancels)."""
    squared = ((lab.unsqueeze(-2) - support) ** 2).sum(-1)
    return torch.logsumexp(log_weights - squared / (2.0 * bandwidth**2), dim=-1)


class ColorEmotionModel:
    """Kernel-density colour -> Russell-emotion model (see module docstring). Build it with ``fit``."""

    def __init__(self, bandwidth: float, bcp_weight: float, picks: Mapping[str, Tensor], bcp_lab: Tensor,
                 bcp_weights: Mapping[str, Tensor], word_map: Mapping[str, str],
                 fit_stats: Mapping[str, object] | None = None) -> None:
        if set(picks) != set(CATEGORIES):
            raise InputError("picks", f"need picks for every category {list(CATEGORIES)}, got {sorted(picks)}")
        if not bandwidth > 0 or not 0.0 <= bcp_weight <= 1.0:
            raise InputError("model", f"bandwidth must be > 0 and bcp_weight in [0, 1], got {bandwidth}, {bcp_weight}")
        self.bandwidth = float(bandwidth)
        self.bcp_weight = float(bcp_weight)
        self.picks = {name: torch.as_tensor(picks[name], dtype=torch.float64).reshape(-1, 3) for name in CATEGORIES}
        self.bcp_lab = torch.as_tensor(bcp_lab, dtype=torch.float64).reshape(-1, 3)
        self.bcp_weights = {name: torch.as_tensor(weights, dtype=torch.float64)
                            for name, weights in bcp_weights.items()}
        self.word_map = dict(word_map)
        self.fit_stats = dict(fit_stats or {})

    # --- fitting ---------------------------------------------------------------------------

    @classmethod
    def fit(cls, bcp37_df: pd.DataFrame, bottini_df: pd.DataFrame, word_map: Mapping[str, str] = DEFAULT_WORD_MAP,
            bcp_weight: float = DEFAULT_BCP_WEIGHT,
            bandwidths: Sequence[float] = DEFAULT_BANDWIDTHS) -> "ColorEmotionModel":
        """Fit on BCP-37 ratings (``read_bcp37``) and Bottini experiment-4 picks (``read_bottini_experiment4``).

        ``word_map`` maps Bottini emotion words to categories (other words are ignored); the
        bandwidth is chosen from ``bandwidths`` by leave-one-subject-out cross-entropy.
        """
        _require_columns(bcp37_df, "bcp37_df", ["L", "a", "b", *BCP_RATED])
        _require_columns(bottini_df, "bottini_df", ["subject", "emotion", "r", "g", "b"])
        if not bandwidths:
            raise InputError("bandwidths", "need at least one candidate bandwidth")
        unknown = sorted(set(word_map.values()) - set(CATEGORIES))
        if unknown:
            raise InputError("word_map", f"maps to unknown categories {unknown}; categories are {list(CATEGORIES)}")

        used = bottini_df[bottini_df["emotion"].str.lower().isin(word_map)]
        categories = used["emotion"].str.lower().map(word_map)
        lab = srgb_to_lab(torch.tensor(used[["r", "g", "b"]].to_numpy(dtype=float), dtype=torch.float64) / 255.0)
        labels = torch.tensor([CATEGORIES.index(name) for name in categories], dtype=torch.int64)
        subjects = torch.tensor(pd.factorize(used["subject"])[0], dtype=torch.int64)
        for index, name in enumerate(CATEGORIES):
            if subjects[labels == index].unique().numel() < 2:
                raise InputError("bottini_df", f"category {name!r} needs picks from at least 2 subjects "
                                               f"(words mapped to it: {[w for w, c in word_map.items() if c == name]})")
        picks = {name: lab[labels == index] for index, name in enumerate(CATEGORIES)}
        bcp_lab = torch.tensor(bcp37_df[["L", "a", "b"]].to_numpy(dtype=float), dtype=torch.float64)
        bcp_weights = {name: _bcp_weights(bcp37_df[name]) for name in BCP_RATED}

        scores = {h: cls._held_out_scores(lab, labels, subjects, bcp_lab, bcp_weights, bcp_weight, h)
                  for h in bandwidths}
        best = max(scores, key=lambda h: scores[h][0])
        fit_stats = {
            "bandwidth_grid": [float(h) for h in bandwidths],
            "held_out_log_likelihood": {str(float(h)): score[0] for h, score in scores.items()},
            "held_out_cross_entropy": -scores[best][0],
            "held_out_accuracy": scores[best][1],
            "chance_cross_entropy": math.log(len(CATEGORIES)),
            "n_picks": {name: int(picks[name].shape[0]) for name in CATEGORIES},
            "n_subjects": int(subjects.unique().numel()),
            "n_bcp_colors": int(bcp_lab.shape[0]),
        }
        return cls(best, bcp_weight, picks, bcp_lab, bcp_weights, word_map, fit_stats)

    @staticmethod
    def _held_out_scores(lab: Tensor, labels: Tensor, subjects: Tensor, bcp_lab: Tensor,
                         bcp_weights: Mapping[str, Tensor], bcp_weight: float, bandwidth: float) -> tuple[float, float]:
        """Mean log P(true category) and accuracy of each pick under a model without its participant."""
        log_kernel = -torch.cdist(lab, lab) ** 2 / (2.0 * bandwidth**2)
        log_kernel = log_kernel.masked_fill(subjects.unsqueeze(1) == subjects.unsqueeze(0), -math.inf)
        columns = []
        for index, name in enumerate(CATEGORIES):
            member = labels == index
            counts = (subjects.unsqueeze(1) != subjects[member].unsqueeze(0)).sum(1)
            log_picks = torch.logsumexp(log_kernel[:, member], dim=1) - torch.log(counts.to(lab.dtype))
            columns.append(ColorEmotionModel._mix(log_picks, lab, bcp_lab, bcp_weights.get(name), bcp_weight,
                                                  bandwidth))
        log_posterior = torch.log_softmax(torch.stack(columns, dim=-1), dim=-1)
        picked = log_posterior.gather(1, labels.unsqueeze(1)).squeeze(1)
        return picked.mean().item(), (log_posterior.argmax(-1) == labels).double().mean().item()

    @staticmethod
    def _mix(log_picks: Tensor, lab: Tensor, bcp_lab: Tensor, weights: Tensor | None, bcp_weight: float,
             bandwidth: float) -> Tensor:
        """log((1 - w) p_picks + w p_bcp) for a category with BCP ratings; log p_picks otherwise."""
        if weights is None or bcp_weight == 0.0:
            return log_picks
        weights = weights.to(lab)
        log_bcp = _log_kernel_mixture(lab, bcp_lab.to(lab), torch.log(weights), bandwidth)
        if bcp_weight == 1.0:
            return log_bcp
        return torch.logaddexp(log_picks + math.log(1.0 - bcp_weight), log_bcp + math.log(bcp_weight))

    # --- prediction ------------------------------------------------------------------------

    def predict_colors(self, lab: Tensor) -> Tensor:
        """CIELab colours [..., 3] -> emotion probabilities [..., 8] (``CATEGORIES`` order, sum 1).

        Keeps the input's dtype and device and is differentiable with respect to ``lab``.
        """
        lab = torch.as_tensor(lab)
        if not lab.is_floating_point():
            lab = lab.to(torch.get_default_dtype())
        if lab.shape[-1:] != (3,):
            raise InputError("lab", f"the last dimension must hold (L, a, b), got shape {tuple(lab.shape)}")
        columns = []
        for name in CATEGORIES:
            support = self.picks[name].to(lab)
            uniform = torch.full(support.shape[:1], -math.log(support.shape[0]), dtype=lab.dtype, device=lab.device)
            log_picks = _log_kernel_mixture(lab, support, uniform, self.bandwidth)
            columns.append(self._mix(log_picks, lab, self.bcp_lab, self.bcp_weights.get(name), self.bcp_weight,
                                     self.bandwidth))
        return torch.softmax(torch.stack(columns, dim=-1), dim=-1)

    def palette_emotion(self, palette: Sequence[str] | Tensor) -> Tensor:
        """A palette (list of hex colours, or CIELab [..., n, 3]) -> its emotion vector [..., 8].

        The mean of the colours' emotion probabilities: every colour of the palette counts equally.
        """
        lab = hex_to_lab(list(palette)) if not isinstance(palette, Tensor) else palette
        if lab.dim() < 2:
            raise InputError("palette", f"expected colours [..., n, 3], got shape {tuple(lab.shape)}")
        return self.predict_colors(lab).mean(dim=-2)

    # --- storage ---------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """JSON-ready description of the fitted model (exact: floats round-trip through JSON)."""
        return {
            "format_version": _FORMAT_VERSION,
            "categories": list(CATEGORIES),
            "bandwidth": self.bandwidth,
            "bcp_weight": self.bcp_weight,
            "word_map": self.word_map,
            "picks_lab": {name: self.picks[name].tolist() for name in CATEGORIES},
            "bcp_lab": self.bcp_lab.tolist(),
            "bcp_weights": {name: weights.tolist() for name, weights in self.bcp_weights.items()},
            "fit_stats": self.fit_stats,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> "ColorEmotionModel":
        """Rebuild a model stored by ``to_dict``."""
        if data.get("format_version") != _FORMAT_VERSION or list(data.get("categories", [])) != list(CATEGORIES):
            raise InputError("colour-emotion model", f"unsupported format (version {data.get('format_version')!r}, "
                                                     f"categories {data.get('categories')!r})")
        try:
            return cls(data["bandwidth"], data["bcp_weight"], data["picks_lab"], data["bcp_lab"],
                       data["bcp_weights"], data["word_map"], data.get("fit_stats"))
        except KeyError as error:
            raise InputError("colour-emotion model", f"missing field {error}") from None


__all__ = ["BCP_RATED", "DEFAULT_BANDWIDTHS", "DEFAULT_BCP_WEIGHT", "DEFAULT_WORD_MAP", "ColorEmotionModel"]
