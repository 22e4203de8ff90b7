"""Colour-palette metrics of Music2Palette (Hu et al., ACM MM 2025, Table 1): Div, Multi, CHO, BC, ES, JS.

The paper names these six metrics without writing out their formulas. The definitions below are
ours, stated exactly so that numbers from different runs and models can be compared.

Inputs. A palette batch is a CIELab tensor ``[B, N, 3]`` padded to N colours, with an optional
long tensor ``lengths [B]`` (colours at index >= length are ignored; without it all N count). An
emotion batch is ``[B, 8]``, non-negative, in ``affectzoo.affect.russell.CATEGORIES`` order.
dE00 is CIEDE2000 (``affectzoo.affect.color.delta_e_2000``, reference weights kL = kC = kH = 1).
Every metric is a mean over items (palettes, music items or pairs) in which each item weighs equally.

* Div, :class:`PaletteDiversity` (higher = more varied palette). For a palette with valid colours
  c_1..c_n (n >= 2): div = mean over pairs i < j of dE00(c_i, c_j). Mean over palettes.
* Multi, :class:`PaletteMultiplicity` (higher = more varied outputs for the same music).
  ``update(palettes [B, S, N, 3], lengths [B, S])``: S >= 2 palettes generated for one music item
  with different noise. :func:`palette_distance` (P, Q) = mean of dE00(p_i, q_sigma(i)) over the
  one-to-one assignment sigma that minimises the summed dE00 (``scipy.optimize.linear_sum_assignment``;
  with unequal sizes every colour of the smaller palette is matched, once). multi = mean of
  palette_distance over the S(S-1)/2 pairs of samples. Mean over music items.
* CHO, :class:`ConvexHullOverlap` (higher = predicted colours fill the same region as the ground
  truth). Each palette's colours X are first dilated to X + {0, +-t e_L, +-t e_a, +-t e_b}
  (t = ``thickness`` in dE units, default 1), so that 3 or coplanar colours still enclose a volume and
  identical palettes score exactly 1. With H(X) the convex hull in CIELab (the Cartesian form of
  LCh, so hue wraps), cho = vol(H(P) ∩ H(G)) / (vol(H(P)) + vol(H(G)) - vol(H(P) ∩ H(G))), the
  hulls' IoU, 0 when they do not overlap. Mean over (prediction, ground truth) pairs.
  ``method="exact"``: volumes from ``scipy.spatial.ConvexHull``; the intersection is the
  ``HalfspaceIntersection`` of both hulls' facet inequalities around their Chebyshev centre
  (``scipy.optimize.linprog``); no interior point (centre radius < 1e-7) means an empty intersection.
  ``method="monte_carlo"``: ``samples`` points uniform in the bounding box of both dilated point
  sets, inside-tests by ``scipy.spatial.Delaunay.find_simplex``; cho = n_both / n_either. Given
  n_either, n_both is binomial, so a pair's standard error is sqrt(cho (1 - cho) / n_either); pairs
  are sampled independently, so the standard error of the mean over n pairs is
  sqrt(sum of squared errors) / n, left in ``std_error`` by ``compute()`` (0 in exact mode). A
  pair's samples come from a generator seeded by ``seed`` and the pair's colours, so the estimate
  does not depend on batching or order.
* BC, :class:`PaletteBhattacharyya` (higher = same colour distribution). Each valid colour, in
  LCh, falls into one of 4 x 3 x 6 = 72 bins: L over [0, 100] in 4 bins of 25, C over [0, 150] in 3
  bins of 50, h over [0, 360) in 6 bins of 60 degrees taken modulo 360; values outside the L and C
  ranges clamp into the end bins; greys have hue 0. p and q are the histograms of the predicted and
  ground-truth palettes, each colour counting 1/n; bc = sum_k sqrt(p_k q_k) (1 = same histogram,
  0 = no shared bin). Mean over pairs.
* ES, :class:`EmotionSimilarity` (higher better). es = cosine(music, palette) of the two emotion
  vectors, 0 when either is the zero vector. Mean over pairs.
* JS, :class:`EmotionJensenShannon` (lower better). Each emotion vector is normalised to a
  distribution (a zero vector becomes the uniform distribution); js = (KL(p || m) + KL(q || m)) / 2
  with m = (p + q) / 2 and logarithms base 2, so js lies in [0, 1]. Mean over pairs.
"""

from __future__ import annotations

import itertools
import math
import zlib

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment, linprog
from scipy.spatial import ConvexHull, Delaunay, HalfspaceIntersection, QhullError
from torch import Tensor
from torchmetrics import Metric

from affectzoo.affect.color import delta_e_2000, lab_to_lch
from affectzoo.affect.russell import CATEGORIES, emotion_similarity
from affectzoo.errors import InputError

#: Bins of the BC histogram: (upper end of the range, number of bins) for L and C, and hue bins.
L_BINS, C_BINS, H_BINS = (100.0, 4), (150.0, 3), 6
_CHEBYSHEV_MIN_RADIUS = 1e-7


def _check_palettes(metric: str, name: str, palettes, lengths, layout: str = "[B, N, 3]",
                    min_colors: int = 1) -> tuple[Tensor, Tensor]:
    """Validate a padded palette batch of shape ``layout`` and its lengths -> (float64 Lab, long lengths)."""
    palettes = torch.as_tensor(palettes)
    lead = layout.count(",") - 1
    if palettes.ndim != lead + 2 or palettes.shape[-1] != 3 or not palettes.is_floating_point():
        raise InputError(metric, f"{name} must be a float CIELab tensor of shape {layout}, "
                                 f"got {palettes.dtype} of shape {tuple(palettes.shape)}")
    if not torch.isfinite(palettes).all():
        raise InputError(metric, f"{name} holds NaN or infinite values")
    size = palettes.shape[-2]
    if lengths is None:
        lengths = torch.full(palettes.shape[:-2], size, dtype=torch.long, device=palettes.device)
    lengths = torch.as_tensor(lengths, device=palettes.device)
    if lengths.shape != palettes.shape[:-2] or lengths.is_floating_point() or lengths.dtype == torch.bool:
        raise InputError(metric, f"{name} lengths must be an integer tensor of shape {tuple(palettes.shape[:-2])}, "
                                 f"got {lengths.dtype} of shape {tuple(lengths.shape)}")
    if ((lengths < min_colors) | (lengths > size)).any():
        raise InputError(metric, f"{name} lengths must lie in [{min_colors}, {size}], got {lengths.tolist()}")
    return palettes.detach().double(), lengths.long()


def _check_pair(metric: str, preds, target, preds_lengths, target_lengths):
    """Validate a (prediction, ground truth) palette batch pair with the same number of palettes."""
    preds, preds_lengths = _check_palettes(metric, "preds", preds, preds_lengths)
    target, target_lengths = _check_palettes(metric, "target", target, target_lengths)
    if preds.shape[0] != target.shape[0]:
        raise InputError(metric, f"preds and target hold different numbers of palettes: "
                                 f"{tuple(preds.shape)} vs {tuple(target.shape)}")
    return preds, preds_lengths, target, target_lengths


def _check_emotions(metric: str, music, palette) -> tuple[Tensor, Tensor]:
    """Validate two ``[B, 8]`` non-negative emotion batches -> float64 tensors."""
    checked = []
    for name, vectors in (("music", music), ("palette", palette)):
        vectors = torch.as_tensor(vectors)
        if vectors.ndim != 2 or vectors.shape[1] != len(CATEGORIES):
            raise InputError(metric, f"{name} emotion vectors must have shape [B, {len(CATEGORIES)}], "
                                     f"got {tuple(vectors.shape)}")
        vectors = vectors.detach().double()
        if not torch.isfinite(vectors).all() or (vectors < 0).any():
            raise InputError(metric, f"{name} emotion vectors must be finite and non-negative")
        checked.append(vectors)
    if checked[0].shape != checked[1].shape:
        raise InputError(metric, f"music and palette differ in shape: {tuple(checked[0].shape)} vs "
                                 f"{tuple(checked[1].shape)}")
    return checked[0], checked[1]


def palette_distance(a, b) -> float:
    """Mean dE00 of the optimal one-to-one matching of palette ``a [N, 3]`` to ``b [M, 3]`` (CIELab).

    The matching minimises the summed CIEDE2000 (Hungarian method); with N != M each colour of the
    smaller palette is matched to a distinct colour of the larger. Symmetric, 0 for the same colours
    in any order.
    """
    a, b = torch.as_tensor(a).detach().double(), torch.as_tensor(b).detach().double()
    for name, palette in (("a", a), ("b", b)):
        if palette.ndim != 2 or palette.shape[1] != 3 or palette.shape[0] == 0:
            raise InputError("palette_distance",
                             f"{name} must have shape [N, 3] with N >= 1, got {tuple(palette.shape)}")
    cost = delta_e_2000(a[:, None], b[None]).cpu().numpy()
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


class _MeanOverItems(Metric):
    """Mean of one score per item: states ``total`` (float64 sum) and ``count``, summed across processes."""

    full_state_update = False

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.add_state("total", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.tensor(0), dist_reduce_fx="sum")

    def _add(self, scores: Tensor) -> None:
        self.total += scores.detach().to(self.total).sum()
        self.count += scores.numel()

    def compute(self) -> Tensor:
        if self.count == 0:
            raise ValueError(f"{type(self).__name__}.compute() called before any update")
        return (self.total / self.count).float()


class PaletteDiversity(_MeanOverItems):
    """Div: mean pairwise CIEDE2000 between the colours of a palette, averaged over palettes.

    ``update(palettes [B, N, 3], lengths [B] optional)``; every palette needs at least 2 colours.
    A palette of near-identical colours scores near 0, so this catches collapsed generators.
    """

    higher_is_better = True

    def update(self, palettes: Tensor, lengths: Tensor | None = None) -> None:
        palettes, lengths = _check_palettes("PaletteDiversity", "palettes", palettes, lengths, min_colors=2)
        index = torch.arange(palettes.shape[1], device=palettes.device)
        valid = index < lengths[:, None]
        pairs = valid[:, :, None] & valid[:, None, :] & (index[:, None] < index[None, :])
        differences = delta_e_2000(palettes[:, :, None], palettes[:, None, :])
        self._add((differences * pairs).sum((1, 2)) / pairs.sum((1, 2)))


class PaletteMultiplicity(_MeanOverItems):
    """Multi: mean :func:`palette_distance` between S palettes sampled for the same music item.

    ``update(palettes [B, S, N, 3], lengths [B, S] optional)`` with S >= 2. Measures how much the
    noise input changes the output; the matching makes it blind to the order of the colours.
    """

    higher_is_better = True

    def update(self, palettes: Tensor, lengths: Tensor | None = None) -> None:
        palettes, lengths = _check_palettes("PaletteMultiplicity", "palettes", palettes, lengths, "[B, S, N, 3]")
        if palettes.shape[1] < 2:
            raise InputError("PaletteMultiplicity", f"needs S >= 2 samples per item, got shape {tuple(palettes.shape)}")
        scores = []
        for samples, sizes in zip(palettes, lengths.tolist()):
            distances = [palette_distance(samples[s, :sizes[s]], samples[t, :sizes[t]])
                         for s, t in itertools.combinations(range(len(sizes)), 2)]
            scores.append(sum(distances) / len(distances))
        self._add(torch.tensor(scores, dtype=torch.float64))


class ConvexHullOverlap(_MeanOverItems):
    """CHO: IoU of the convex hulls of predicted and ground-truth palette colours in CIELab.

    ``update(preds [B, N, 3], target [B, M, 3], preds_lengths [B], target_lengths [B])`` (lengths
    optional). ``method`` is ``"exact"`` (default) or ``"monte_carlo"`` (``samples`` points per pair,
    ``seed``); see the module docstring for both, the ``thickness`` dilation and the standard error.
    After ``compute()``, ``std_error`` holds the standard error of the value it returned (0 for the
    exact method). ``thickness=0`` uses the raw colours and raises for a palette spanning no volume.
    """

    higher_is_better = True

    def __init__(self, method: str = "exact", thickness: float = 1.0, samples: int = 20000, seed: int = 0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if method not in ("exact", "monte_carlo"):
            raise ValueError(f"method must be 'exact' or 'monte_carlo', got {method!r}")
        if not (math.isfinite(thickness) and thickness >= 0):
            raise ValueError(f"thickness must be a finite number >= 0, got {thickness!r}")
        for name, value, minimum in (("samples", samples, 1), ("seed", seed, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
        self.method, self.thickness, self.samples, self.seed = method, float(thickness), samples, seed
        self.add_state("squared_error", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.std_error = torch.tensor(float("nan"))

    def _dilate(self, colors: np.ndarray) -> np.ndarray:
        if self.thickness == 0:
            return colors
        offsets = self.thickness * np.vstack([np.zeros((1, 3)), np.eye(3), -np.eye(3)])
        return (colors[:, None, :] + offsets[None]).reshape(-1, 3)

    @staticmethod
    def _solid(build, points: np.ndarray):
        try:
            return build(points)
        except QhullError:
            raise InputError("ConvexHullOverlap", f"a palette's {len(points)} colours span no volume (fewer than 4 "
                                                  "affinely independent points); use thickness > 0") from None

    def _exact(self, p: np.ndarray, g: np.ndarray) -> tuple[float, float]:
        hull_p, hull_g = self._solid(ConvexHull, p), self._solid(ConvexHull, g)
        halfspaces = np.vstack([hull_p.equations, hull_g.equations])  # rows [n, d]: n.x + d <= 0 inside
        normals, offsets = halfspaces[:, :3], halfspaces[:, 3]
        norms = np.linalg.norm(normals, axis=1, keepdims=True)
        # Chebyshev centre: the deepest point x with radius r, maximise r s.t. n.x + r |n| <= -d
        centre = linprog(np.array([0.0, 0.0, 0.0, -1.0]), A_ub=np.hstack([normals, norms]), b_ub=-offsets,
                         bounds=[(None, None)] * 3 + [(0, None)], method="highs")
        intersection = 0.0
        if centre.status == 0 and centre.x[3] >= _CHEBYSHEV_MIN_RADIUS:
            try:
                corners = HalfspaceIntersection(halfspaces, centre.x[:3]).intersections
                intersection = ConvexHull(corners).volume
            except QhullError:  # numerically flat intersection
                intersection = 0.0
        union = hull_p.volume + hull_g.volume - intersection
        return min(max(intersection / union, 0.0), 1.0), 0.0

    def _monte_carlo(self, p: np.ndarray, g: np.ndarray) -> tuple[float, float]:
        rng = np.random.default_rng([self.seed, zlib.crc32(p.tobytes()), zlib.crc32(g.tobytes())])
        both = np.vstack([p, g])
        low, high = both.min(0), both.max(0)
        points = low + (high - low) * rng.random((self.samples, 3))
        in_p = self._solid(Delaunay, p).find_simplex(points) >= 0
        in_g = self._solid(Delaunay, g).find_simplex(points) >= 0
        either, both_in = int((in_p | in_g).sum()), int((in_p & in_g).sum())
        if either == 0:
            return 0.0, 0.0
        iou = both_in / either
        return iou, iou * (1.0 - iou) / either

    def update(self, preds: Tensor, target: Tensor, preds_lengths: Tensor | None = None,
               target_lengths: Tensor | None = None) -> None:
        preds, preds_lengths, target, target_lengths = _check_pair(
            "ConvexHullOverlap", preds, target, preds_lengths, target_lengths)
        estimate = self._exact if self.method == "exact" else self._monte_carlo
        results = [estimate(self._dilate(p[:n]), self._dilate(g[:m])) for p, n, g, m in zip(
            preds.cpu().numpy(), preds_lengths.tolist(), target.cpu().numpy(), target_lengths.tolist())]
        self._add(torch.tensor([iou for iou, _ in results], dtype=torch.float64))
        self.squared_error += sum(variance for _, variance in results)

    def compute(self) -> Tensor:
        value = super().compute()
        self.std_error = (self.squared_error.sqrt() / self.count).float()
        return value

    def reset(self) -> None:
        super().reset()
        self.std_error = torch.tensor(float("nan"))


def _lch_histograms(palettes: Tensor, lengths: Tensor) -> Tensor:
    """Normalised 72-bin LCh histograms ``[B, 72]`` of padded Lab palettes (bins in the module docstring)."""
    lightness, chroma, hue = lab_to_lch(palettes).unbind(-1)
    l_bin = (lightness / (L_BINS[0] / L_BINS[1])).floor().clamp(0, L_BINS[1] - 1)
    c_bin = (chroma / (C_BINS[0] / C_BINS[1])).floor().clamp(0, C_BINS[1] - 1)
    h_bin = (torch.remainder(hue, 360.0) / (360.0 / H_BINS)).floor().clamp(0, H_BINS - 1)
    index = ((l_bin * C_BINS[1] + c_bin) * H_BINS + h_bin).long()
    weight = (torch.arange(palettes.shape[1], device=palettes.device) < lengths[:, None]).double()
    counts = torch.zeros(palettes.shape[0], L_BINS[1] * C_BINS[1] * H_BINS, dtype=torch.float64,
                         device=palettes.device).scatter_add_(1, index, weight)
    return counts / lengths[:, None]


class PaletteBhattacharyya(_MeanOverItems):
    """BC: Bhattacharyya coefficient of predicted and ground-truth palettes' 72-bin LCh histograms.

    ``update(preds [B, N, 3], target [B, M, 3], preds_lengths [B], target_lengths [B])`` (lengths
    optional). Compares the colour distribution regardless of colour order and palette size.
    """

    higher_is_better = True

    def update(self, preds: Tensor, target: Tensor, preds_lengths: Tensor | None = None,
               target_lengths: Tensor | None = None) -> None:
        preds, preds_lengths, target, target_lengths = _check_pair(
            "PaletteBhattacharyya", preds, target, preds_lengths, target_lengths)
        p, q = _lch_histograms(preds, preds_lengths), _lch_histograms(target, target_lengths)
        self._add(torch.sqrt(p * q).sum(1))


class EmotionSimilarity(_MeanOverItems):
    """ES: mean cosine similarity of music and palette emotion vectors (0 against a zero vector).

    ``update(music [B, 8], palette [B, 8])``. Ignores intensity (vector length), compares direction.
    """

    higher_is_better = True

    def update(self, music: Tensor, palette: Tensor) -> None:
        music, palette = _check_emotions("EmotionSimilarity", music, palette)
        self._add(emotion_similarity(music, palette))


def _distributions(vectors: Tensor) -> Tensor:
    """Non-negative ``[B, K]`` -> rows summing to 1; a zero row becomes uniform."""
    total = vectors.sum(1, keepdim=True)
    return torch.where(total > 0, vectors / total.clamp(min=torch.finfo(vectors.dtype).tiny),
                       torch.full_like(vectors, 1.0 / vectors.shape[1]))


class EmotionJensenShannon(_MeanOverItems):
    """JS: mean Jensen-Shannon divergence (base 2, in [0, 1]) of normalised music and palette emotions.

    ``update(music [B, 8], palette [B, 8])``. Unlike ES it compares the emotion distributions, so a
    palette that puts weight on the right categories in the wrong proportions is penalised.
    """

    higher_is_better = False

    def update(self, music: Tensor, palette: Tensor) -> None:
        music, palette = _check_emotions("EmotionJensenShannon", music, palette)
        p, q = _distributions(music), _distributions(palette)
        m = (p + q) / 2.0

        def kl_bits(x: Tensor) -> Tensor:  # KL(x || m) in bits, with 0 log 0 = 0
            return (torch.xlogy(x, x) - torch.xlogy(x, m)).sum(1) / math.log(2.0)

        self._add(((kl_bits(p) + kl_bits(q)) / 2.0).clamp(0.0, 1.0))
