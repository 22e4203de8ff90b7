"""ImageMusic's open V/A model and what it stands on: label-type losses, hand features, augmentation,
re-instrumented MIDI, the ``open-va`` DataModule; all on media written here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch
from PIL import Image

import affectzoo
from affectzoo.backbones.hand_features import AUDIO_NAMES, COLOUR_NAMES, AudioStatistics, ColourStatistics
from affectzoo.data.augment import augment_waveform, augmentation_settings
from affectzoo.errors import InputError
from affectzoo.losses.va import LABEL_TYPES, ranking_loss, va_losses

CHEAP = {"image_encoders": ("colour-statistics",), "music_encoders": ("audio-statistics",), "hidden": 0,
         "music_arousal": "head"}


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))


def tone(seconds: float, freq: float, level: float, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_losses_fit_each_kind_of_label():
    pred = torch.tensor([[0.5, 0.2], [-0.5, -0.2]])
    target = torch.tensor([[0.5, 0.2], [-0.5, -0.2]])
    codes = {name: torch.full((2,), LABEL_TYPES.index(name)) for name in LABEL_TYPES}
    source = torch.zeros(2, dtype=torch.long)
    assert va_losses(pred, target, codes["continuous"], source, rank_weight=0.0)["continuous"] == 0
    ranked = va_losses(pred, target, codes["continuous"], source)["continuous"]
    assert 0 < ranked < va_losses(-pred, target, codes["continuous"], source)["continuous"]
    right = va_losses(pred, target, codes["proxy"], source, proxy_mse=0.0)["proxy"]
    wrong = va_losses(-pred, target, codes["proxy"], source, proxy_mse=0.0)["proxy"]
    assert right < wrong
    signs = torch.sign(target)
    assert va_losses(pred, signs, codes["binary"], source)["binary"] < va_losses(-pred, signs, codes["binary"], source)["binary"]
    # proxies are ranked within a source only, and pairs closer than the gap do not count
    assert ranking_loss(torch.tensor([0.0, 1.0]), torch.tensor([0.0, 1.0]), torch.tensor([0, 1])) == 0
    assert ranking_loss(torch.tensor([0.0, 1.0]), torch.tensor([0.0, 0.01]), torch.tensor([0, 0])) == 0
    assert set(va_losses(pred, target, torch.tensor([0, 2]), source)) == {"continuous", "binary"}


def test_colour_and_audio_statistics_read_what_they_say(tmp_path):
    colours = ColourStatistics()
    pictures = {"white": (250, 250, 250), "black": (5, 5, 5), "red": (220, 20, 20), "grey": (128, 128, 128)}
    stats = {}
    for name, rgb in pictures.items():
        Image.new("RGB", (60, 40), rgb).save(tmp_path / f"{name}.png")
        stats[name] = dict(zip(COLOUR_NAMES, colours.encode(tmp_path / f"{name}.png").tolist()))
    assert stats["white"]["brightness"] > stats["grey"]["brightness"] > stats["black"]["brightness"]
    assert stats["red"]["saturation"] > 0.8 > 0.05 > stats["grey"]["saturation"]
    assert stats["red"]["warm_share"] == 1 and stats["grey"]["warm_share"] == 0 and stats["black"]["dark_share"] == 1
    audio = AudioStatistics(clip_seconds=2.0)
    loud, quiet = (dict(zip(AUDIO_NAMES, audio.encode(tone(2, 440, level).copy()).tolist())) for level in (0.5, 0.05))
    assert loud["rms_db"] == pytest.approx(quiet["rms_db"] + 20, abs=0.5)
    clicks = np.zeros(32000, np.float32)
    clicks[::4000] = 0.9
    busy = dict(zip(AUDIO_NAMES, audio.encode(clicks).tolist()))
    assert busy["onset_rate"] > loud["onset_rate"] and busy["spectral_flux"] > loud["spectral_flux"]


def test_augmentation_is_seeded_and_bounded():
    wave = torch.from_numpy(tone(1.0, 300, 0.3))
    first, again = augment_waveform(wave, 16000, 7), augment_waveform(wave, 16000, 7)
    assert torch.equal(first, again) and not torch.equal(first, augment_waveform(wave, 16000, 8))
    assert first.shape == wave.shape and torch.isfinite(first).all() and first.abs().max() <= 1
    settings = [augmentation_settings(seed) for seed in range(200)]
    assert all(-9 <= s["gain_db"] <= 6 and -6 <= s["bass_db"] <= 6 for s in settings)
    noisy = [s["snr_db"] for s in settings if s["snr_db"] is not None]
    assert 60 < len(noisy) < 140 and all(15 <= snr <= 35 for snr in noisy)


def test_encoders_cache_augmented_variants_apart(tmp_path):
    sf.write(tmp_path / "a.wav", tone(2, 440, 0.3), 16000)
    audio = AudioStatistics(clip_seconds=2.0)
    clean, varied = audio.cached(tmp_path / "a.wav"), audio.cached(tmp_path / "a.wav", augment=3)
    assert not torch.equal(clean, varied) and torch.equal(audio.cached(tmp_path / "a.wav", augment=3), varied)
    assert torch.allclose(varied, audio.encode(tmp_path / "a.wav", augment=3))


def test_midi_programs_are_rewritten_for_melodic_channels(tmp_path):
    import mido

    from affectzoo.data.midi import with_program

    midi = mido.MidiFile()
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track += [mido.Message("program_change", channel=0, program=0), mido.Message("note_on", channel=0, note=60),
              mido.Message("note_on", channel=1, note=64), mido.Message("program_change", channel=9, program=5),
              mido.Message("note_on", channel=9, note=36), mido.Message("note_off", channel=0, note=60, time=100)]
    midi.save(tmp_path / "in.mid")
    rewritten = mido.MidiFile(file=__import__("io").BytesIO(with_program(tmp_path / "in.mid", 48)))
    changes = [(m.channel, m.program) for m in rewritten.tracks[0] if m.type == "program_change"]
    assert sorted(changes) == [(0, 48), (0, 48), (1, 48), (9, 5)], "melodic channels set, drums left alone"
    tail = [(m.channel, m.control) for m in rewritten.tracks[0] if m.type == "control_change"]
    assert sorted(tail) == [(0, 120), (0, 123), (1, 120), (1, 123)], "notes left on are ended"
    with pytest.raises(ValueError, match="0-127"):
        with_program(tmp_path / "in.mid", 128)
    (tmp_path / "bad.mid").write_bytes(b"MThd nope")
    with pytest.raises(InputError, match="bad.mid"):
        with_program(tmp_path / "bad.mid", 1)


def test_msd_musicnn_and_lite1_lite2_weights_load():
    from affectzoo.backbones import Musicnn, timm_image_encoder
    from affectzoo.backbones.musicnn import MSD_TAGS, MTT_TAGS

    mtt, msd = Musicnn.from_checkpoint(), Musicnn.from_checkpoint(checkpoint="MSD_musicnn", patches=2)
    assert msd.tags == MSD_TAGS and mtt.tags == MTT_TAGS and msd.cfg["name"] == "MSD_musicnn"
    assert not torch.equal(msd.classifier.weight, mtt.classifier.weight)
    wave = torch.from_numpy(tone(15.0, 220, 0.3))
    assert msd.patch_features(wave).shape == (2, 250) and mtt.patch_features(wave).shape == (5, 250)
    for name, size in (("tf_efficientnet_lite1", 240), ("tf_efficientnet_lite2", 260)):
        encoder = timm_image_encoder(name)
        assert encoder.cfg["pretrained"] and encoder.preprocess["image_size"] == size


def write_items(folder) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pictures whose valence is their brightness and clips whose arousal is their loudness."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    images, music = [], []
    for k in range(24):
        level = k / 23
        Image.new("RGB", (40, 40), tuple(int(255 * level * c) for c in (1.0, 0.9, 0.8))).save(folder / f"i{k}.png")
        images.append({"id": f"i{k}", "source": "oasis" if k % 3 else "bass", "image_path": str(folder / f"i{k}.png"),
                       "valence": 2 * level - 1, "arousal": rng.uniform(-1, 1), "label_type": "continuous",
                       "split": ["train", "train", "val", "test"][k % 4], "variant": "clean", "augment": pd.NA})
        loud = 0.02 + 0.5 * level
        sf.write(folder / f"m{k}.wav", tone(1.0, 200 + 30 * k, loud), 16000)
        kind = ["continuous", "proxy", "binary"][k % 3]
        arousal = 2 * level - 1 if kind != "binary" else (1.0 if level > 0.5 else -1.0)
        music.append({"id": f"m{k}", "source": ["vgmidi", "emotify_rock", "emopia"][k % 3],
                      "audio_path": str(folder / f"m{k}.wav"), "valence": rng.uniform(-1, 1), "arousal": arousal,
                      "label_type": kind, "split": ["train", "train", "val", "test"][(k // 3) % 4],
                      "variant": "clean", "augment": pd.NA})
    return pd.DataFrame(images), pd.DataFrame(music)


@pytest.fixture
def tiny_va_data(tmp_path, monkeypatch):
    images, music = write_items(tmp_path / "items")
    monkeypatch.setattr("affectzoo.data.va_datamodule.image_items", lambda root, seed: images)
    monkeypatch.setattr("affectzoo.data.va_datamodule.music_items", lambda root, seed, augments, programs: music)
    return images, music


def test_open_va_trains_both_heads_and_learns_the_signal(tiny_va_data):
    import lightning as L

    from affectzoo.data.va_datamodule import OpenVADataModule

    torch.manual_seed(0)
    model = affectzoo.create_model("imagemusic_va", **CHEAP, lr=0.05, weight_decay=0.0, dropout=0.0)
    data = OpenVADataModule(root="unused", batch_size=8)
    with pytest.raises(ValueError, match="attach_model"):
        data.setup()
    data.attach_model(model)
    trainer = L.Trainer(max_epochs=30, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(model, data)
    assert all(bool(s.fitted) for s in model.standardize.values()), "standardisation fitted at the start"
    images, music = tiny_va_data
    va = model.predict_va(images=images["image_path"].tolist(), audio=music["audio_path"].tolist())
    from scipy.stats import spearmanr

    assert spearmanr(va["image"][:, 0], images["valence"]).statistic > 0.9
    assert spearmanr(va["music"][:, 1], music["arousal"]).statistic > 0.8
    assert trainer.callback_metrics["val/image_valence_srcc"] > 0.8
    tested = trainer.test(model, data, verbose=False)
    assert {"test/loss", "test/image_valence_srcc", "test/music_arousal_srcc"} <= set().union(*tested)


def test_open_va_holds_out_sources(tiny_va_data):
    from affectzoo.data.va_datamodule import OpenVADataModule

    model = affectzoo.create_model("imagemusic_va", **CHEAP)
    data = OpenVADataModule(root="unused", hold_out=("emopia", "bass"))
    data.attach_model(model)
    data.setup()
    train = {side: set(ds.table["source"]) for side, ds in data.datasets["train"].items()}
    test = {side: set(ds.table["source"]) for side, ds in data.datasets["test"].items()}
    assert train == {"image": {"oasis"}, "music": {"vgmidi", "emotify_rock"}}
    assert test == {"image": {"bass"}, "music": {"emopia"}}
    with pytest.raises(ValueError, match="unknown sources"):
        OpenVADataModule(hold_out=("nope",))


def test_inference_api_scores_and_recommends_by_va(tmp_path):
    torch.manual_seed(0)
    model = affectzoo.create_model("imagemusic_va", **CHEAP).eval()
    for side in model.standardize.values():
        side.fitted.fill_(True)
    images, music = write_items(tmp_path / "items")
    clips = music["audio_path"].tolist()[:5]
    va = model.predict_va(images=images["image_path"].tolist()[:3], audio=clips)
    assert va["image"].shape == (3, 2) and va["music"].shape == (5, 2) and va["music"].abs().max() <= 1
    wave, rate = sf.read(clips[0], dtype="float32")
    assert torch.allclose(model.predict_va(audio=[wave], sample_rate=rate)["music"], va["music"][:1], atol=1e-5)
    scores = model.score(images["image_path"].tolist()[:3], clips[0])
    expected = 1 - torch.linalg.vector_norm((va["image"] - va["music"][:1]) / 2, dim=-1)
    assert torch.allclose(scores, expected, atol=1e-6)
    catalogue = model.index(clips)
    assert catalogue.kind == "music" and np.allclose(catalogue.va, va["music"].numpy(), atol=1e-6)
    found = model.recommend(images["image_path"][0], catalogue, k=5)
    by_hand = sorted(zip(clips, model.score(images["image_path"][0], clips).tolist()), key=lambda x: -x[1])
    assert [r.item for r in found] == [p for p, _ in by_hand]
    assert np.allclose([r.score for r in found], [s for _, s in by_hand], atol=1e-5)
    no_image = affectzoo.create_model("imagemusic_va", image_encoders=(), music_encoders=("audio-statistics",),
                                      music_arousal="head")
    with pytest.raises(InputError, match="no image head"):
        no_image.predict_va(images=images["image_path"][0])


def test_sources_are_drawn_in_proportion_to_their_weights(tiny_va_data):
    from affectzoo.data.va_datamodule import OpenVADataModule

    data = OpenVADataModule(root="unused", balance_power=0.0, source_weights={"bass": 0.25})
    table = pd.DataFrame({"source": ["oasis"] * 6 + ["bass"] * 2})
    weights = data._weights(table)
    is_source = {source: torch.as_tensor((table["source"] == source).to_numpy().copy()) for source in ("oasis", "bass")}
    shares = {source: float(weights[mask].sum()) for source, mask in is_source.items()}
    assert shares["bass"] / shares["oasis"] == pytest.approx(0.25)
    with pytest.raises(ValueError, match="unknown sources in source_weights"):
        OpenVADataModule(source_weights={"nope": 1.0})


def test_a_runaway_rendering_is_stopped_and_reported(tmp_path, monkeypatch):
    import mido

    from affectzoo.data import midi as midi_module

    song = mido.MidiFile()
    track = mido.MidiTrack()
    song.tracks.append(track)
    track += [mido.Message("note_on", channel=0, note=60, velocity=100), mido.Message("note_off", channel=0, note=60,
                                                                                     time=4 * song.ticks_per_beat)]
    song.save(tmp_path / "song.mid")
    monkeypatch.setattr(midi_module, "MAX_RENDER_BYTES", 10_000)
    with pytest.raises(InputError, match="song.mid: fluidsynth could not render it"):
        midi_module.render_midi(tmp_path / "song.mid", program=48)
    monkeypatch.setattr(midi_module, "MAX_RENDER_BYTES", 1 << 30)
    assert midi_module.render_midi(tmp_path / "song.mid", program=48).stat().st_size > 10_000


def test_zero_head_init_starts_every_prediction_at_the_origin():
    model = affectzoo.create_model("imagemusic_va", **CHEAP, head_init="zero").eval()
    features = torch.randn(5, model.heads["music"][-1].in_features)
    assert torch.equal(model.heads["music"](features), torch.zeros(5, 2))
    random_start = affectzoo.create_model("imagemusic_va", **CHEAP, head_init="default").eval()
    assert not torch.equal(random_start.heads["music"](features),
                           torch.zeros(5, 2))
    with pytest.raises(ValueError, match="head_init must be one of"):
        affectzoo.create_model("imagemusic_va", **CHEAP, head_init="xavier")


def test_va_command_takes_the_musicnn_precision(tiny_va_data, tmp_path, capsys):
    from affectzoo.cli import main

    _, music = tiny_va_data
    folder = str(affectzoo.create_model("imagemusic_va", **CHEAP).save_pretrained(tmp_path / "model"))
    clip = music["audio_path"].iloc[0]
    assert main(["va", clip, "--model", folder, "--music-precision", "bf16"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[2:] == ["music", clip]


def test_spearman_columns_match_scipy_with_ties():
    from scipy.stats import spearmanr

    from affectzoo.models.imagemusic.tag_vote import spearman_columns

    generator = torch.Generator().manual_seed(0)
    x = torch.randint(0, 4, (40, 3), generator=generator).double()  # many ties
    y = torch.sign(torch.randn(40, generator=generator))  # binary labels, as EMOPIA's
    expected = [spearmanr(x[:, j], y).statistic for j in range(3)]
    assert torch.allclose(spearman_columns(x, y), torch.tensor(expected, dtype=torch.float64), atol=1e-9)
    assert spearman_columns(torch.ones(5, 1), torch.arange(5.0)).item() == 0, "a constant column has no order"


def test_tag_vote_reads_the_tags_that_order_every_source():
    from affectzoo.models.imagemusic.tag_vote import choose_vote

    generator = torch.Generator().manual_seed(1)
    sources = torch.arange(90) % 3
    arousal = torch.randn(90, generator=generator)
    tags = torch.randn(90, 6, generator=generator)
    tags[:, 4] = arousal + 0.3 * torch.randn(90, generator=generator)  # orders every source
    tags[:, 1] = -arousal + 0.3 * torch.randn(90, generator=generator)  # against arousal everywhere
    tags[sources == 0, 2] = 3 * arousal[sources == 0]  # orders one source only
    weights, k, inner = choose_vote(tags, arousal, sources, max_tags=3)
    assert k == 1 and set(inner) == {1, 2, 3} and inner[1] > 0.8
    assert weights.tolist() == [0, -1, 0, 0, 1, 0]
    single, k_single, _ = choose_vote(tags, arousal, torch.zeros(90, dtype=torch.long), max_tags=2)
    assert k_single == 1 and single[4] == 1
    with pytest.raises(ValueError, match="max_tags"):
        choose_vote(tags, arousal, sources, max_tags=4)


def test_music_arousal_vote_is_fitted_saved_and_named(tmp_path):
    model = affectzoo.create_model("imagemusic_va", image_encoders=(), music_encoders=("MTT_musicnn",),
                                   music_arousal="tag-vote", vote_max_tags=2).eval()
    positions = dict((name, position) for position, name in model._tag_positions())
    assert len(positions) == 50 and positions["MTT_musicnn:fast"] == 200 + 8
    vector = torch.randn(60, 500)
    arousal = torch.randn(60)
    vector[:, positions["MTT_musicnn:fast"]] = arousal
    vector[:, positions["MTT_musicnn:quiet"]] = -arousal
    model.standardize["music"].fit(vector)
    model._fit_vote({"vector": vector, "arousal": arousal, "source": torch.arange(60) % 2})
    assert model.vote_tags() == {"for": ["MTT_musicnn:fast"], "against": ["MTT_musicnn:quiet"]}
    predicted = model.va_of("music", vector)[:, 1]
    assert torch.equal(predicted.argsort(), arousal.argsort()), "arousal follows the vote"
    assert predicted.abs().max() < 1
    loaded = affectzoo.load(str(model.save_pretrained(tmp_path / "voted"))).eval()
    assert loaded.vote_tags() == model.vote_tags()
    assert torch.allclose(loaded.va_of("music", vector), model.va_of("music", vector))
    with pytest.raises(ValueError, match="needs a musicnn tagger"):
        affectzoo.create_model("imagemusic_va", **{**CHEAP, "music_arousal": "tag-vote"})
    with pytest.raises(ValueError, match="music_arousal must be one of"):
        affectzoo.create_model("imagemusic_va", **{**CHEAP, "music_arousal": "vote"})
