"""The contract every registered architecture keeps, checked for all of them at once.

For each name of ``list_models()``: its cfg is complete and agrees with the built model (parameter
count, preprocessing, tasks, family); the model has the methods its tasks promise; it trains one
step on its own ``example_batch()`` with a finite loss and gradients in its trainable weights
only; a save/load round trip gives bit-identical weights and outputs. Every recipe's
``fit --trainer.fast_dev_run`` is in ``test_recipes.py``.
"""

from __future__ import annotations

import math

import pytest
import torch

import affectzoo
from affectzoo import _registry
from affectzoo.tasks import TASKS, implements

ARCHITECTURES = affectzoo.list_models()


def test_every_architecture_is_in_the_contract():
    assert {"imagemusic", "imagemusic_lite0", "mpjudge", "mpjudge_lite0", "mpjudge_lite0_musicnn",
            "mpjudge_official", "mpjudge_small", "test_regressor"} <= set(ARCHITECTURES)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_cfg_agrees_with_the_built_model(name):
    torch.manual_seed(0)
    model = affectzoo.create_model(name)
    cfg = _registry.get_pretrained_cfg(name)
    arch = _registry.architectures()[name]
    assert cfg.architecture == name and cfg.tag == next(iter(arch.cfgs))
    assert cfg.num_params == model.num_params, "regenerate the manifest: python -m affectzoo._manifest --write"
    assert cfg.preprocess == (model.default_preprocess() or cfg.preprocess)
    assert cfg.tasks == tuple(type(model).tasks) == arch.tasks
    assert cfg.family == (arch.family or "")
    assert cfg.description and cfg.output_names
    for task in cfg.tasks:
        assert task in TASKS and implements(model, task), f"{name} lacks the methods of {task}"
    assert not cfg.missing_fields()


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_trains_one_step_on_its_example_batch(name):
    torch.manual_seed(0)
    model = affectzoo.create_model(name).train()
    batch = model.example_batch(2)
    loss = model.training_step(batch, 0)
    assert loss.ndim == 0 and math.isfinite(loss.item())
    loss.backward()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    with_grad = {n for n, p in model.named_parameters() if p.grad is not None}
    assert with_grad and with_grad <= trainable
    frozen = [encoder for encoder in model.frozen_encoders().values()]
    assert all(not encoder.training and not any(p.requires_grad for p in encoder.parameters()) for encoder in frozen)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_save_load_round_trip_is_bit_identical(name, tmp_path):
    torch.manual_seed(0)
    model = affectzoo.create_model(name).eval()
    folder = model.save_pretrained(tmp_path / name)
    loaded = affectzoo.load(folder)
    assert type(loaded) is type(model) and not loaded.training
    saved, restored = model.state_dict(), loaded.state_dict()
    assert saved.keys() == restored.keys() and all(torch.equal(saved[k], restored[k]) for k in saved)
    assert loaded.pretrained_cfg.tasks == model.pretrained_cfg.tasks
    batch = model.example_batch(2)
    with torch.no_grad():
        first, second = model.predict_step(batch, 0), loaded.predict_step(batch, 0)
    pairs = first.items() if isinstance(first, dict) else [("out", first)]
    for key, value in pairs:
        assert torch.equal(value, second[key] if isinstance(second, dict) else second), key
