"""mpjudge_lite0_musicnn: MPJudge conditioned on frozen musicnn features, with auxiliary V/A heads.

Uses the packaged Lite0 and musicnn weights; audio and paintings are generated here.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

import affectzoo
from affectzoo import _registry
from affectzoo.errors import InputError
from affectzoo.affect.scales import PAIR_VA_LABELS as VA_LABELS
from affectzoo.affect.similarity import affect_similarity as va_match
from affectzoo.models.mpjudge import MPJudge

TINY = {"variant": "lite0", "image_size": 64, "patch_size": 32, "width": 32, "depth": 2, "heads": 2,
        "music_encoder": "musicnn", "va_heads": True}


def tiny(seed: int = 0, **kwargs) -> MPJudge:
    torch.manual_seed(seed)
    return MPJudge(**{**TINY, **kwargs})


def scored_batch(n: int = 6, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    batch = {"image_tokens": torch.randn(n, 4, 1280, generator=g), "music_features": torch.rand(n, 5, 250, generator=g),
             "score": torch.rand(n, generator=g)}
    return {**batch, **{k: torch.rand(n, generator=g) * 2 - 1 for k in VA_LABELS}}


def write_tone(path, seconds: float, freq: float = 440.0, rate: int = 16000):
    t = np.arange(int(seconds * rate)) / rate
    sf.write(path, 0.3 * np.sin(2 * np.pi * freq * t), rate)
    return path


def test_registered_architecture_and_frozen_encoders():
    model = affectzoo.create_model("mpjudge_lite0_musicnn")
    cfg = _registry.get_pretrained_cfg("mpjudge_lite0_musicnn")
    assert cfg.name == "mpjudge_lite0_musicnn.open_pairs" and "n_mels" not in cfg.preprocess
    assert cfg.preprocess["sample_rate"] == 16000 and cfg.preprocess["clip_seconds"] == 15.0
    assert not any(p.requires_grad for p in model.music_backbone.parameters())
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith("net.") for n in trainable)
    assert {"net.va_image.1.weight", "net.va_music.1.weight"} <= trainable
    assert any(k.startswith("music_backbone.") for k in model.state_dict())


def test_va_loss_is_used_and_trains_the_heads():
    model = tiny(lambda_dpo=0.0)
    batch = scored_batch()
    losses = model.compute_losses(batch)
    assert set(losses) == {"mse", "va", "loss"}
    assert losses["loss"].item() == pytest.approx(losses["mse"].item() + losses["va"].item(), rel=1e-5)
    optimiser = torch.optim.Adam(model.net.parameters(), lr=1e-2)
    for _ in range(150):
        optimiser.zero_grad()
        model.compute_losses(batch)["va"].backward()
        optimiser.step()
    assert model.compute_losses(batch)["va"].item() < 0.25 * losses["va"].item()
    without = {k: v for k, v in batch.items() if k not in VA_LABELS}
    assert "va" not in model.compute_losses(without)
    assert "va" not in tiny(lambda_va=0.0).compute_losses(batch)


def test_scores_audio_files_and_caches_features(tmp_path, monkeypatch):
    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    model = tiny().eval()
    short = write_tone(tmp_path / "short.wav", 2.0)  # under one 3-s patch: padded to one
    long = write_tone(tmp_path / "long.wav", 7.0, 220.0)
    features = model.music_backbone.cached(long)
    assert features.shape == (2, 250) and model.music_backbone.cached(short).shape == (1, 250)
    assert torch.equal(model.music_backbone.cached(long), features)
    assert torch.allclose(model.music_input(long), features) and model.music_input([long, long]).shape == (2, 2, 250)
    tokens = torch.randn(3, 4, 1280)
    scores = model.score(tokens, long)
    assert scores.shape == (3,) and ((scores > 0) & (scores < 1)).all()
    assert torch.allclose(scores, model.score(tokens, features), atol=1e-6)


def test_music_inputs_are_checked():
    model = tiny()
    with pytest.raises(InputError, match=r"musicnn patch features as a tensor \[B, P, 250\]"):
        model(torch.randn(2, 4, 1280), torch.randn(2, 12, 128))
    with pytest.raises(ValueError, match="official variant has its own music encoder"):
        MPJudge(variant="official", music_encoder="musicnn")
    with pytest.raises(ValueError, match="music_encoder must be one of"):
        tiny(music_encoder="mert")


def test_save_and_load_round_trip(tmp_path):
    model = tiny().eval()
    folder = model.save_pretrained(tmp_path / "m")
    loaded = affectzoo.load(str(folder)).eval()
    batch = scored_batch(3)
    assert torch.allclose(model(batch["image_tokens"], batch["music_features"]),
                          loaded(batch["image_tokens"], batch["music_features"]), atol=1e-6)


def test_va_prior_adds_the_emotion_distance_logit():
    model = tiny(va_prior=True).eval()
    batch = scored_batch(4)
    with torch.no_grad():
        tokens, y = model.net.encode_music(batch["music_features"])
        head_only = model.net.painting(batch["image_tokens"], tokens, y)[0]
        prior = va_match(*model.net.predict_va(batch["image_tokens"], y)).clamp(1e-4, 1 - 1e-4)
        expected = torch.sigmoid(torch.logit(head_only, eps=1e-6) + torch.logit(prior))
        assert torch.allclose(model(batch["image_tokens"], batch["music_features"]), expected, atol=1e-5)
        model.net.prior_weight.fill_(0.0)
        assert torch.allclose(model(batch["image_tokens"], batch["music_features"]), head_only, atol=1e-5)
    assert va_match(torch.tensor([[1.0, 1.0]]), torch.tensor([[-1.0, -1.0]])).item() == pytest.approx(1 - 2**0.5)
    assert va_match(torch.tensor([[0.3, -0.2]]), torch.tensor([[0.3, -0.2]])).item() == 1.0
    with pytest.raises(ValueError, match="va_prior reads the auxiliary V/A heads"):
        tiny(va_prior=True, va_heads=False)


def test_judge_command_explains_with_musicnn_features(tmp_path, monkeypatch, capsys):
    from PIL import Image

    from affectzoo.cli import main

    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    folder = tiny(va_prior=True).save_pretrained(tmp_path / "ckpt")
    Image.new("RGB", (80, 60), (20, 140, 200)).save(tmp_path / "p.png")
    write_tone(tmp_path / "m.wav", 4.0)
    assert main(["judge", "--image", str(tmp_path / "p.png"), "--audio", str(tmp_path / "m.wav"),
                 "--model", str(folder), "--explain", str(tmp_path / "maps.png")]) == 0
    assert 0 <= float(capsys.readouterr().out.split()[0]) <= 1
    assert (tmp_path / "maps.png").stat().st_size > 1000
