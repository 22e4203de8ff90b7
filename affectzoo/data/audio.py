"""Audio decoding and waveform transforms: file -> mono float32 tensor at the model's sample rate.

Decoding uses soundfile (libsndfile 1.2: WAV, FLAC, OGG/Vorbis/Opus, MP3, AIFF, ...). Only the
requested window is read: ``load_audio(path, sr, offset_s, duration_s)`` seeks to the offset and
reads ``duration_s`` worth of frames, so a 15-s clip of an hour-long file costs a 15-s decode (plus
a 1-s pre-roll for MP3 and Ogg, whose decoders need earlier data after a seek; see
``_PREROLL_FORMATS``).

The order of operations in :func:`load_audio` is fixed and documented because every step changes
the next one's result: read window -> check finite -> check silence -> mix to mono -> resample
(``torchaudio.functional.resample``) -> loudness normalisation (of the window, not the whole file)
-> exact length (zeros appended: past the file's end only when ``pad=True``; an MP3 decoder
stopping a few frames short of its header's count is padded silently, see ``_SHORTFALL_FRAMES``).

Every unusable file raises :class:`~affectzoo.errors.InputError` naming the file and the problem:
missing, empty, not decodable (corrupt or unsupported format), truncated, no frames, NaN/inf
samples, silent (only when ``reject_silence=True``; by default silence is returned as zeros), or
shorter than the requested window (unless ``pad=True``).

Batch loading (:func:`load_audio_batch`, and :func:`load_each` for any per-file loader) either
raises on the first bad file or skips it and reports ``(path, reason)``, losing nothing else.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import soundfile as sf
import torch
from torchaudio.functional import resample

from affectzoo.data.batch import BatchResult, load_each
from affectzoo.errors import InputError, check_readable_file


#: A window whose peak is below this (-80 dBFS) counts as silent.
SILENCE_PEAK = 1e-4
#: Default target level per normalisation mode, in dBFS.
DEFAULT_TARGET_DBFS = {"peak": -1.0, "rms": -20.0}
#: How many frames a decode may fall short of the header's count without being called truncated:
#: MP3 headers count encoder delay/padding (real files decode ~600-1200 frames fewer), so allow
#: four MPEG frames or 1% of the length, whichever is larger.
_SHORTFALL_FRAMES = 4 * 1152
_SHORTFALL_FRACTION = 0.01
#: Formats whose decoder needs earlier data to decode a frame right after a seek. libsndfile 1.2.2
#: returns up to ~0.4 s of zeros after seeking into an MP3 that uses the bit reservoir (measured on
#: lame-encoded tones), and Vorbis seeks can land one block late (libsndfile issue #885); seeking
#: 1 s early and decoding forward makes MP3 windows sample-exact and makes the Vorbis case rarer.
_PREROLL_FORMATS = {"MP3", "OGG"}
_AUDIO_SUFFIXES = {"." + name.lower() for name in sf.available_formats()} | {".aif", ".oga", ".opus"}
# libsndfile's log line for a WAV/AIFF data chunk that claims more bytes than the file holds.
_CHUNK_SHORT = re.compile(r"^\s*(?:data|SSND)\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)
_STREAMED_CHUNK = 0xFFFFFF00  # sizes from here up are "unknown length" markers of streamed WAVs



@dataclass(frozen=True)
class AudioCfg:
    """How a model wants its audio: the audio part of a pretrained cfg's ``preprocess``.

    ``sample_rate`` None keeps the file's rate; ``clip_seconds`` None loads the whole file;
    ``normalize`` is None, ``"peak"`` or ``"rms"`` (see :func:`normalize_loudness`).
    """

    sample_rate: int | None = None
    clip_seconds: float | None = None
    mono: bool = True
    normalize: str | None = None
    target_dbfs: float | None = None

    @classmethod
    def from_preprocess(cls, preprocess: Mapping) -> "AudioCfg":
        """The audio settings of a ``preprocess`` dict; keys of other parts (image, mel) are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in preprocess.items() if k in names})

    def load(self, path: Path | str, offset_s: float = 0.0, *, pad: bool = False,
             reject_silence: bool = False) -> torch.Tensor:
        """:func:`load_audio` with these settings."""
        return load_audio(path, self.sample_rate, offset_s, self.clip_seconds, mono=self.mono, pad=pad,
                          normalize=self.normalize, target_dbfs=self.target_dbfs, reject_silence=reject_silence)


def audio_duration(path: Path | str) -> float:
    """Length of an audio file in seconds, from its header (nothing is decoded)."""
    path = Path(path)
    with _open(path) as handle:
        return handle.frames / handle.samplerate


def load_audio(path: Path | str, sample_rate: int | None = None, offset_s: float = 0.0,
               duration_s: float | None = None, *, mono: bool = True, pad: bool = False,
               normalize: str | None = None, target_dbfs: float | None = None,
               reject_silence: bool = False) -> torch.Tensor:
    """Decode ``duration_s`` seconds from ``offset_s`` (default: to the end) as float32.

    Returns ``[time]`` when ``mono`` (channels averaged) else ``[channels, time]``, at
    ``sample_rate`` (None: the file's rate). With ``duration_s`` the length is exactly
    ``round(duration_s * rate)``; a file too short for the window raises unless ``pad`` (then
    zeros are appended). ``normalize``/``target_dbfs``: see :func:`normalize_loudness`.
    """
    path = Path(path)
    if offset_s < 0 or (duration_s is not None and duration_s <= 0):
        raise ValueError(f"offset_s must be >= 0 and duration_s > 0, got {offset_s}, {duration_s}")
    with _open(path) as handle:
        rate, total = handle.samplerate, handle.frames
        if total == 0:
            raise InputError(path, "contains no audio (0 frames)")
        _check_declared_size(path, handle)
        start = round(offset_s * rate)
        if start >= total:
            raise InputError(path, f"offset {offset_s:g} s is at or past the end of the audio ({total / rate:.2f} s)")
        wanted = total - start if duration_s is None else round(duration_s * rate)
        if start + wanted > total and not pad:
            raise InputError(path, f"is too short: {offset_s:g} s + {duration_s:g} s requested, audio is "
                                   f"{total / rate:.2f} s long (pass pad=True to zero-pad)")
        preroll = min(start, rate) if handle.format in _PREROLL_FORMATS else 0
        try:
            if start:
                handle.seek(start - preroll)
            data = handle.read(preroll + min(wanted, total - start), dtype="float32", always_2d=True)[preroll:]
        except (sf.SoundFileError, RuntimeError) as err:
            raise InputError(path, f"corrupt or truncated audio data ({err})") from None
    expected = min(wanted, total - start)
    if len(data) < expected - max(_SHORTFALL_FRAMES, _SHORTFALL_FRACTION * total):
        raise InputError(path, f"truncated: the header promises {total} frames but decoding stopped at "
                               f"{start + len(data)}")
    if len(data) == 0:
        raise InputError(path, "contains no decodable audio frames")
    if not np.isfinite(data).all():
        raise InputError(path, f"contains {int((~np.isfinite(data)).sum())} NaN or infinite samples")
    if reject_silence and float(np.abs(data).max()) < SILENCE_PEAK:
        raise InputError(path, "is silent (peak below -80 dBFS)")
    wave = torch.from_numpy(np.ascontiguousarray(data.T))
    if mono:
        wave = wave.mean(dim=0)
    if sample_rate is not None and sample_rate != rate:
        wave = resample(wave, rate, sample_rate)
        rate = sample_rate
    if normalize is not None:
        wave = normalize_loudness(wave, normalize, target_dbfs)
    if duration_s is not None:
        wave = fit_length(wave, round(duration_s * rate))
    return wave


def normalize_loudness(wave: torch.Tensor, mode: str = "rms", target_dbfs: float | None = None) -> torch.Tensor:
    """Scale ``wave`` so its peak (``"peak"``) or RMS (``"rms"``) level is ``target_dbfs``.

    Defaults: peak -1 dBFS, RMS -20 dBFS. The level is measured over all samples and channels of
    ``wave``. Samples are not clipped afterwards (RMS normalisation of a very dynamic clip can
    exceed 1.0; the features downstream are float). Silent input (peak below -80 dBFS) is
    returned unchanged rather than amplified noise.
    """
    if mode not in DEFAULT_TARGET_DBFS:
        raise ValueError(f"normalize must be one of {sorted(DEFAULT_TARGET_DBFS)}, got {mode!r}")
    target = DEFAULT_TARGET_DBFS[mode] if target_dbfs is None else target_dbfs
    if wave.numel() == 0 or float(wave.abs().max()) < SILENCE_PEAK:
        return wave
    level = wave.abs().max() if mode == "peak" else wave.pow(2).mean().sqrt()
    return wave * (10.0 ** (target / 20.0) / level)


def fit_length(wave: torch.Tensor, length: int) -> torch.Tensor:
    """Crop (keep the first ``length`` samples) or zero-pad at the end, along the last dimension."""
    have = wave.shape[-1]
    if have >= length:
        return wave[..., :length]
    return torch.nn.functional.pad(wave, (0, length - have))


def segment(wave: torch.Tensor, sample_rate: int, seconds: float, *, tail: str = "drop") -> torch.Tensor:
    """Cut ``wave`` (``[time]`` or ``[channels, time]``) into non-overlapping ``seconds``-long windows.

    Returns ``[n, ..., window]``. The tail shorter than a window is dropped (``tail="drop"``, the
    default) or zero-padded into a last window (``tail="pad"``). Audio shorter than one window
    always gives one zero-padded window, so every file yields at least one segment.
    """
    if tail not in ("drop", "pad"):
        raise ValueError(f"tail must be 'drop' or 'pad', got {tail!r}")
    size = round(seconds * sample_rate)
    have = wave.shape[-1]
    count = max(1, math.ceil(have / size) if tail == "pad" else have // size)
    windows = fit_length(wave, count * size).unflatten(-1, (count, size))
    return windows.movedim(-2, 0)


def load_audio_batch(paths: Iterable[Path | str], sample_rate: int | None = None, offset_s: float = 0.0,
                     duration_s: float | None = None, *, on_error: str = "raise",
                     **options) -> BatchResult[torch.Tensor]:
    """:func:`load_audio` on every path (``options`` are its keyword arguments), raising or skipping bad files."""
    return load_each(paths, lambda p: load_audio(p, sample_rate, offset_s, duration_s, **options), on_error)


def _open(path: Path) -> sf.SoundFile:
    """Open ``path`` for reading, turning every failure into an InputError that says why."""
    check_readable_file(path)
    try:
        return sf.SoundFile(path)
    except (sf.SoundFileError, RuntimeError) as err:
        reason = getattr(err, "error_string", str(err)).strip()
        if path.suffix.lower() not in _AUDIO_SUFFIXES:
            raise InputError(path, f"unsupported format {path.suffix or '(no extension)'!r}: not audio that "
                                   f"libsndfile can decode ({reason}); use wav, flac, ogg or mp3") from None
        raise InputError(path, f"cannot decode as audio: corrupt or not really {path.suffix} data ({reason})") from None


def _check_declared_size(path: Path, handle: sf.SoundFile) -> None:
    """Raise when a WAV/AIFF data chunk claims more bytes than the file holds (a cut-off file).

    libsndfile silently shortens such files to what is there; its header log keeps the evidence.
    """
    match = _CHUNK_SHORT.search(handle.extra_info)
    if match:
        declared, actual = int(match.group(1)), int(match.group(2))
        if actual < declared < _STREAMED_CHUNK:
            raise InputError(path, f"truncated: the header declares {declared} bytes of audio data, "
                                   f"the file holds {actual}")
