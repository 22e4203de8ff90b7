"""ImageMusic (Chheda et al. 2023): registry, shapes, training, save/load, V/A, recommendation, metrics,
IMUSE reader, CLI. Tiny timm backbone (test_efficientnet, seed-0 random init) and media written here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch
from PIL import Image

import affectzoo
from affectzoo.cli import main
from affectzoo.data.builds.pairs import imuse_score
from affectzoo.errors import InputError
from affectzoo.affect.scales import PAIR_VA_LABELS as VA_NAMES
from affectzoo.catalog import Catalog
from affectzoo.media import split_by_kind
from affectzoo.metrics import MAPCurve
from affectzoo.models.imagemusic import ImageMusic, predicted_similarity

TINY = {"image_backbone": "test_efficientnet", "image_size": 32, "reference_size": 8}
LOADER_SIZE = 37  # round(32 / 0.875): the loader's square, which the model crops to 32


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))


def tiny(branch: str = "musicnn", seed: int = 0, **kwargs) -> ImageMusic:
    torch.manual_seed(seed)
    return ImageMusic(**{**TINY, "music_branch": branch, **kwargs})


def write_media(folder, n_images: int = 2, n_clips: int = 3, rate: int = 16000):
    folder.mkdir(parents=True, exist_ok=True)
    images = []
    for k in range(n_images):
        Image.new("RGB", (48, 40), (90 * k, 40, 200 - 80 * k)).save(folder / f"img{k}.png")
        images.append(str(folder / f"img{k}.png"))
    clips = []
    for k in range(n_clips):
        t = np.arange(rate) / rate
        sf.write(folder / f"clip{k}.wav", 0.3 * np.sin(2 * np.pi * (220 + 150 * k) * t), rate)
        clips.append(str(folder / f"clip{k}.wav"))
    return images, clips


def feature_batch(n: int = 6, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {"image_tokens": torch.randn(n, 1, 256, generator=g), "music_features": torch.rand(n, 4, 250, generator=g),
            "music_features_lengths": torch.tensor([4, 2, 3, 4, 1, 4])[:n],
            **{name: torch.rand(n, generator=g) * 2 - 1 for name in VA_NAMES}, "score": torch.rand(n, generator=g),
            "query": torch.tensor([0.0, 0, 0, 1, 1, 1])[:n], "relevant": torch.tensor([1.0, 0, 0, 0, 1, 0])[:n]}


def test_every_registered_variant_builds_with_its_cfg():
    names = [cfg for cfg in affectzoo._registry._all_cfgs() if cfg.startswith("imagemusic.") or cfg.startswith("imagemusic_lite0")]
    assert sorted(names) == ["imagemusic.efficientnet_b4", "imagemusic.mobilenetv3", "imagemusic.resnet18",
                             "imagemusic_lite0.musicnn", "imagemusic_lite0.samplecnn"]
    for name in names:
        model = affectzoo.create_model(name)
        cfg = model.pretrained_cfg
        assert cfg.preprocess == model.preprocess and cfg.output_names == VA_NAMES
        assert not any(p.requires_grad for p in model.image_backbone.parameters())
        paper = name.startswith("imagemusic.")
        assert model.image_backbone.cfg["pretrained"] is not paper
        assert ("random-init" in cfg.description) is paper
        assert (model.music_backbone is None) is (model.hparams.music_branch == "samplecnn")
    again = affectzoo.create_model("imagemusic.resnet18").image_backbone.state_dict()
    first = affectzoo.create_model("imagemusic.resnet18").image_backbone.state_dict()
    assert all(torch.equal(again[k], first[k]) for k in first)  # seed-0 init: the same in every build


def test_forward_shapes_ranges_and_augmentation():
    model = tiny("samplecnn").eval()
    pixels, audio = torch.randn(2, 3, LOADER_SIZE, LOADER_SIZE), torch.randn(2, 2 * 59049 + 10) * 0.1
    out = model(pixels, audio)
    assert out.shape == (2, 4) and ((out > 0) & (out < 1)).all()
    assert torch.equal(out, model(pixels, audio))  # centre crop, mean over segments: deterministic
    model.train()
    assert not torch.equal(model.image_features(pixels), model.image_features(pixels, augment=False))
    with pytest.raises(InputError, match="at least 32 x 32"):
        model(torch.randn(2, 3, 20, 20), audio)
    musicnn = tiny().eval()
    batch = feature_batch()
    out = musicnn(batch["image_tokens"], batch["music_features"], batch["music_features_lengths"])
    assert out.shape == (6, 4) and ((out > 0) & (out < 1)).all()
    same_pair = [batch[key][1:2].expand(2, -1, -1) for key in ("image_tokens", "music_features")]
    padded = musicnn(*same_pair, torch.tensor([2, 4]))  # patches past a clip's length are left out
    assert torch.allclose(padded[0], out[1]) and not torch.allclose(padded[0], padded[1])


def test_predicted_similarity_is_the_imuse_score():
    outputs = torch.rand(5, 4)
    expected = imuse_score((outputs[:, :2] * 2 - 1).numpy(), (outputs[:, 2:] * 2 - 1).numpy())
    assert np.allclose(predicted_similarity(outputs).numpy(), expected, atol=1e-6)


def test_training_lowers_the_loss_and_fills_the_reference():
    model = tiny()
    optimiser = model.configure_optimizers()
    assert {id(p) for g in optimiser.param_groups for p in g["params"]} == {id(p) for p in model.net.parameters()}
    batch = feature_batch()
    losses = []
    for _ in range(25):
        loss = model.training_step(batch, 0)
        optimiser.zero_grad(), loss.backward(), optimiser.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.5 * losses[0]
    assert int(model.reference_count) == 25 * 6 and model.image_reference.abs().sum() > 0


def test_validation_metrics(monkeypatch):
    model = tiny().eval()
    logged = {}
    monkeypatch.setattr(model, "log", lambda name, value, **kw: logged.__setitem__(name, value))
    monkeypatch.setattr(model, "log_dict", lambda values, **kw: logged.update(values))
    model.validation_step(feature_batch(), 0)
    model.on_validation_epoch_end()
    expected = {"val/loss", "val/mae", "val/rmse", *(f"val/srcc_{n}" for n in VA_NAMES),
                *(f"val/map@{k}" for k in range(1, 11))}
    assert set(logged) == expected
    assert torch.isnan(logged["val/map@4"]) and 0 <= float(logged["val/map@3"]) <= 1


def test_map_curve_on_a_hand_made_case():
    curve = MAPCurve(max_k=4)
    # query 0 ranks relevant, other, relevant; query 1 ranks other, relevant (two candidates only)
    curve.update(torch.tensor([0.9, 0.8, 0.1]), torch.tensor([1, 0, 1]), torch.tensor([0, 0, 0]))
    curve.update(torch.tensor([0.2, 0.7]), torch.tensor([1, 0]), torch.tensor([1, 1]))
    values = curve.compute()
    assert torch.allclose(values[:3], torch.tensor([(1 + 0) / 2, (1 + 0.5) / 2, (1 + 2 / 3) / 2]))
    assert torch.isnan(values[3])  # no query has four candidates


def test_save_load_round_trip(tmp_path):
    model = tiny()
    model.training_step(feature_batch(), 0)
    folder = model.save_pretrained(tmp_path / "saved")
    loaded = affectzoo.load(str(folder))
    assert isinstance(loaded, ImageMusic) and not loaded.training
    batch = feature_batch()
    model.eval()
    assert torch.equal(model(batch["image_tokens"], batch["music_features"]),
                       loaded(batch["image_tokens"], batch["music_features"]))
    assert torch.equal(loaded.music_reference, model.music_reference) and int(loaded.reference_count) == 6


def test_predict_va_ranges_and_independence(tmp_path):
    images, clips = write_media(tmp_path / "media")
    model = tiny()
    model.training_step(feature_batch(), 0)
    va = model.predict_va(images=images, audio=clips)
    assert va["image"].shape == (2, 2) and va["music"].shape == (3, 2)
    assert all(((v >= -1) & (v <= 1)).all() for v in va.values())
    alone = model.predict_va(images=images[1])
    assert set(alone) == {"image"} and torch.allclose(alone["image"][0], va["image"][1], atol=1e-6)
    assert torch.allclose(model.predict_va(audio=[clips[2]])["music"][0], va["music"][2], atol=1e-6)


def test_recommend_on_a_folder_reuses_the_index(tmp_path, monkeypatch):
    images, clips = write_media(tmp_path / "media")
    catalogue = tmp_path / "catalogue"
    catalogue.mkdir()
    for clip in clips:
        (catalogue / clip.rsplit("/", 1)[1]).write_bytes(open(clip, "rb").read())
    model = tiny().eval()
    recs = model.recommend(images[0], catalogue, k=2)
    assert len(recs) == 2 and recs[0].score >= recs[1].score
    assert {r.item for r in recs} <= {str(p) for p in catalogue.glob("*.wav")}
    everything = model.recommend(images[0], catalogue, k=10)
    vectors = torch.stack([model.music_vector(r.item) for r in everything])
    direct = predicted_similarity(model.net.head(model.image_vectors(images[0]).expand(3, -1), vectors))
    assert torch.allclose(direct, torch.tensor([r.score for r in everything]), atol=1e-5)
    calls = []
    monkeypatch.setattr(ImageMusic, "music_vector", lambda self, music, sample_rate=None: calls.append(music))
    again = model.recommend(images[0], catalogue, k=2)
    assert again == recs and calls == []  # every vector came from the index cache
    index = model.index(catalogue)
    assert index.kind == "music" and index.va.shape == (3, 2) and (abs(index.va) <= 1).all()
    loaded = Catalog.load(index.save(tmp_path / "index.safetensors"))
    assert loaded.ids == index.ids and np.array_equal(loaded.embeddings, index.embeddings)
    assert model.recommend(images[0], tmp_path / "index.safetensors", k=2) == recs
    pd.DataFrame({"audio_path": [f"catalogue/{p.rsplit('/', 1)[1]}" for p in index.ids]}).to_csv(
        tmp_path / "table.csv", index=False)
    assert model.recommend(images[0], tmp_path / "table.csv", k=2) == recs


def test_bad_inputs_raise_input_errors(tmp_path):
    images, clips = write_media(tmp_path / "media")
    (tmp_path / "media" / "broken.wav").write_bytes(b"RIFF not really audio")
    (tmp_path / "media" / "broken.png").write_bytes(b"\x89PNG nope")
    model = tiny().eval()
    with pytest.raises(InputError, match="broken.wav"):
        model.recommend(images[0], tmp_path / "media", k=2)
    with pytest.warns(UserWarning, match="left out 1 unreadable"):
        recs = model.recommend(images[0], tmp_path / "media", k=5, on_error="skip")
    assert len(recs) == 3
    with pytest.raises(InputError, match="broken.png"):
        model.predict_va(images=[str(tmp_path / "media" / "broken.png")])
    with pytest.raises(InputError, match="notes.txt: neither an image"):
        split_by_kind([images[0], str(tmp_path / "notes.txt")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no audio files"):
        model.index(tmp_path / "empty")


def test_cli_recommend_and_va(tmp_path, capsys):
    images, clips = write_media(tmp_path / "media")
    model = tiny()
    model.training_step(feature_batch(), 0)
    folder = str(model.save_pretrained(tmp_path / "model"))
    assert main(["recommend", images[0], "--catalog", str(tmp_path / "media"), "-k", "2", "--model", folder]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].split()[0] == "1" and lines[0].split()[2] in clips
    assert main(["index", str(tmp_path / "media"), "--out", str(tmp_path / "cat.safetensors"), "--model", folder]) == 0
    assert "3 items, 128-d embeddings" in capsys.readouterr().out
    assert main(["recommend", images[0], "--catalog", str(tmp_path / "cat.safetensors"), "-k", "2",
                 "--model", folder]) == 0
    assert capsys.readouterr().out.splitlines() == lines
    assert main(["recommend-music", "--image", images[0], "--catalog", str(tmp_path / "media"), "-k", "2",
                 "--model", folder]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == lines and "deprecated" in out.err
    assert main(["va", images[1], clips[0], "--model", folder]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split()[2:] == ["image", images[1]] and out[2].split()[2:] == ["music", clips[0]]
    assert all(-1 <= float(x) <= 1 for line in out[1:] for x in line.split()[:2])
    assert main(["va", str(tmp_path / "x.txt"), "--model", folder]) == 2
    assert "x.txt: neither an image" in capsys.readouterr().err
    assert main(["va", clips[0], "--model", folder, "--music-precision", "bf16"]) == 2
    assert "unexpected keyword argument 'music_precision'" in capsys.readouterr().err


def write_imuse(root, n_images: int = 4, n_music: int = 20):
    """A tiny OASIS (images 1..7 ratings) and a 0..1 music table, with media."""
    (root / "oasis" / "images").mkdir(parents=True)
    rows = [",Theme,Category,Source,Valence_mean,Valence_SD,Valence_N,Arousal_mean,Arousal_SD,Arousal_N"]
    for k in range(n_images):
        Image.new("RGB", (64, 48), (50 * k, 80, 20)).save(root / "oasis" / "images" / f"Theme {k}.jpg")
        rows.append(f"I{k + 1},Theme {k},Object,Pixabay,{1 + 2 * k},1,100,{7 - k},1,100")
    (root / "oasis" / "OASIS.csv").write_text("\n".join(rows) + "\n")
    (root / "music").mkdir()
    for k in range(n_music):
        sf.write(root / "music" / f"s{k}.wav", 0.1 * np.sin(np.arange(8000) * 0.01 * (k + 1)), 8000)
    table = pd.DataFrame({"id": [f"s{k}" for k in range(n_music)], "audio_path": [f"s{k}.wav" for k in range(n_music)],
                          "valence": np.linspace(0, 1, n_music), "arousal": np.linspace(1, 0, n_music) ** 2})
    table.to_csv(root / "music" / "music.csv", index=False)
    return root / "oasis", root / "music" / "music.csv"


def test_imuse_reader_pairs_scale_and_split(tmp_path):
    from affectzoo.data.datamodules import IMUSEDataModule
    from affectzoo.data.readers.imuse import read_imuse

    oasis, music = write_imuse(tmp_path)
    pairs = read_imuse(oasis, music, music_scale="0..1", seed=3)
    assert len(pairs) == 4 * 15 and pairs.groupby("image_id")["kind"].value_counts().eq(5).all()
    assert pairs["music_valence"].between(-1, 1).all() and set(pairs["music_valence"].round(6)) >= {-1.0, 1.0}
    first = pairs[pairs["image_id"] == "I1"].iloc[0]
    assert first["image_valence"] == pytest.approx(-1.0) and first["image_arousal"] == pytest.approx(1.0)
    expected = imuse_score(pairs[["image_valence", "image_arousal"]].to_numpy(),
                           pairs[["music_valence", "music_arousal"]].to_numpy())
    assert np.allclose(pairs["score"], expected, atol=1e-9)
    shares = pairs.groupby("music_id")["split"].apply(lambda s: (s == "train").sum() - round(0.75 * len(s)))
    assert (shares == 0).all() and set(pairs["split"]) == {"train", "test"}
    assert read_imuse(oasis, music, music_scale="0..1", seed=3).equals(pairs)
    with pytest.raises(InputError, match=r"music.csv: column .valence. has 0.0 at data row 1, outside \[1.0, 7.0\]"):
        read_imuse(oasis, music, music_scale="1..7")
    dm = IMUSEDataModule(oasis=str(oasis), music=str(music), music_scale="0..1",
                         preprocess={"image_size": 16, "sample_rate": 8000, "clip_seconds": 0.5}, batch_size=4)
    dm.setup()
    assert dm.datasets["val"].table.equals(dm.datasets["test"].table)
    batch = next(iter(dm.train_dataloader()))
    assert {"image", "audio", "score", "query", "relevant", *VA_NAMES} <= set(batch)
    assert batch["image"].shape == (4, 3, 16, 16) and batch["audio"].shape == (4, 4000)


def test_predict_va_takes_numpy_and_torch_waveforms_and_images(tmp_path):
    images, clips = write_media(tmp_path / "media")
    model = tiny()
    model.training_step(feature_batch(), 0)
    wave, rate = sf.read(clips[1], dtype="float32")
    from_file = model.predict_va(audio=clips[1])["music"]
    assert torch.allclose(model.predict_va(audio=[wave], sample_rate=rate)["music"], from_file, atol=1e-5)
    assert torch.allclose(model.predict_va(audio=torch.from_numpy(wave))["music"], from_file, atol=1e-5)
    doubled = np.repeat(wave, 2)  # the same clip at 32 kHz, resampled to the model's 16 kHz
    assert torch.allclose(model.predict_va(audio=[doubled], sample_rate=2 * rate)["music"], from_file, atol=0.02)
    pixels = np.asarray(Image.open(images[0]))
    assert torch.allclose(model.predict_va(images=[pixels])["image"], model.predict_va(images=images[0])["image"])
    both = model.predict_va(images=tmp_path / "media", audio=tmp_path / "media")
    assert both["image"].shape == (2, 2) and both["music"].shape == (3, 2), "folders expand to their files"
