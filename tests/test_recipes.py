"""Every recipe in recipes/ parses and runs one fast_dev_run batch through fit (single CPU process).

Recipes that read data the tests do not have get tiny stand-ins written here (``STAND_INS``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from affectzoo.cli import run_lightning

RECIPES = sorted((Path(__file__).resolve().parent.parent / "recipes").glob("*.yaml"))


def tiny_mpd(folder: Path) -> Path:
    """An MPD-format JSON of 4 scored pairs with media written here."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for k in range(4):
        Image.new("RGB", (64, 48), (60 * k, 90, 30)).save(folder / f"p{k}.png")
        sf.write(folder / f"m{k}.wav", 0.2 * np.sin(np.arange(16000 * 2) * 0.03 * (k + 1)), 16000)
        entries.append({"image_path": str(folder / f"p{k}.png"), "audio_path": str(folder / f"m{k}.wav"),
                        "score": k / 3})
    (folder / "mpd.json").write_text(json.dumps(entries))
    return folder / "mpd.json"


STAND_INS = {
    "mpjudge": lambda tmp: ["--data.init_args.path", str(tiny_mpd(tmp / "mpd")), "--data.init_args.batch_size", "2",
                            "--data.init_args.num_workers", "0", "--trainer.precision", "32-true"],
}


def test_there_are_recipes():
    assert RECIPES


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.stem)
def test_recipe_fast_dev_run(recipe, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WANDB_MODE", "disabled")
    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    extra = STAND_INS.get(recipe.stem.removesuffix("_ddp"), lambda tmp: [])(tmp_path)
    cli = run_lightning(["fit", "--config", str(recipe), "--trainer.fast_dev_run", "true",
                         "--trainer.devices", "1", "--trainer.strategy", "auto", "--trainer.accelerator", "cpu",
                         *extra])
    assert cli.trainer.global_step >= 1
