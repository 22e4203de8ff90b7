"""Loggers and samplers the training recipes rely on."""

from __future__ import annotations

import pytest
import torch

from affectzoo.data import SyntheticPairsDataModule, UnpaddedDistributedSampler
from affectzoo.loggers import WandbLogger, wandb_mode


@pytest.mark.parametrize("env, explicit, expected", [
    (None, None, "offline"), ("online", None, "online"), ("disabled", None, "disabled"),
    ("online", "offline", "offline"), (None, "online", "online"),
])
def test_wandb_mode_is_offline_unless_turned_on(monkeypatch, env, explicit, expected):
    if env is None:
        monkeypatch.delenv("WANDB_MODE", raising=False)
    else:
        monkeypatch.setenv("WANDB_MODE", env)
    assert wandb_mode(explicit) == expected
    logger = WandbLogger(save_dir="unused", mode=explicit)  # the wandb run itself starts lazily
    assert logger.mode == expected and logger._offline == (expected == "offline")


def test_unknown_wandb_mode_is_an_error():
    with pytest.raises(ValueError, match="unknown wandb mode 'sometimes'"):
        wandb_mode("sometimes")


@pytest.mark.parametrize("n, world", [(11, 2), (10, 2), (7, 3), (1, 2)])
def test_unpadded_sampler_covers_each_item_exactly_once(n, world):
    shards = [list(UnpaddedDistributedSampler(range(n), num_replicas=world, rank=r)) for r in range(world)]
    assert sorted(i for shard in shards for i in shard) == list(range(n))
    assert [len(UnpaddedDistributedSampler(range(n), world, r)) for r in range(world)] == list(map(len, shards))


def test_synthetic_data_is_deterministic_and_learnable_in_range():
    first, second = SyntheticPairsDataModule(seed=3), SyntheticPairsDataModule(seed=3)
    first.setup(), second.setup()
    torch.testing.assert_close(first.val_set.scores, second.val_set.scores)
    assert len(first.val_set) == 11 and 0 < first.val_set.scores.min() and first.val_set.scores.max() < 1
    assert first.train_set.scores.std() > 0.05, "targets vary, so correlations are defined"
