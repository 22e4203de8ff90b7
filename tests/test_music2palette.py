"""Music2Palette: its features, losses, networks, sampling and a training run, on tiny data made here."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

from affectzoo.affect.color import delta_e_2000, hex_to_lab, lab_to_lch
from affectzoo.losses.palette import emotion_consistency, hue_diversity, matched_delta_e, stop_loss
from affectzoo.models.music2palette.features import FEATURE_DIM, HOP, SAMPLE_RATE, frame_features


def tone(seconds: float, frequency: float = 440.0, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def test_frame_features_are_539_per_frame_and_read_pitch_and_loudness():
    features = frame_features(tone(2.0))
    assert features.shape == (1 + 2 * SAMPLE_RATE // HOP, FEATURE_DIM) and np.isfinite(features).all()
    middle = features[10:-10]
    assert np.median(middle[:, -1]) == pytest.approx(69.0, abs=0.5), "YIN finds A4 = MIDI 69"
    quieter = frame_features(tone(2.0, amplitude=0.03))[10:-10]
    assert np.median(middle[:, -2]) - np.median(quieter[:, -2]) == pytest.approx(20.0, abs=0.5), "RMS in dB"
    assert frame_features(np.zeros(100, np.float32)).shape == (5, FEATURE_DIM), "shorter than one FFT: padded"


def test_matched_delta_e_uses_the_optimal_assignment_for_every_candidate():
    from scipy.optimize import linear_sum_assignment

    from affectzoo.losses.palette import candidate_weights

    target = hex_to_lab(["#ff0000", "#00ff00", "#0000ff"]).float()
    far = hex_to_lab(["#ffffff", "#000000", "#808080"]).float()
    losses = matched_delta_e(target[[2, 0, 1]][None], torch.stack([far, target])[None])
    assert losses.shape == (1, 2) and losses[0, 1].item() == pytest.approx(0.0, abs=1e-4), "a permutation costs 0"
    cost = delta_e_2000(target[[2, 0, 1]][:, None], far[None]).numpy()
    rows, cols = linear_sum_assignment(cost)
    assert losses[0, 0].item() == pytest.approx(cost[rows, cols].mean(), rel=1e-5)
    torch.testing.assert_close(candidate_weights(losses, "min"), torch.tensor([[0.0, 1.0]]))
    torch.testing.assert_close(candidate_weights(torch.zeros(1, 3), "soft"), torch.tensor([[4.0, 2.0, 1.0]]) / 7)
    with pytest.raises(ValueError, match="soft"):
        candidate_weights(losses, "mean")


def test_hue_diversity_emotion_consistency_and_stop_loss_by_hand():
    lch = torch.tensor([[[50.0, 40.0, 0.0], [50.0, 40.0, 180.0]], [[50.0, 40.0, 350.0], [50.0, 40.0, 10.0]]])
    torch.testing.assert_close(hue_diversity(lch), torch.tensor([-1.0, -20.0 / 180.0]))
    e = torch.tensor([[1.0, 0, 0, 0, 0, 0, 0, 0]])
    assert emotion_consistency(e, e, e).item() == pytest.approx(0.0)
    assert emotion_consistency(e, e.roll(1, -1), e).item() == pytest.approx(2.0)
    logits = torch.tensor([[0.0, 0.0, 0.0, 5.0]])
    expected = (3 * math.log(2) + math.log(2)) / 4  # lengths 4: targets 0,0,0,1 with logits 0 -> log 2 each
    assert stop_loss(torch.zeros(1, 4), torch.tensor([4])).item() == pytest.approx(expected)
    assert stop_loss(logits, torch.tensor([4])).item() < expected


def test_encoder_takes_any_length_and_ignores_padding():
    from affectzoo.models.music2palette.torch_model import FeatureEncoder

    torch.manual_seed(0)
    encoder = FeatureEncoder(d_model=32, layers=1, heads=2, ff=64).eval()
    short, long = torch.randn(1, 37, FEATURE_DIM), torch.randn(1, 100, FEATURE_DIM)
    alone, padding = encoder(short)
    assert alone.shape == (1, 11 * 3, 32) and not padding.any()
    batch = torch.cat([torch.nn.functional.pad(short, (0, 0, 0, 63)), long])
    together, padding = encoder(batch, torch.tensor([37, 100]))
    assert together.shape == (2, 11 * 7, 32) and padding[0].sum() == 11 * 4 and not padding[1].any()
    kept = (~padding[0]).nonzero()[:, 0]
    torch.testing.assert_close(together[0, kept], alone[0], atol=1e-5, rtol=1e-5)


def test_generate_is_seeded_and_gives_three_to_five_hex_colours():
    import affectzoo

    torch.manual_seed(0)
    model = affectzoo.create_model("music2palette", d_model=32, encoder_layers=1, decoder_layers=1).eval()
    wave = tone(3.0)
    first = model.generate(wave, n=3, seed=7, sample_rate=SAMPLE_RATE)
    assert first == model.generate(wave, n=3, seed=7, sample_rate=SAMPLE_RATE)
    assert first != model.generate(wave, n=3, seed=8, sample_rate=SAMPLE_RATE)
    assert len(first) == 3 and all(3 <= len(p) <= 5 and all(c.startswith("#") and len(c) == 7 for c in p)
                                   for p in first)
    assert first[0] != first[1], "different noise, different palettes"
    with pytest.raises(ValueError, match="at least 1"):
        model.generate(wave, n=0, sample_rate=SAMPLE_RATE)


@pytest.fixture
def toy_palettes(tmp_path, monkeypatch):
    return write_toy_palettes(tmp_path, monkeypatch)


def write_toy_palettes(tmp_path, monkeypatch):
    """An open-palettes stand-in: 8 tones (calm/low and loud/high), two candidate palettes each."""
    from affectzoo.data import builds
    from affectzoo.data.builds.registry import BuildResult
    from test_color_emotion import BCP_COLOURS, write_bcp, write_bottini

    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    media = tmp_path / "media"
    media.mkdir()
    for k in range(8):
        loud = k % 2
        sf.write(media / f"clip{k}.wav", tone(1.5, 200 + 300 * loud + 10 * k, 0.05 + 0.4 * loud), SAMPLE_RATE)
    write_bottini(media / "color_emotion" / "rawdata" / "4" / "emotion_color_association.csv")
    (media / "palettes" / "bcp37").mkdir(parents=True)
    write_bcp(media / "palettes" / "bcp37" / "T_BCP.csv", BCP_COLOURS)
    hexes = [["#ff2000", "#ffa000", "#ffff00", "#ff0080", "#ff6040"], ["#203040", "#405060", "#305070", "#102030",
                                                                        "#506070"]]

    def toy(root, seed):
        music = pd.DataFrame({"id": [f"m{k}" for k in range(8)], "audio_path": [str(root / f"clip{k}.wav") for k in range(8)],
                              "valence": [0.5 if k % 2 else -0.5 for k in range(8)],
                              "arousal": [0.8 if k % 2 else -0.8 for k in range(8)],
                              "split": ["train"] * 6 + ["val", "test"]})
        palettes = pd.DataFrame({"palette_id": [0, 1], **{f"hex_{i}": [h[i] for h in hexes] for i in range(5)}})
        matches = pd.DataFrame({"music_id": [f"m{k}" for k in range(8) for _ in range(2)],
                                "rank": [1, 2] * 8, "palette_id": [p for k in range(8) for p in ((0, 1) if k % 2 else (1, 0))]})
        return BuildResult({"music": music, "palettes": palettes, "matches": matches})

    builds.list_builds()
    monkeypatch.setitem(builds._builds, "open-palettes", builds._Build("open-palettes", 1, "toy", toy))
    return media


EPOCHS = 300


def test_music2palette_trains_saves_loads_and_generates(toy_palettes, tmp_path):
    import lightning as L

    import affectzoo
    from affectzoo.data.datamodules import OpenPalettesDataModule

    torch.manual_seed(0)
    model = affectzoo.create_model("music2palette", d_model=32, encoder_layers=1, decoder_layers=1, lr=3e-3,
                                   train_seconds=1.0, noise_sigma=0.1, dropout=0.0, lambda_emotion=0.0,
                                   lambda_diversity=0.0)
    data = OpenPalettesDataModule(root=str(toy_palettes), music_features=True, batch_size=3)
    data.attach_model(model)
    trainer = L.Trainer(max_epochs=EPOCHS, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(model, data)
    assert bool(model.standardize.fitted) and bool(model.emotion_grid.fitted)
    assert {"val/loss", "val/delta_e", "val/emotion", "val/stop", "val/diversity"} <= set(trainer.callback_metrics)
    loud, calm = str(toy_palettes / "clip1.wav"), str(toy_palettes / "clip0.wav")
    model.eval()
    chroma = {name: lab_to_lch(hex_to_lab(model.generate(path, seed=0)[0]))[:, 1].mean().item()
              for name, path in (("loud", loud), ("calm", calm))}
    assert chroma["loud"] > chroma["calm"], "loud songs were taught the saturated palette"
    loaded = affectzoo.load(str(model.save_pretrained(tmp_path / "m2p")))
    assert loaded.generate(loud, n=2, seed=3) == model.generate(loud, n=2, seed=3)
    assert bool(loaded.emotion_grid.fitted), "the colour-emotion table travels with the weights"


def test_palette_and_recolor_commands_write_a_swatch_json_and_an_image(tmp_path, capsys):
    import json

    from PIL import Image

    import affectzoo
    from affectzoo.cli import main

    torch.manual_seed(0)
    model = affectzoo.create_model("music2palette", d_model=32, encoder_layers=1, decoder_layers=1)
    folder = str(model.save_pretrained(tmp_path / "m2p"))
    sf.write(tmp_path / "song.wav", tone(2.0), SAMPLE_RATE)
    song = str(tmp_path / "song.wav")
    assert main(["palette", song, "--model", folder, "--n", "2", "--seed", "0", "--json",
                 "--out", str(tmp_path / "swatch.png")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert len(printed["palettes"]) == 2 and all(3 <= len(p) <= 5 for p in printed["palettes"])
    first = printed["palettes"][0][0]
    assert first["hex"].startswith("#") and len(first["lch"]) == 3
    swatch = Image.open(tmp_path / "swatch.png")
    assert swatch.size[1] == 2 * (64 + 8) + 8, "one row per palette"
    Image.new("RGB", (40, 30), (200, 40, 40)).save(tmp_path / "photo.png")
    assert main(["recolor", "--audio", song, "--image", str(tmp_path / "photo.png"), "--out", str(tmp_path / "out.png"),
                 "--model", folder]) == 0
    assert Image.open(tmp_path / "out.png").size == (40, 30)
    assert main(["palette", str(tmp_path / "missing.wav"), "--model", folder]) == 2
    assert "missing.wav" in capsys.readouterr().err
