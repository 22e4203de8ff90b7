"""DataModules over published formats and builds, on tiny files the tests write."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch
from PIL import Image

from affectzoo.data import builds
from affectzoo.data.builds import BuildResult, register_build
from affectzoo.data.collate import collate_padded
from affectzoo.data.datasets import PairsWithPreferences
from affectzoo.data.datamodules import BuildDataModule, MPDDataModule, OASISDataModule, resolve_preprocess
from affectzoo.data.registry import create_datamodule, list_datamodules

MEL_PREPROCESS = {"sample_rate": 8000, "clip_seconds": 1.0, "image_size": 32,
                  "mel": {"n_fft": 256, "hop_length": 128, "n_mels": 16}}


def write_media(folder, n):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for k in range(n):
        Image.fromarray(rng.integers(0, 255, (40, 50, 3), dtype=np.uint8)).save(folder / f"img{k}.png")
        seconds = 0.5 + k * 0.25  # different durations: padded to clip_seconds
        sf.write(folder / f"clip{k}.wav", 0.3 * np.sin(np.arange(int(8000 * seconds)) * (0.05 + 0.01 * k)), 8000)


def test_registry_lists_builds_and_formats():
    names = list_datamodules()
    for name in ("open-image-va", "open-music-va", "open-pairs", "oasis", "bass", "deam", "pmemo", "emopia",
                 "vgmidi", "emotify", "imemnet-c", "mpd"):
        assert name in names
    with pytest.raises(KeyError, match="unknown DataModule 'oasiss'. Did you mean: oasis"):
        create_datamodule("oasiss")


def test_preprocess_comes_from_the_model_cfg():
    assert resolve_preprocess(None, "test_regressor") == {"image_size": 16, "audio_features": 16}
    assert resolve_preprocess({"image_size": 8}, "test_regressor") == {"image_size": 8}


def test_oasis_format_datamodule(tmp_path):
    write_media(tmp_path / "images", 0)
    rows = [",Theme,Category,Source,Valence_mean,Valence_SD,Valence_N,Arousal_mean,Arousal_SD,Arousal_N"]
    for k in range(10):
        Image.new("RGB", (64, 48), (k * 20, 0, 0)).save(tmp_path / "images" / f"Theme {k}.jpg")
        rows.append(f"I{k + 1},Theme {k}{' ' if k == 3 else ''},Object,Pixabay,{1 + k * 0.6},1,100,4,1,100")
    (tmp_path / "OASIS.csv").write_text("\n".join(rows) + "\n")
    dm = create_datamodule("oasis", path=str(tmp_path), preprocess={"image_size": 24}, batch_size=4)
    assert isinstance(dm, OASISDataModule)
    dm.setup()
    sizes = {split: len(ds) for split, ds in dm.datasets.items()}
    assert sizes == {"train": 8, "val": 1, "test": 1}
    batch = next(iter(dm.train_dataloader()))
    assert batch["image"].shape == (4, 3, 24, 24)
    assert batch["valence"].min() >= -1 and batch["valence"].max() <= 1


def test_mpd_datamodule_gives_images_mels_and_scores(tmp_path, monkeypatch):
    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    write_media(tmp_path / "media", 5)
    entries = [{"image_path": str(tmp_path / "media" / f"img{k}.png"),
                "audio_path": str(tmp_path / "media" / f"clip{k}.wav"), "score": k / 4} for k in range(5)]
    (tmp_path / "mpd.json").write_text(json.dumps(entries))
    dm = MPDDataModule(path=str(tmp_path / "mpd.json"), preprocess=MEL_PREPROCESS, batch_size=5, seed=1)
    dm.setup()
    loader = dm._eval_loader(torch.utils.data.ConcatDataset(list(dm.datasets.values())), collate_padded)
    batch = next(iter(loader))
    frames = 1 + 8000 // 128
    assert batch["image"].shape == (5, 3, 32, 32) and batch["mel"].shape == (5, frames, 16)
    assert sorted(batch["score"].tolist()) == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_mpd_preferences_feed_training_in_both_directions(tmp_path, monkeypatch):
    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    write_media(tmp_path / "media", 5)
    entries = [{"image_path": f"media/img{k}.png", "audio_path": f"media/clip{k}.wav", "score": k / 4}
               for k in range(5)]
    (tmp_path / "mpd.json").write_text(json.dumps(entries))
    prefs = [{"audio_path": "media/clip0.wav", "chosen": "media/img1.png", "rejected": "media/img2.png"},
             {"image_path": "media/img3.png", "chosen": "media/clip4.wav", "rejected": "media/clip1.wav"}]
    (tmp_path / "prefs.json").write_text(json.dumps(prefs))
    dm = MPDDataModule(path=str(tmp_path / "mpd.json"), preferences=str(tmp_path / "prefs.json"),
                       preprocess=MEL_PREPROCESS, batch_size=2, seed=1)
    dm.setup()
    batch = next(iter(dm._eval_loader(dm.datasets["train"], collate_padded)))
    pref = batch["pref"]
    assert pref["query_modality"] == ["music", "image"]
    assert torch.equal(pref["mel_pos"][0], pref["mel_neg"][0]) and not torch.equal(pref["mel_pos"][1], pref["mel_neg"][1])
    assert torch.equal(pref["image_pos"][1], pref["image_neg"][1]) and not torch.equal(pref["image_pos"][0],
                                                                                        pref["image_neg"][0])
    assert isinstance(dm.datasets["train"], PairsWithPreferences)
    assert not isinstance(dm.datasets["val"], PairsWithPreferences)


def test_collate_pads_variable_length_audio():
    items = [{"audio": torch.ones(n), "valence": 0.5, "id": f"x{n}"} for n in (3, 5, 4)]
    batch = collate_padded(items)
    assert batch["audio"].shape == (3, 5) and batch["audio_lengths"].tolist() == [3, 5, 4]
    assert batch["audio"][0, 3:].abs().sum() == 0 and batch["id"] == ["x3", "x5", "x4"]
    assert batch["valence"].dtype == torch.float32


def test_build_datamodule_builds_on_first_use(tmp_path, monkeypatch):
    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    write_media(tmp_path / "media", 6)

    def toy(root, seed):
        table = pd.DataFrame({"id": [f"i{k}" for k in range(6)],
                              "image_path": [str(root / f"img{k}.png") for k in range(6)],
                              "valence": np.linspace(-1, 1, 6), "arousal": 0.0,
                              "split": ["train"] * 4 + ["val", "test"]})
        return BuildResult({"items": table})

    register_build("toy-images", 1, "toy")(toy)

    class ToyDataModule(BuildDataModule):
        build_name = "toy-images"

    try:
        dm = ToyDataModule(root=str(tmp_path / "media"), preprocess={"image_size": 16}, batch_size=2)
        dm.prepare_data()
        dm.setup()
        assert [len(dm.datasets[s]) for s in ("train", "val", "test")] == [4, 1, 1]
        assert next(iter(dm.val_dataloader()))["image"].shape == (1, 3, 16, 16)
    finally:
        builds._builds.pop("toy-images")


def test_open_palettes_datamodule_gives_lab_palette_targets(tmp_path, monkeypatch):
    from affectzoo.affect.color import hex_to_lab
    from affectzoo.data.datamodules import OpenPalettesDataModule

    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    write_media(tmp_path / "media", 3)
    hexes = [["#ff0000", "#00ff00", "#0000ff", "#ffffff", "#000000"], ["#112233"] * 5]

    def toy(root, seed):
        music = pd.DataFrame({"id": ["m0", "m1", "m2"], "audio_path": [str(root / f"clip{k}.wav") for k in range(3)],
                              "valence": [0.1, 0.2, 0.3], "arousal": 0.0, "split": ["train", "val", "test"]})
        palettes = pd.DataFrame({"palette_id": [0, 1], **{f"hex_{i}": [h[i] for h in hexes] for i in range(5)}})
        matches = pd.DataFrame({"music_id": [m for m in ("m0", "m1", "m2") for _ in range(2)],
                                "rank": [2, 1] * 3, "palette_id": [0, 1] * 3})
        return BuildResult({"music": music, "palettes": palettes, "matches": matches})

    builds.list_builds()  # register the real builds first, so the toy replaces them for this test only
    monkeypatch.setitem(builds._builds, "open-palettes", builds._Build("open-palettes", 1, "toy", toy))
    dm = OpenPalettesDataModule(root=str(tmp_path / "media"), preprocess={"sample_rate": 8000, "clip_seconds": 1.0})
    dm.prepare_data()
    dm.setup()
    sample = dm.datasets["val"][0]
    assert sample["candidates"].shape == (2, 5, 3) and sample["audio"].shape == (8000,)
    torch.testing.assert_close(sample["palette"], hex_to_lab(hexes[1]).float(), msg="rank 1 comes first")


def test_open_pairs_item_va_and_cached_music_features(tmp_path, monkeypatch):
    """``item_va`` joins each side's own ratings; ``music_features`` swaps audio for the model's features."""
    from affectzoo.data.datamodules import OpenPairsDataModule

    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    write_media(tmp_path / "media", 3)
    media = tmp_path / "media"

    def toy_pairs(root, seed):
        pairs = pd.DataFrame({"image_id": ["i0", "i1", "i2"], "music_id": ["m0", "m1", "m2"],
                              "score": [0.1, 0.5, 0.9], "split": ["train", "val", "test"],
                              "image_path": [str(media / f"img{k}.png") for k in range(3)],
                              "audio_path": [str(media / f"clip{k}.wav") for k in range(3)]})
        return BuildResult({"pairs": pairs, "preferences": pd.DataFrame(columns=["split"])})

    def toy_items(prefix, valence):
        return lambda root, seed: BuildResult({"items": pd.DataFrame(
            {"id": [f"{prefix}{k}" for k in range(3)], "valence": valence, "arousal": [0.5, 0.0, -0.5]})})

    builds.list_builds()
    monkeypatch.setitem(builds._builds, "open-pairs", builds._Build("open-pairs", 1, "toy", toy_pairs))
    monkeypatch.setitem(builds._builds, "open-image-va",
                        builds._Build("open-image-va", 1, "toy", toy_items("i", [-0.9, 0.1, 0.7])))
    monkeypatch.setitem(builds._builds, "open-music-va",
                        builds._Build("open-music-va", 1, "toy", toy_items("m", [0.2, -0.3, 0.4])))

    class FakeEncoder:
        def cached(self, path):
            return torch.full((2, 5), float(path.endswith("clip1.wav")))

    class FakeModel:
        preprocess = {"image_size": 8}

        def frozen_encoders(self):
            return {"audio": FakeEncoder()}

    dm = OpenPairsDataModule(root=str(media), preferences=False, item_va=True, music_features=True,
                             preprocess={"image_size": 16})
    dm.prepare_data()
    with pytest.raises(ValueError, match="music_features=True needs a model with a frozen audio encoder attached"):
        dm.setup()
    dm.attach_model(FakeModel())
    assert dm.preprocess == {"image_size": 16}, "an explicit preprocess wins over the model's"
    dm.setup()
    sample = dm.datasets["val"][0]
    assert sample["image_valence"].item() == pytest.approx(0.1)
    assert sample["music_valence"].item() == pytest.approx(-0.3)
    assert sample["music_arousal"].item() == pytest.approx(0.0)
    assert "audio" not in sample and torch.equal(sample["music_features"], torch.ones(2, 5))
    assert sample["image"].shape == (3, 16, 16)
    plain = OpenPairsDataModule(root=str(media), preferences=False)
    plain.attach_model(FakeModel())
    assert plain.preprocess == {"image_size": 8}, "without one, the attached model's preprocessing is used"
    assert OpenPairsDataModule(root=str(media)).labels == ("score",)
