"""One media path: paths, folders, PIL images, numpy/torch images and waveforms, prepared tensors."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch
from PIL import Image
from torchaudio.functional import resample

from affectzoo import media
from affectzoo.errors import InputError

PREPROCESS = {"image_size": 16, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "crop_pct": 1.0,
              "interpolation": "bicubic", "sample_rate": 16000, "clip_seconds": 1.5}


def picture(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (24, 20, 3), dtype=np.uint8)


def tone(seconds: float, rate: int, freq: float = 440.0) -> np.ndarray:
    return (0.3 * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def test_every_image_form_gives_the_same_pixels(tmp_path):
    array = picture()
    Image.fromarray(array).save(tmp_path / "p.png")
    from_file = media.image_tensor(tmp_path / "p.png", PREPROCESS)
    assert from_file.shape == (3, 16, 16)
    for item in (str(tmp_path / "p.png"), Image.fromarray(array), array, torch.from_numpy(array).permute(2, 0, 1),
                 array.astype(np.float64) / 255):
        assert torch.allclose(media.image_tensor(item, PREPROCESS), from_file, atol=1e-6), type(item)
    prepared = torch.randn(3, 16, 16)
    assert media.image_tensor(prepared, PREPROCESS) is prepared, "float tensors are prepared inputs"
    grey = media.image_tensor(array[..., 0], PREPROCESS)
    assert grey.shape == (3, 16, 16) and torch.equal(grey[0], grey[1])


def test_bad_images_are_named(tmp_path):
    with pytest.raises(InputError, match=r"float pixels must lie in \[0, 1\]"):
        media.image_tensor(picture().astype(np.float32), PREPROCESS)
    with pytest.raises(InputError, match="expected pixels H x W"):
        media.image_tensor(np.zeros((4, 4, 7), np.uint8), PREPROCESS)
    with pytest.raises(InputError, match="image of type dict"):
        media.image_tensor({}, PREPROCESS)
    (tmp_path / "bad.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(InputError, match="bad.png"):
        media.image_tensor(tmp_path / "bad.png", PREPROCESS)


def test_waveforms_from_files_and_arrays_agree(tmp_path):
    wave = tone(2.0, 22050)
    sf.write(tmp_path / "a.wav", wave, 22050, subtype="FLOAT")
    from_file = media.waveform(tmp_path / "a.wav", PREPROCESS)
    assert from_file.shape == (24000,), "resampled to 16 kHz and cut to the first 1.5 s"
    from_numpy = media.waveform(wave, PREPROCESS, sample_rate=22050)
    assert torch.allclose(from_numpy, from_file, atol=1e-4)
    assert torch.allclose(media.waveform(torch.from_numpy(wave), PREPROCESS, 22050), from_numpy)
    stereo = np.stack([wave, wave])
    assert torch.allclose(media.waveform(stereo, PREPROCESS, 22050), from_numpy)
    assert torch.allclose(media.waveform(stereo.T, PREPROCESS, 22050), from_numpy)
    native = tone(1.0, 16000)
    assert torch.equal(media.waveform(native, PREPROCESS), torch.from_numpy(native)), "no rate: the model's own"
    expected = resample(torch.from_numpy(tone(1.0, 8000)), 8000, 16000)
    assert torch.allclose(media.waveform(tone(1.0, 8000), PREPROCESS, 8000), expected)
    mel = torch.randn(30, 8)
    assert media.waveform(mel, PREPROCESS) is mel, "prepared tensors pass through"
    with pytest.raises(InputError, match="NaN"):
        media.waveform(np.full(100, np.nan, np.float32), PREPROCESS)


def test_folders_expand_sorted_and_bad_entries_are_reported(tmp_path):
    (tmp_path / "music" / "sub").mkdir(parents=True)
    for name in ("b.wav", "sub/a.wav", "c.ogg"):
        sf.write(tmp_path / "music" / name, tone(0.5, 16000), 16000)
    (tmp_path / "music" / "notes.txt").write_text("not audio")
    found = media.collect(tmp_path / "music", "audio")
    assert [p.rsplit("music/", 1)[1] for p in found.items] == ["b.wav", "c.ogg", "sub/a.wav"]
    (tmp_path / "music" / "broken.wav").write_bytes(b"RIFF nope")
    waves, kept = media.prepare_waveforms([tmp_path / "music", tmp_path / "missing.wav"], PREPROCESS,
                                          on_error="skip")
    assert len(waves) == 3 and len(kept.items) == 3
    assert {reason for _, reason in kept.skipped} >= {"file not found"}
    assert any(item.endswith("broken.wav") for item, _ in kept.skipped)
    with pytest.raises(InputError, match="broken.wav"):
        media.prepare_waveforms(tmp_path / "music", PREPROCESS)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="folder holds no image files"):
        media.collect(tmp_path / "empty", "image")
    with pytest.raises(InputError, match="is audio, expected image"):
        media.collect(tmp_path / "music" / "b.wav", "image")


def test_split_by_kind_and_single_inputs(tmp_path):
    Image.fromarray(picture()).save(tmp_path / "p.png")
    sf.write(tmp_path / "m.wav", tone(0.5, 16000), 16000)
    found = media.split_by_kind([tmp_path])
    assert [len(found["image"].items), len(found["audio"].items)] == [1, 1]
    assert media.is_single("x.png") and not media.is_single(["x.png"]) and not media.is_single(tmp_path)
    skipped = media.split_by_kind([tmp_path / "notes.txt"], on_error="skip")
    assert skipped["image"].skipped and "neither an image" in skipped["image"].skipped[0][1]
