"""Every recipe in recipes/ parses and runs one fast_dev_run batch through fit (single process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from affectzoo.cli import run_lightning

RECIPES = sorted((Path(__file__).resolve().parent.parent / "recipes").glob("*.yaml"))


def test_there_are_recipes():
    assert RECIPES


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.stem)
def test_recipe_fast_dev_run(recipe, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WANDB_MODE", "disabled")
    cli = run_lightning(["fit", "--config", str(recipe), "--trainer.fast_dev_run", "true",
                         "--trainer.devices", "1", "--trainer.strategy", "auto", "--trainer.accelerator", "cpu"])
    assert cli.trainer.global_step >= 1
