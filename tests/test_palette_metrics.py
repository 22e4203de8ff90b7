"""Palette metrics (Music2Palette Table 1) against hand computations on tiny palettes made here."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from scipy.spatial.distance import jensenshannon

from affectzoo.affect.color import delta_e_2000, lch_to_lab
from affectzoo.errors import InputError
from affectzoo.metrics import (
    ConvexHullOverlap,
    EmotionJensenShannon,
    EmotionSimilarity,
    PaletteBhattacharyya,
    PaletteDiversity,
    PaletteMultiplicity,
    palette_distance,
)

RED, GREEN, BLUE = [50.0, 70.0, 40.0], [60.0, -60.0, 50.0], [30.0, 20.0, -60.0]
GREY, WHITE = [50.0, 0.0, 0.0], [95.0, 1.0, -2.0]


def lab(*colors) -> torch.Tensor:
    return torch.tensor(colors, dtype=torch.float64)


def de(a, b) -> float:
    return float(delta_e_2000(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)))


def box(low, high) -> list[list[float]]:
    """The 8 corners of an axis-aligned box in Lab."""
    return [list(corner) for corner in itertools.product(*zip(low, high))]


# --- Div ------------------------------------------------------------------------------------------

def test_diversity_of_two_colours_is_their_delta_e_and_padding_is_ignored():
    metric = PaletteDiversity()
    metric.update(lab([RED, GREEN, [0.0, 0.0, 0.0]]), torch.tensor([2]))
    assert metric.compute().item() == pytest.approx(de(RED, GREEN), rel=1e-6)


def test_diversity_averages_pairs_then_palettes_over_batches():
    three = (de(RED, GREEN) + de(RED, BLUE) + de(GREEN, BLUE)) / 3
    metric = PaletteDiversity()
    metric.update(lab([RED, GREEN, BLUE]))
    metric.update(lab([GREY, WHITE, RED]), torch.tensor([2]))
    assert metric.compute().item() == pytest.approx((three + de(GREY, WHITE)) / 2, rel=1e-6)
    assert PaletteDiversity.higher_is_better and not PaletteDiversity.full_state_update


# --- Multi ----------------------------------------------------------------------------------------

def test_palette_distance_matches_brute_force_over_permutations():
    a, b = [RED, GREEN, BLUE], [BLUE, GREY, WHITE]
    best = min(sum(de(x, y) for x, y in zip(a, perm)) for perm in itertools.permutations(b)) / 3
    assert palette_distance(lab(*a), lab(*b)) == pytest.approx(best, rel=1e-9)
    assert palette_distance(lab(RED, GREEN), lab(GREEN, RED)) == pytest.approx(0.0, abs=1e-9)
    # unequal sizes: the single colour is matched to its nearest partner
    assert palette_distance(lab(GREY), lab(RED, WHITE, GREY)) == pytest.approx(0.0, abs=1e-9)
    assert palette_distance(lab(WHITE), lab(RED, GREY)) == pytest.approx(min(de(WHITE, RED), de(WHITE, GREY)))


def test_multiplicity_means_over_sample_pairs_and_items():
    samples = torch.tensor([[[RED, GREEN, BLUE], [GREEN, RED, BLUE], [GREY, WHITE, RED]]], dtype=torch.float64)
    lengths = torch.tensor([[3, 3, 2]])
    d_ac = palette_distance(lab(RED, GREEN, BLUE), lab(GREY, WHITE))
    metric = PaletteMultiplicity()
    metric.update(samples, lengths)
    assert metric.compute().item() == pytest.approx((0.0 + d_ac + d_ac) / 3, rel=1e-6)
    with pytest.raises(InputError, match=r"PaletteMultiplicity.*S >= 2.*\(1, 1, 3, 3\)"):
        metric.update(samples[:, :1])


# --- CHO ------------------------------------------------------------------------------------------

def test_overlap_of_half_overlapping_cubes_is_one_third():
    first, second = box([20, 0, 0], [40, 20, 20]), box([30, 0, 0], [50, 20, 20])
    exact = ConvexHullOverlap(thickness=0.0)
    exact.update(lab(*first)[None], lab(*second)[None])
    assert exact.compute().item() == pytest.approx(1 / 3, abs=1e-6)
    assert exact.std_error.item() == 0.0
    sampled = ConvexHullOverlap(method="monte_carlo", thickness=0.0, samples=20000, seed=1)
    sampled.update(lab(*first)[None], lab(*second)[None])
    assert abs(sampled.compute().item() - 1 / 3) < 4 * sampled.std_error.item()


def test_overlap_of_identical_palettes_is_one_and_of_disjoint_ones_zero():
    palette = lab([RED, GREEN, BLUE])  # 3 colours: volume only through the dilation
    far = lab([[10.0, 0.0, 0.0], [12.0, 3.0, 0.0], [14.0, 0.0, 3.0]])
    for method in ("exact", "monte_carlo"):
        same = ConvexHullOverlap(method=method, samples=2000)
        same.update(palette, palette.flip(1))  # colour order does not matter
        assert same.compute().item() == pytest.approx(1.0, abs=1e-6)
        disjoint = ConvexHullOverlap(method=method, samples=2000)
        disjoint.update(palette, far)
        assert disjoint.compute().item() == 0.0


def test_exact_and_monte_carlo_overlap_agree_within_standard_errors():
    rng = np.random.default_rng(3)
    centre = np.array([50.0, 0.0, 0.0])
    preds = torch.tensor(centre + rng.normal(0, 15, (4, 5, 3)))
    target = torch.tensor(centre + rng.normal(0, 15, (4, 5, 3)))
    lengths = torch.tensor([5, 4, 3, 5])
    exact, sampled = ConvexHullOverlap(), ConvexHullOverlap(method="monte_carlo", samples=20000, seed=0)
    exact.update(preds, target, lengths, lengths.flip(0))
    for half in (slice(0, 2), slice(2, 4)):  # batching does not change the estimate
        sampled.update(preds[half], target[half], lengths[half], lengths.flip(0)[half])
    value, error = sampled.compute().item(), sampled.std_error.item()
    assert 0.0 < exact.compute().item() < 1.0 and 0.0 < error < 0.02
    assert abs(value - exact.compute().item()) < 4 * error


def test_overlap_without_thickness_rejects_flat_palettes():
    metric = ConvexHullOverlap(thickness=0.0)
    with pytest.raises(InputError, match="span no volume"):
        metric.update(lab([RED, GREEN, BLUE]), lab([RED, GREEN, BLUE]))


# --- BC -------------------------------------------------------------------------------------------

def test_bhattacharyya_identical_disjoint_and_half_shared():
    metric = PaletteBhattacharyya()
    metric.update(lab([RED, GREEN, BLUE]), lab([BLUE, RED, GREEN]))
    assert metric.compute().item() == pytest.approx(1.0)
    disjoint = PaletteBhattacharyya()
    disjoint.update(lab([RED, GREEN]), lab([BLUE, WHITE]))
    assert disjoint.compute().item() == 0.0
    half = PaletteBhattacharyya()  # p = (1/2, 1/2), q = (1, 0): BC = sqrt(1/2)
    half.update(lab([RED, GREEN, [0.0, 0.0, 0.0]]), lab([RED, BLUE]), torch.tensor([2]), torch.tensor([1]))
    assert half.compute().item() == pytest.approx(math.sqrt(0.5))


def test_bhattacharyya_bins_wrap_hue_and_clamp_chroma():
    def bc(first_lch, second_lch):
        metric = PaletteBhattacharyya()
        metric.update(lch_to_lab(torch.tensor([[first_lch]])), lch_to_lab(torch.tensor([[second_lch]])))
        return metric.compute().item()

    assert bc([60.0, 60.0, 300.5], [60.0, 60.0, 359.9]) == pytest.approx(1.0)  # same 60-degree bin
    assert bc([60.0, 60.0, 359.9], [60.0, 60.0, 0.1]) == 0.0  # neighbours across 0, not the same bin
    assert bc([60.0, 120.0, 10.0], [60.0, 200.0, 10.0]) == pytest.approx(1.0)  # C > 150 clamps to last bin


# --- ES and JS ------------------------------------------------------------------------------------

def test_emotion_similarity_is_mean_cosine_and_zero_vectors_give_zero():
    music = torch.tensor([[1.0, 2, 0, 0, 0, 0, 0, 2], [0.0] * 8])
    palette = torch.tensor([[2.0, 1, 0, 0, 0, 0, 2, 0], [1.0] * 8])
    metric = EmotionSimilarity()
    metric.update(music, palette)
    assert metric.compute().item() == pytest.approx((4 / 9 + 0.0) / 2, rel=1e-6)


def test_jensen_shannon_bounds_and_reference():
    one_hot = torch.eye(8)
    metric = EmotionJensenShannon()
    metric.update(one_hot[:2], one_hot[:2] * 3)  # identical after normalisation
    assert metric.compute().item() == pytest.approx(0.0, abs=1e-7)
    disjoint = EmotionJensenShannon()
    disjoint.update(one_hot[:2], one_hot[2:4])
    assert disjoint.compute().item() == pytest.approx(1.0)
    p, q = np.array([1.0, 0, 0, 0, 0, 0, 0, 0]), np.array([1.0, 1, 0, 0, 0, 0, 0, 0])
    reference = EmotionJensenShannon()
    zero, uniform = np.zeros(8), np.full(8, 0.5)  # a zero vector counts as the uniform distribution
    reference.update(torch.tensor(np.stack([p, zero])), torch.tensor(np.stack([q, uniform])))
    assert reference.compute().item() == pytest.approx(jensenshannon(p, q, base=2) ** 2 / 2, rel=1e-6)
    assert not EmotionJensenShannon.higher_is_better


# --- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("metric, args, pattern", [
    (PaletteDiversity(), (torch.zeros(2, 3),), r"PaletteDiversity: palettes .*\[B, N, 3\].*\(2, 3\)"),
    (PaletteDiversity(), (torch.zeros(2, 3, 3), torch.tensor([1, 3])), r"lengths must lie in \[2, 3\]"),
    (ConvexHullOverlap(), (torch.zeros(2, 4, 3), torch.zeros(3, 4, 3)),
     r"ConvexHullOverlap: .*\(2, 4, 3\) vs \(3, 4, 3\)"),
    (PaletteBhattacharyya(), (torch.zeros(2, 4, 3), torch.zeros(2, 4, 3), torch.tensor([4.0, 4.0])),
     r"PaletteBhattacharyya: preds lengths must be an integer tensor"),
    (EmotionSimilarity(), (torch.zeros(2, 7), torch.zeros(2, 7)), r"EmotionSimilarity: music .*\[B, 8\].*\(2, 7\)"),
    (EmotionJensenShannon(), (-torch.ones(1, 8), torch.ones(1, 8)), r"EmotionJensenShannon: .*non-negative"),
])
def test_wrong_inputs_raise_input_errors_naming_metric_and_shape(metric, args, pattern):
    with pytest.raises(InputError, match=pattern):
        metric.update(*args)


def test_palette_distance_rejects_wrong_shapes():
    with pytest.raises(InputError, match=r"palette_distance: b must have shape \[N, 3\].*\(0, 3\)"):
        palette_distance(lab(RED), torch.zeros(0, 3))
