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
from tiny_imemnet import write_tiny_imemnet

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


def tiny_open_pairs(tmp: Path, monkeypatch) -> list[str]:
    """Replace the open-pairs build by one over the tiny MPD media (pairs and preference pairs)."""
    import pandas as pd

    from affectzoo.data import builds

    media = tiny_mpd(tmp / "media").parent
    splits = ["train", "train", "val", "test"]

    def toy(root, seed):
        pairs = pd.DataFrame({"image_id": [f"i{k}" for k in range(4)], "music_id": [f"m{k}" for k in range(4)],
                              "score": [0.2, 0.45, 0.55, 0.9], "kind": "best", "split": splits,
                              "image_path": [str(media / f"p{k}.png") for k in range(4)],
                              "audio_path": [str(media / f"m{k}.wav") for k in range(4)]})
        prefs = pd.DataFrame({"query_modality": ["image", "music"], "query_id": ["i0", "m1"],
                              "preferred_id": ["m1", "i1"], "rejected_id": ["m0", "i0"], "split": "train"})
        return builds.BuildResult({"pairs": pairs, "preferences": prefs})

    def ratings(prefix):
        def toy_items(root, seed):
            return builds.BuildResult({"items": pd.DataFrame({"id": [f"{prefix}{k}" for k in range(4)],
                                                               "valence": [-0.5, 0.0, 0.3, 0.8],
                                                               "arousal": [0.4, -0.2, 0.1, -0.7]})})
        return toy_items

    builds.list_builds()
    monkeypatch.setitem(builds._builds, "open-pairs", builds._Build("open-pairs", 1, "toy", toy))
    for name, prefix in (("open-image-va", "i"), ("open-music-va", "m")):
        monkeypatch.setitem(builds._builds, name, builds._Build(name, 1, "toy", ratings(prefix)))
    return ["--data.init_args.root", str(media), "--data.init_args.batch_size", "2"]


def tiny_imuse(folder: Path) -> list[str]:
    """A 4-image OASIS and a 6-clip music table (V/A on 0..1) for the IMUSE DataModule."""
    (folder / "oasis" / "images").mkdir(parents=True)
    rows = [",Theme,Category,Source,Valence_mean,Valence_SD,Valence_N,Arousal_mean,Arousal_SD,Arousal_N"]
    for k in range(4):
        Image.new("RGB", (64, 48), (60 * k, 90, 30)).save(folder / "oasis" / "images" / f"T{k}.jpg")
        rows.append(f"I{k + 1},T{k},Object,Pixabay,{1 + 2 * k},1,9,{7 - 2 * k},1,9")
    (folder / "oasis" / "OASIS.csv").write_text("\n".join(rows) + "\n")
    music = ["id,audio_path,valence,arousal"]
    for k in range(6):
        sf.write(folder / f"s{k}.wav", 0.2 * np.sin(np.arange(22050) * 0.02 * (k + 1)), 22050)
        music.append(f"s{k},s{k}.wav,{k / 5},{1 - k / 5}")
    (folder / "music.csv").write_text("\n".join(music) + "\n")
    return ["--data.init_args.oasis", str(folder / "oasis"), "--data.init_args.music", str(folder / "music.csv"),
            "--data.init_args.music_scale", "0..1", "--data.init_args.batch_size", "2",
            "--data.init_args.num_workers", "0"]


def tiny_open_va(tmp: Path, monkeypatch) -> list[str]:
    """Replace the open V/A items by 4 pictures and 6 clips written here (every label type)."""
    import pandas as pd

    folder = tmp / "va"
    folder.mkdir()
    images, music = [], []
    for k in range(4):
        Image.new("RGB", (40, 30), (60 * k, 90, 30)).save(folder / f"p{k}.png")
        images.append({"id": f"p{k}", "source": "oasis", "image_path": str(folder / f"p{k}.png"), "valence": k / 3 - 0.5,
                       "arousal": 0.1 * k, "label_type": "continuous", "split": ["train", "train", "val", "test"][k],
                       "variant": "clean", "augment": pd.NA})
    for k in range(6):
        sf.write(folder / f"m{k}.wav", 0.2 * np.sin(np.arange(16000 * 2) * 0.02 * (k + 1)), 16000)
        kind = ["continuous", "proxy", "binary"][k % 3]
        music.append({"id": f"m{k}", "source": ["vgmidi", "emotify_rock", "emopia"][k % 3],
                      "audio_path": str(folder / f"m{k}.wav"), "valence": 1.0 if k % 2 else -1.0, "arousal": 0.5,
                      "label_type": kind, "split": ["train", "train", "train", "val", "val", "test"][k],
                      "variant": "clean", "augment": 7 if k == 0 else pd.NA})
    monkeypatch.setattr("affectzoo.data.va_datamodule.image_items", lambda root, seed: pd.DataFrame(images))
    monkeypatch.setattr("affectzoo.data.va_datamodule.music_items",
                        lambda root, seed, augments, programs: pd.DataFrame(music))
    return ["--data.init_args.batch_size", "2"]


def tiny_salieri(tmp, monkeypatch):
    """``tiny_open_va`` and a tiny sentence encoder folder (the packaged MiniLM is not needed to run the recipe)."""
    from test_sentence_encoder import make_folder

    return [*tiny_open_va(tmp, monkeypatch), "--model.init_args.text_encoder", str(make_folder(tmp / "minibert")),
            "--model.init_args.text_dim", "16"]


def tiny_palettes(tmp, monkeypatch):
    """Toy open-palettes music, palettes and colour-emotion data (``test_music2palette``)."""
    from test_music2palette import write_toy_palettes

    return ["--data.init_args.root", str(write_toy_palettes(tmp, monkeypatch)), "--data.init_args.batch_size", "2"]


def tiny_interactions(tmp: Path, monkeypatch) -> list[str]:
    """The tiny IMEMNet of ``tiny_imemnet`` and split settings its 18 clips can fill."""
    root = write_tiny_imemnet(tmp / "data")
    return ["--data.init_args.root", str(root), "--data.init_args.threshold", "0.2",
            "--data.init_args.negatives", "11", "--data.init_args.cold_fraction", "0.3"]


STAND_INS = {
    "mpjudge": lambda tmp, monkeypatch: ["--data.init_args.path", str(tiny_mpd(tmp / "mpd")), "--data.init_args.batch_size", "2",
                            "--data.init_args.num_workers", "0", "--trainer.precision", "32-true"],
    "mpjudge_open": tiny_open_pairs,
    "mpjudge_prior_open": tiny_open_pairs,
    "imagemusic": lambda tmp, monkeypatch: tiny_imuse(tmp / "imuse"),
    "imagemusic_open": tiny_open_pairs,
    "imagemusic_va_open": tiny_open_va,
    "mozart_open": tiny_open_va,
    "salieri_open": tiny_salieri,
    "music2palette_open": tiny_palettes,
    **{f"emi_{kind}_imemnet": tiny_interactions for kind in ("ncf", "bmf", "svdpp", "content")},
}


def test_there_are_recipes():
    assert RECIPES


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.stem)
def test_recipe_fast_dev_run(recipe, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WANDB_MODE", "disabled")
    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    extra = STAND_INS.get(recipe.stem.removesuffix("_ddp"), lambda tmp, mp: [])(tmp_path, monkeypatch)
    cli = run_lightning(["fit", "--config", str(recipe), "--trainer.fast_dev_run", "true",
                         "--trainer.devices", "1", "--trainer.strategy", "auto", "--trainer.accelerator", "cpu",
                         *extra])
    assert cli.trainer.global_step >= 1
