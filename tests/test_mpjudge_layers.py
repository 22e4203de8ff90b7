"""MAN layer (affectzoo.layers.man) and the DPO loss (affectzoo.losses.dpo) against direct computations."""

from __future__ import annotations

import math

import pytest
import torch

from affectzoo.layers.man import MAN
from affectzoo.losses import dpo_loss


def test_man_matches_the_formula_computed_by_hand():
    torch.manual_seed(0)
    man = MAN(6, cond_dim=4, init="default")
    x, y = torch.randn(2, 5, 6) * 3 + 1, torch.randn(2, 4)
    out, intensity = man(x, y)
    weights = {name: t.detach() for name, t in man.named_parameters()}
    for b in range(2):
        for c in range(6):
            column = x[b, :, c].tolist()
            mean = sum(column) / 5
            std = math.sqrt(sum((v - mean) ** 2 for v in column) / 4)  # Bessel-corrected, over the 5 tokens
            gamma = float(weights["scale.weight"][c] @ y[b] + weights["scale.bias"][c])
            beta = float(weights["bias.weight"][c] @ y[b] + weights["bias.bias"][c])
            expected = [gamma * (v - mean) / (std + 1e-5) + beta for v in column]
            assert out[b, :, c].detach().tolist() == pytest.approx(expected, rel=1e-5, abs=1e-5)
    assert torch.allclose(intensity, (out - x).abs().sum(dim=-1), atol=1e-5)
    _, l2 = man(x, y, ord=2)
    assert torch.allclose(l2, (out - x).pow(2).sum(dim=-1).sqrt(), atol=1e-5)


def test_man_identity_init_starts_as_instance_normalisation():
    torch.manual_seed(0)
    man = MAN(8)
    x = torch.randn(3, 10, 8) * 4 + 2
    out, _ = man(x, torch.zeros(3, 8))  # gamma(0) = 1, beta(0) = 0 exactly
    expected = (x - x.mean(dim=1, keepdim=True)) / (x.std(dim=1, keepdim=True) + 1e-5)
    assert torch.allclose(out, expected, atol=1e-6)
    assert 0.01 < man.scale.weight.std() < 0.03 and 0.01 < man.bias.weight.std() < 0.03


def test_man_passes_gradient_to_the_condition():
    torch.manual_seed(0)
    man = MAN(8)
    y = torch.randn(2, 8, requires_grad=True)
    out, _ = man(torch.randn(2, 6, 8), y)
    out.square().sum().backward()
    assert y.grad is not None and y.grad.abs().sum() > 0


def test_man_rejects_an_unknown_init():
    with pytest.raises(ValueError, match="init"):
        MAN(4, init="zeros")


def test_dpo_loss_equals_the_hand_computation():
    pos, neg = torch.tensor([0.7, 0.4]), torch.tensor([0.5, 0.6])
    ref_pos, ref_neg = torch.tensor([0.6, 0.5]), torch.tensor([0.5, 0.5])
    beta = 2.0
    margins = [(0.7 - 0.5) - (0.6 - 0.5), (0.4 - 0.6) - (0.5 - 0.5)]
    expected = [math.log(1 + math.exp(-beta * m)) for m in margins]  # -log sigmoid(beta * m)
    per_pair = dpo_loss(pos, neg, ref_pos, ref_neg, beta=beta, reduction="none")
    assert per_pair.tolist() == pytest.approx(expected, rel=1e-6)
    assert float(dpo_loss(pos, neg, ref_pos, ref_neg, beta=beta)) == pytest.approx(sum(expected) / 2, rel=1e-6)
    assert float(dpo_loss(pos, neg, ref_pos, ref_neg, beta=beta, reduction="sum")) == pytest.approx(sum(expected))


def test_dpo_loss_is_log2_when_policy_equals_reference_and_ignores_reference_gradients():
    pos = torch.tensor([0.9, 0.1], requires_grad=True)
    neg = torch.tensor([0.3, 0.8], requires_grad=True)
    ref_pos, ref_neg = pos.detach().clone().requires_grad_(), neg.detach().clone().requires_grad_()
    loss = dpo_loss(pos, neg, ref_pos, ref_neg, beta=5.0)
    assert loss.item() == pytest.approx(math.log(2))
    loss.backward()
    assert ref_pos.grad is None and ref_neg.grad is None
    assert pos.grad[0] < 0 and neg.grad[0] > 0  # descent widens the margin of the preferred input


def test_dpo_loss_checks_shapes_and_reduction():
    a = torch.zeros(3)
    with pytest.raises(ValueError, match="shape"):
        dpo_loss(a, a, a, torch.zeros(2))
    with pytest.raises(ValueError, match="reduction"):
        dpo_loss(a, a, a, a, reduction="max")
