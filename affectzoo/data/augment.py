"""Seeded audio augmentation: gain, a tilt of the spectrum, background noise.

``augment_waveform(wave, sample_rate, seed)`` draws its settings from ``seed`` alone, so an
augmented variant of a file is reproducible and its frozen-encoder features can be cached like
the clean ones (the seed is part of the cache key). Ranges (:data:`RANGES`):

* gain: uniform -9 .. +6 dB (musicnn's log-mel is not scale invariant, and recordings come at
  every level);
* equalisation: a bass shelf (100 Hz) and a treble shelf (3 kHz), each uniform -6 .. +6 dB (other
  microphones, rooms and mixes);
* noise: with probability 0.5, white noise at a signal-to-noise ratio uniform 15 .. 35 dB.

Short crops are not done here: they are cheaper on cached per-patch features (a random run of
patches, see the V/A model).
"""

from __future__ import annotations

import torch
from torchaudio.functional import bass_biquad, treble_biquad

RANGES = {"gain_db": (-9.0, 6.0), "bass_db": (-6.0, 6.0), "treble_db": (-6.0, 6.0), "snr_db": (15.0, 35.0)}
NOISE_PROBABILITY = 0.5


def augmentation_settings(seed: int) -> dict[str, float | None]:
    """The settings ``seed`` draws (``snr_db`` None: no noise)."""
    generator = torch.Generator().manual_seed(int(seed))

    def uniform(low: float, high: float) -> float:
        return low + (high - low) * float(torch.rand((), generator=generator))

    settings = {name: uniform(*RANGES[name]) for name in ("gain_db", "bass_db", "treble_db")}
    noisy = float(torch.rand((), generator=generator)) < NOISE_PROBABILITY
    settings["snr_db"] = uniform(*RANGES["snr_db"]) if noisy else None
    settings["noise_seed"] = int(torch.randint(0, 2**31 - 1, (), generator=generator))
    return settings


def augment_waveform(wave: torch.Tensor, sample_rate: int, seed: int) -> torch.Tensor:
    """A mono waveform ``[T]`` with the gain, equalisation and noise that ``seed`` draws."""
    settings = augmentation_settings(seed)
    out = wave.float()
    out = bass_biquad(out, sample_rate, settings["bass_db"], central_freq=100.0)
    out = treble_biquad(out, sample_rate, settings["treble_db"], central_freq=3000.0)
    out = out * 10.0 ** (settings["gain_db"] / 20.0)
    if settings["snr_db"] is not None:
        power = out.pow(2).mean().clamp(min=1e-12)
        noise = torch.randn(out.shape, generator=torch.Generator().manual_seed(settings["noise_seed"]))
        out = out + noise * (power / 10.0 ** (settings["snr_db"] / 10.0)).sqrt()
    return out.clamp(-1.0, 1.0)
