"""Log-mel front-end: waveform -> ``[time, n_mels]`` log-mel spectrogram, configured from a cfg dict.

``MelFrontEnd`` wraps ``torchaudio.transforms.MelSpectrogram`` (Hann window, ``win_length =
n_fft``, HTK mel scale, no filterbank normalisation) followed by a log (``log(mel + log_offset)``)
or decibel (``(20 / power) * log10(max(mel, log_offset))``) compression.

Frames are centred (``center=True``: the signal is reflect-padded by ``n_fft // 2`` on both sides),
so a signal of ``n`` samples gives ``1 + n // hop_length`` frames. That is what makes the MPJudge
front-end (16 kHz, n_fft 1024, hop 512, 128 mels) turn a 15-s clip (240,000 samples) into exactly
the 469 x 128 input its paper states; ``center=False`` would give 467.

:func:`cached_mel` computes the spectrogram of a file once and keeps it in the ``"mel"`` feature
cache, keyed by the file's content, the front-end cfg and the loading options.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import torch
from torch import nn
from torchaudio.transforms import MelSpectrogram

from affectzoo.data.audio import load_audio
from affectzoo.data.cache import FeatureCache

_REQUIRED = ("sample_rate", "n_fft", "hop_length", "n_mels")
_SCALES = ("log", "db")


class MelFrontEnd(nn.Module):
    """Waveform ``[time]`` or ``[batch, time]`` -> log-mel ``[frames, n_mels]`` or ``[batch, frames, n_mels]``."""

    def __init__(self, sample_rate: int, n_fft: int, hop_length: int, n_mels: int, f_min: float = 0.0,
                 f_max: float | None = None, power: float = 2.0, scale: str = "log", log_offset: float = 1e-6,
                 center: bool = True) -> None:
        super().__init__()
        if scale not in _SCALES:
            raise ValueError(f"scale must be one of {_SCALES}, got {scale!r}")
        self.cfg: dict[str, Any] = {"sample_rate": sample_rate, "n_fft": n_fft, "hop_length": hop_length,
                                    "n_mels": n_mels, "f_min": f_min, "f_max": f_max, "power": power,
                                    "scale": scale, "log_offset": log_offset, "center": center}
        self.mel = MelSpectrogram(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels,
                                  f_min=f_min, f_max=f_max, power=power, center=center, pad_mode="reflect")

    @classmethod
    def from_cfg(cls, cfg: Mapping[str, Any]) -> "MelFrontEnd":
        """Build from a cfg dict (e.g. a pretrained cfg's ``preprocess``); keys it does not know are ignored.

        ``sample_rate``, ``n_fft``, ``hop_length`` and ``n_mels`` are required, so a misspelt one
        fails here instead of silently taking a default.
        """
        missing = [k for k in _REQUIRED if k not in cfg]
        if missing:
            raise ValueError(f"mel cfg lacks {missing}; it has {sorted(cfg)}")
        names = set(_REQUIRED) | {"f_min", "f_max", "power", "scale", "log_offset", "center"}
        return cls(**{k: v for k, v in cfg.items() if k in names})

    @property
    def sample_rate(self) -> int:
        return self.cfg["sample_rate"]

    def num_frames(self, num_samples: int) -> int:
        """Frames produced for ``num_samples`` samples."""
        if self.cfg["center"]:
            return 1 + num_samples // self.cfg["hop_length"]
        return 1 + (num_samples - self.cfg["n_fft"]) // self.cfg["hop_length"]

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        mel = self.mel(wave)
        if self.cfg["scale"] == "log":
            out = torch.log(mel + self.cfg["log_offset"])
        else:
            out = (20.0 / self.cfg["power"]) * torch.log10(mel.clamp(min=self.cfg["log_offset"]))
        return out.transpose(-1, -2)


def cached_mel(path: Path | str, frontend: MelFrontEnd, **load_options) -> torch.Tensor:
    """Log-mel ``[frames, n_mels]`` (CPU) of the mono audio of ``path``, computed once and cached.

    The audio is read by :func:`~affectzoo.data.audio.load_audio` at the front-end's sample rate
    with ``load_options`` (``offset_s``, ``duration_s``, ``pad``, ``normalize``, ...). The cache
    key covers the file's content, ``frontend.cfg`` and ``load_options``, so changing any of them
    computes a new entry. Bad files raise InputError and nothing is cached.
    """
    if not load_options.get("mono", True):
        raise ValueError("cached_mel works on mono audio; drop mono=False")

    def compute() -> torch.Tensor:
        wave = load_audio(path, frontend.sample_rate, **load_options)
        device = frontend.mel.spectrogram.window.device
        with torch.no_grad():
            return frontend(wave.to(device)).cpu()

    cfg = {"mel": frontend.cfg, "load": dict(sorted(load_options.items()))}
    return FeatureCache("mel").tensor(path, cfg, compute)
