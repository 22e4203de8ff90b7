"""Audio decoding, windows, transforms, bad-input errors and the log-mel front-end with its cache.

Every file is written by the tests themselves."""

from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile as sf
import torch
from PIL import Image

import affectzoo.layers.mel as mel_module
from affectzoo.data.audio import (AudioCfg, audio_duration, fit_length, load_audio, load_audio_batch,
                                  normalize_loudness, segment)
from affectzoo.data.batch import load_each
from affectzoo.errors import InputError
from affectzoo.layers.mel import MelFrontEnd, cached_mel

SR = 8000


def tone(seconds: float, sr: int = SR, freq: float = 440.0, amp: float = 0.5, channels: int = 1) -> np.ndarray:
    t = np.arange(round(seconds * sr)) / sr
    wave = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([wave * (c + 1) / channels for c in range(channels)], axis=1) if channels > 1 else wave


def write(path, data, sr: int = SR, **kwargs):
    sf.write(path, data, sr, **kwargs)
    return path


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".ogg", ".mp3"])
def test_formats_decode_to_mono_float32(tmp_path, suffix):
    path = write(tmp_path / f"a{suffix}", tone(1.0, sr=16000), sr=16000)
    wave = load_audio(path)
    assert wave.dtype == torch.float32 and wave.ndim == 1
    assert abs(wave.numel() - 16000) < 2000  # lossy codecs add or trim a little
    assert 0.3 < float(wave.abs().max()) < 0.7


def test_stereo_mixed_to_mono_or_kept(tmp_path):
    path = write(tmp_path / "st.wav", tone(0.5, channels=2), subtype="FLOAT")
    stereo = load_audio(path, mono=False)
    assert stereo.shape == (2, 4000)
    torch.testing.assert_close(load_audio(path), stereo.mean(dim=0))


def test_resample_gives_exact_length_and_keeps_pitch(tmp_path):
    path = write(tmp_path / "a.wav", tone(1.0, sr=22050, freq=1000.0), sr=22050, subtype="FLOAT")
    wave = load_audio(path, 16000, duration_s=1.0)
    assert wave.shape == (16000,)
    spectrum = torch.fft.rfft(wave).abs()
    assert abs(int(spectrum.argmax()) - 1000) <= 1  # 1-Hz bins for a 1-s window


def test_window_reads_only_the_window(tmp_path, monkeypatch):
    data = np.arange(10 * SR, dtype=np.float32) / (10 * SR)  # a ramp: sample value encodes position
    path = write(tmp_path / "long.wav", data, subtype="FLOAT")
    requested = []
    real_read = sf.SoundFile.read
    monkeypatch.setattr(sf.SoundFile, "read", lambda self, frames=-1, **kw: requested.append(frames)
                        or real_read(self, frames, **kw))
    wave = load_audio(path, offset_s=3.0, duration_s=2.0)
    assert requested == [2 * SR]
    torch.testing.assert_close(wave, torch.from_numpy(data[3 * SR:5 * SR]))


@pytest.mark.parametrize("suffix", [".mp3", ".ogg", ".flac"])
def test_window_of_compressed_file_matches_full_decode(tmp_path, suffix):
    # A pure tone makes lame lean on the bit reservoir: a plain seek then decodes zeros (pre-roll fixes it).
    path = write(tmp_path / f"a{suffix}", tone(6.0, sr=16000), sr=16000)
    whole = load_audio(path)
    for offset in (1.0, 2.3):
        window = load_audio(path, offset_s=offset, duration_s=0.5)
        start = round(offset * 16000)
        torch.testing.assert_close(window, whole[start:start + 8000], atol=1e-6, rtol=0)


def test_too_short_raises_or_pads(tmp_path):
    path = write(tmp_path / "short.wav", tone(1.0), subtype="FLOAT")
    with pytest.raises(InputError, match=r"short\.wav: is too short.*pad=True"):
        load_audio(path, duration_s=2.0)
    padded = load_audio(path, duration_s=2.0, pad=True)
    assert padded.shape == (2 * SR,)
    assert float(padded[SR:].abs().max()) == 0.0 and float(padded[:SR].abs().max()) > 0.4
    with pytest.raises(InputError, match="past the end"):
        load_audio(path, offset_s=1.5, duration_s=1.0, pad=True)


def test_silence_allowed_by_default_rejected_on_request(tmp_path):
    path = write(tmp_path / "silent.wav", np.zeros(SR, np.float32))
    wave = load_audio(path, normalize="rms")
    assert wave.shape == (SR,) and float(wave.abs().max()) == 0.0
    with pytest.raises(InputError, match=r"silent\.wav: is silent"):
        load_audio(path, reject_silence=True)
    assert load_audio(write(tmp_path / "tone.wav", tone(0.2)), reject_silence=True).numel() == 1600


@pytest.mark.parametrize("mode,target", [("peak", -1.0), ("rms", -20.0), ("rms", -30.0)])
def test_normalize_loudness_hits_target(mode, target):
    wave = torch.from_numpy(tone(1.0, amp=0.05))
    out = normalize_loudness(wave, mode, target)
    level = out.abs().max() if mode == "peak" else out.pow(2).mean().sqrt()
    assert 20 * math.log10(float(level)) == pytest.approx(target, abs=1e-3)



def test_normalize_defaults_and_bad_mode():
    out = normalize_loudness(torch.from_numpy(tone(1.0, amp=0.01)), "peak")
    assert 20 * math.log10(float(out.abs().max())) == pytest.approx(-1.0, abs=1e-3)
    with pytest.raises(ValueError, match="normalize"):
        normalize_loudness(torch.ones(4), "lufs")


def test_fit_length_crops_front_and_pads_end():
    wave = torch.arange(1.0, 6.0)
    assert fit_length(wave, 3).tolist() == [1.0, 2.0, 3.0]
    assert fit_length(wave, 7).tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 0.0, 0.0]
    assert fit_length(torch.ones(2, 5), 3).shape == (2, 3)


def test_segment_tail_drop_and_pad():
    wave = torch.arange(35.0)  # 3.5 windows of 10 samples at "10 Hz", 1-s windows
    dropped = segment(wave, 10, 1.0)
    assert dropped.shape == (3, 10) and dropped[2, 0] == 20.0
    padded = segment(wave, 10, 1.0, tail="pad")
    assert padded.shape == (4, 10) and padded[3, :5].tolist() == [30.0, 31.0, 32.0, 33.0, 34.0]
    assert float(padded[3, 5:].abs().sum()) == 0.0
    short = segment(torch.ones(4), 10, 1.0)
    assert short.shape == (1, 10) and float(short.sum()) == 4.0
    assert segment(torch.ones(2, 25), 10, 1.0).shape == (2, 2, 10)
    with pytest.raises(ValueError, match="tail"):
        segment(wave, 10, 1.0, tail="keep")


def test_mpjudge_segments_of_15_s():
    wave = torch.zeros(16000 * 40)
    assert segment(wave, 16000, 15.0).shape == (2, 240000)
    assert segment(wave, 16000, 15.0, tail="pad").shape == (3, 240000)


def test_audio_cfg_from_preprocess_and_load(tmp_path):
    cfg = AudioCfg.from_preprocess({"sample_rate": 16000, "clip_seconds": 0.5, "normalize": "peak",
                                    "image_size": 224, "n_mels": 128})
    assert cfg == AudioCfg(sample_rate=16000, clip_seconds=0.5, normalize="peak")
    wave = cfg.load(write(tmp_path / "a.wav", tone(1.0, amp=0.1), subtype="FLOAT"), offset_s=0.25)
    assert wave.shape == (8000,)
    assert float(wave.abs().max()) == pytest.approx(10 ** (-1 / 20), rel=1e-3)


def test_audio_duration_reads_header(tmp_path):
    assert audio_duration(write(tmp_path / "a.flac", tone(2.5))) == pytest.approx(2.5)


# --- bad input: every case raises InputError naming the file and the problem -------------------


def _write_bytes(path, data: bytes):
    path.write_bytes(data)
    return path


def _png_as_wav(tmp_path):
    path = tmp_path / "picture.wav"
    Image.new("RGB", (8, 8), "red").save(path, format="PNG")
    return path


def _truncated_wav(tmp_path):
    path = write(tmp_path / "cut.wav", tone(2.0))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _nan_wav(tmp_path):
    data = tone(0.5)
    data[100], data[200] = np.nan, np.inf
    return write(tmp_path / "nan.wav", data, subtype="FLOAT")


def _truncated_flac(tmp_path):
    path = write(tmp_path / "cut.flac", np.random.default_rng(0).uniform(-0.5, 0.5, 2 * SR).astype(np.float32))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


BAD_FILES = {
    "missing": (lambda d: d / "nope.wav", "file not found"),
    "empty": (lambda d: _write_bytes(d / "empty.wav", b""), r"empty \(0 bytes\)"),
    "garbage": (lambda d: _write_bytes(d / "noise.wav", np.random.default_rng(0).bytes(4000)),
                "cannot decode as audio"),
    "text": (lambda d: _write_bytes(d / "notes.txt", b"not audio\n" * 50), "unsupported format '.txt'"),
    "image-renamed": (_png_as_wav, "cannot decode as audio"),
    "truncated-wav": (_truncated_wav, "truncated"),
    "truncated-flac": (_truncated_flac, "corrupt or truncated"),
    "zero-frames": (lambda d: write(d / "zero.wav", np.zeros(0, np.float32)), r"no audio \(0 frames\)"),
    "nan": (_nan_wav, "2 NaN or infinite samples"),
    "directory": (lambda d: (d / "folder.wav").mkdir() or d / "folder.wav", "not a regular file"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_raises_input_error_naming_file(tmp_path, case):
    make, problem = BAD_FILES[case]
    path = make(tmp_path)
    with pytest.raises(InputError, match=problem) as info:
        load_audio(path)
    assert info.value.path == str(path) and str(path) in str(info.value)


def test_truncated_mp3_detected(tmp_path):
    path = write(tmp_path / "cut.mp3", tone(3.0, sr=16000), sr=16000)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut\.mp3: truncated"):
        load_audio(path)


def test_bad_arguments_are_value_errors(tmp_path):
    path = write(tmp_path / "a.wav", tone(0.5))
    with pytest.raises(ValueError):
        load_audio(path, offset_s=-1.0)
    with pytest.raises(ValueError):
        load_audio(path, duration_s=0.0)


# --- batches -------------------------------------------------------------------------------------


def test_batch_skip_reports_bad_and_keeps_good(tmp_path):
    good = [write(tmp_path / f"g{i}.wav", tone(0.5, freq=200.0 * (i + 1))) for i in range(3)]
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    paths = [good[0], tmp_path / "missing.wav", good[1], empty, good[2]]
    result = load_audio_batch(paths, 16000, duration_s=0.5, on_error="skip")
    assert [p for p, _ in result.items] == good
    assert all(wave.shape == (8000,) for _, wave in result.items)
    assert [(p.name, reason) for p, reason in result.skipped] == [("missing.wav", "file not found"),
                                                                  ("empty.wav", "file is empty (0 bytes)")]


def test_batch_raise_stops_at_first_bad(tmp_path):
    good = write(tmp_path / "g.wav", tone(0.5))
    with pytest.raises(InputError, match="missing.wav: file not found"):
        load_audio_batch([good, tmp_path / "missing.wav"])
    with pytest.raises(ValueError, match="on_error"):
        load_audio_batch([good], on_error="ignore")


def test_load_each_lets_bugs_through(tmp_path):
    def broken(path):
        raise KeyError("a bug, not bad input")

    with pytest.raises(KeyError):
        load_each([tmp_path / "x.wav"], broken, on_error="skip")


# --- log-mel front-end and mel cache ---------------------------------------------------------

MPJUDGE = {"sample_rate": 16000, "n_fft": 1024, "hop_length": 512, "n_mels": 128}


def test_mpjudge_15_s_clip_is_469_by_128():
    frontend = MelFrontEnd.from_cfg(MPJUDGE)
    out = frontend(torch.randn(15 * 16000))
    assert out.shape == (469, 128)
    assert frontend.num_frames(15 * 16000) == 469
    assert frontend(torch.randn(3, 15 * 16000)).shape == (3, 469, 128)


def test_uncentred_frames_follow_num_frames():
    frontend = MelFrontEnd(**MPJUDGE, center=False)
    assert frontend(torch.randn(15 * 16000)).shape == (frontend.num_frames(15 * 16000), 128) == (467, 128)


def test_tone_lands_in_the_right_mel_band():
    sr = 16000
    t = torch.arange(sr) / sr
    frontend = MelFrontEnd(sr, 1024, 512, 64, f_max=8000.0)
    low = frontend(torch.sin(2 * torch.pi * 300 * t)).mean(dim=0).argmax()
    high = frontend(torch.sin(2 * torch.pi * 3000 * t)).mean(dim=0).argmax()
    assert low < high
    bins = frontend.mel.mel_scale.fb  # [freq, n_mels]; the 3-kHz tone's strongest filter is its band
    assert bins[round(3000 / (sr / 1024))].argmax() == high


def test_log_and_db_scales():
    wave = torch.randn(8000)
    log = MelFrontEnd(8000, 256, 128, 32, scale="log", log_offset=1e-6)(wave)
    db = MelFrontEnd(8000, 256, 128, 32, scale="db", log_offset=1e-10)(wave)
    raw = MelFrontEnd(8000, 256, 128, 32).mel(wave).transpose(0, 1)
    torch.testing.assert_close(log, torch.log(raw + 1e-6))
    torch.testing.assert_close(db, 10 * torch.log10(raw.clamp(min=1e-10)))
    magnitude = MelFrontEnd(8000, 256, 128, 32, power=1.0, scale="db", log_offset=1e-10)
    raw_magnitude = magnitude.mel(wave).transpose(0, 1)
    torch.testing.assert_close(magnitude(wave), 20 * torch.log10(raw_magnitude.clamp(min=1e-10)))
    with pytest.raises(ValueError, match="scale"):
        MelFrontEnd(8000, 256, 128, 32, scale="ln")


def test_from_cfg_requires_core_keys_and_ignores_others():
    frontend = MelFrontEnd.from_cfg({**MPJUDGE, "f_max": 8000.0, "image_size": 224, "clip_seconds": 15})
    assert frontend.cfg["f_max"] == 8000.0 and "image_size" not in frontend.cfg
    with pytest.raises(ValueError, match="n_mels"):
        MelFrontEnd.from_cfg({"sample_rate": 16000, "n_fft": 1024, "hop_length": 512, "n_mel": 128})


@pytest.fixture
def counted_loads(monkeypatch, tmp_path):
    """Point the cache at tmp_path and count the audio decodes cached_mel does."""
    monkeypatch.setenv("AFFECTZOO_CACHE", str(tmp_path / "cache"))
    calls = []
    real = mel_module.load_audio

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(mel_module, "load_audio", counting)
    return calls


def _song(tmp_path, seconds=2.0, sr=22050):
    return write(tmp_path / "song.wav", tone(seconds, sr=sr, amp=0.3), sr=sr)


def test_cached_mel_hits_on_second_call_and_misses_on_changed_cfg(tmp_path, counted_loads):
    path = _song(tmp_path)
    frontend = MelFrontEnd.from_cfg(MPJUDGE)
    first = cached_mel(path, frontend, duration_s=1.0)
    assert first.shape == (1 + 16000 // 512, 128) and len(counted_loads) == 1
    second = cached_mel(path, frontend, duration_s=1.0)
    assert len(counted_loads) == 1, "second call must come from the cache"
    torch.testing.assert_close(second, first)
    assert list((tmp_path / "cache" / "mel").rglob("*.safetensors"))

    cached_mel(path, MelFrontEnd.from_cfg({**MPJUDGE, "n_mels": 64}), duration_s=1.0)
    assert len(counted_loads) == 2, "a changed mel cfg must miss"
    cached_mel(path, frontend, duration_s=1.0, normalize="rms")
    assert len(counted_loads) == 3, "changed loading options must miss"
    _song(tmp_path, seconds=2.0, sr=16000)  # same name, new content
    cached_mel(path, frontend, duration_s=1.0)
    assert len(counted_loads) == 4, "changed file content must miss"


def test_cached_mel_matches_direct_computation(tmp_path, counted_loads):
    path = _song(tmp_path, sr=16000)
    frontend = MelFrontEnd.from_cfg(MPJUDGE)
    wave = torch.from_numpy(sf.read(path, dtype="float32")[0])
    torch.testing.assert_close(cached_mel(path, frontend), frontend(wave))


def test_cached_mel_bad_file_raises_and_caches_nothing(tmp_path, counted_loads):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"")
    with pytest.raises(InputError, match="bad.wav: file is empty"):
        cached_mel(bad, MelFrontEnd.from_cfg(MPJUDGE))
    assert not list((tmp_path / "cache").rglob("*.safetensors"))
    with pytest.raises(ValueError, match="mono"):
        cached_mel(_song(tmp_path), MelFrontEnd.from_cfg(MPJUDGE), mono=False)
