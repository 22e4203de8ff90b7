"""Russell circumplex emotion vectors: category layout, weighting, intensity, similarity."""

from __future__ import annotations

import math

import pytest
import torch

from affectzoo.affect.russell import (
    ANGLES_DEG, CATEGORIES, category_angles, emotion_similarity, top_category, va_to_emotion,
)
from affectzoo.errors import InputError


def _point(angle_deg: float, radius: float = 1.0) -> torch.Tensor:
    angle = math.radians(angle_deg)
    return torch.tensor([radius * math.cos(angle), radius * math.sin(angle)], dtype=torch.float64)


def test_categories_follow_music2palette_order_clockwise_at_45_degrees():
    assert CATEGORIES == ("excited", "happy", "content", "calm", "depressed", "sad", "afraid", "angry")
    steps = [(ANGLES_DEG[i] - ANGLES_DEG[i + 1]) % 360 for i in range(len(ANGLES_DEG) - 1)]
    assert steps == [45.0] * 7
    assert category_angles().shape == (8,)


@pytest.mark.parametrize("index, name", list(enumerate(CATEGORIES)))
def test_a_point_on_a_category_axis_is_that_category(index, name):
    emotion = va_to_emotion(_point(ANGLES_DEG[index]))
    assert top_category(emotion) == name
    assert emotion[index].item() == pytest.approx(0.60, abs=0.01)
    neighbours = emotion[[(index - 1) % 8, (index + 1) % 8]]
    assert torch.allclose(neighbours, torch.full((2,), 0.19, dtype=torch.float64), atol=0.01)


def test_quadrant_examples_and_sector_boundary():
    assert top_category(va_to_emotion(torch.tensor([0.8, 0.7]))) == "excited"
    assert top_category(va_to_emotion(torch.tensor([-0.3, 0.9]))) == "angry"
    assert top_category(va_to_emotion(torch.tensor([-0.6, 0.5]))) == "afraid"
    assert top_category(va_to_emotion(torch.tensor([-0.7, -0.6]))) == "depressed"
    assert top_category(va_to_emotion(torch.tensor([0.7, -0.6]))) == "content"
    boundary = va_to_emotion(_point(22.5))  # halfway between excited (45) and happy (0)
    assert boundary[0].item() == pytest.approx(boundary[1].item(), abs=1e-12)
    assert boundary[0] > boundary[2:].max()


def test_intensity_scales_the_vector_and_saturates_at_the_unit_circle():
    unit = va_to_emotion(_point(200.0))
    assert unit.sum().item() == pytest.approx(1.0)
    assert torch.allclose(va_to_emotion(_point(200.0, 0.5)), 0.5 * unit)
    corner = va_to_emotion(torch.tensor([-1.0, -1.0], dtype=torch.float64))
    assert corner.sum().item() == pytest.approx(1.0) and top_category(corner) == "depressed"


def test_neutral_point_is_zero_with_finite_gradient():
    va = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    emotion = va_to_emotion(va)
    assert torch.equal(emotion.detach(), torch.zeros(8, dtype=torch.float64))
    emotion.sum().backward()
    assert torch.isfinite(va.grad).all()


def test_batched_non_negative_and_dtype_preserving():
    generator = torch.Generator().manual_seed(0)
    va = torch.rand(4, 7, 2, generator=generator) * 2 - 1
    emotion = va_to_emotion(va)
    assert emotion.shape == (4, 7, 8) and emotion.dtype == torch.float32
    assert torch.all(emotion >= 0)
    radius = va.norm(dim=-1).clamp(max=1.0)
    assert torch.allclose(emotion.sum(-1), radius, atol=1e-6)
    assert torch.allclose(emotion[2, 3], va_to_emotion(va[2, 3]))
    assert len(top_category(emotion)) == 28
    assert va_to_emotion([[0, 1]]).shape == (1, 8)


def test_sharper_kappa_concentrates_the_vector():
    point = _point(100.0)
    assert va_to_emotion(point, kappa=12.0).max() > va_to_emotion(point).max()


def test_cosine_similarity_orders_neighbours_before_opposites():
    happy, excited, sad = (va_to_emotion(_point(angle)) for angle in (0.0, 45.0, 180.0))
    assert emotion_similarity(happy, happy).item() == pytest.approx(1.0)
    assert emotion_similarity(happy, excited) > emotion_similarity(happy, sad)
    assert emotion_similarity(happy, sad).item() < 0.05
    assert emotion_similarity(happy, excited).item() == pytest.approx(emotion_similarity(excited, happy).item())
    assert emotion_similarity(happy, torch.zeros(8, dtype=torch.float64)).item() == 0.0
    batch = torch.stack([happy, excited, sad])
    assert emotion_similarity(batch, happy).shape == (3,)


def test_wrong_shapes_raise_input_error():
    with pytest.raises(InputError, match="valence, arousal"):
        va_to_emotion(torch.zeros(3))
    with pytest.raises(InputError, match="8 categories"):
        top_category(torch.zeros(5))
