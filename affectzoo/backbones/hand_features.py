"""Hand-crafted features as frozen encoders: colour statistics of pictures, loudness and spectral
statistics of audio.

They serve twice: as the floors a learned V/A model must clear (brightness and saturation for
pictures, RMS level and spectral flux for music, each read as it is), and as extra inputs next to
a deep encoder's features. As :class:`~affectzoo.backbones.frozen.FrozenEncoder` s they share the
media path and the feature cache with the neural encoders; they have no weights.

Colour statistics (:data:`COLOUR_NAMES`), of the picture resized to 128 px (short side) and
centre-cropped, in [0, 1] RGB: luma (Rec. 601) mean and standard deviation, HSV saturation mean and
standard deviation, value mean, the saturation-weighted circular mean of hue (cos, sin), the
colourfulness of Hasler & Süsstrunk (2003), the mean of each RGB channel, the share of warm
(red-yellow, saturated) pixels, and the shares of dark (luma < 0.2) and bright (> 0.8) pixels.

Audio statistics (:data:`AUDIO_NAMES`), of the mono 16-kHz waveform (first ``clip_seconds``),
from a 1024-sample STFT with hop 512: RMS level in dB (mean, standard deviation), spectral flux
(mean of the positive log-magnitude differences), spectral centroid (log Hz), 85 % roll-off
(log Hz), zero-crossing rate, onset rate (flux peaks well above their local mean, per second) and the
share of low-energy frames (RMS below the clip's mean).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from affectzoo.backbones.frozen import FrozenEncoder

COLOUR_NAMES = ("brightness", "contrast", "saturation", "saturation_std", "value", "hue_cos", "hue_sin",
                "colourfulness", "red", "green", "blue", "warm_share", "dark_share", "bright_share")
AUDIO_NAMES = ("rms_db", "rms_db_std", "spectral_flux", "log_centroid", "log_rolloff", "zero_crossing_rate",
               "onset_rate", "low_energy_share")
N_FFT, HOP = 1024, 512
#: An onset's flux must exceed its neighbourhood's mean by this much too (steady tones have tiny wobbles).
ONSET_FLOOR = 0.05


class ColourStatistics(FrozenEncoder):
    """Pictures ``[B, 3, S, S]`` in [0, 1] -> colour statistics ``[B, 14]`` (:data:`COLOUR_NAMES`)."""

    modality = "image"
    names = COLOUR_NAMES

    def __init__(self, image_size: int = 128) -> None:
        super().__init__()
        self.cfg = {"name": "colour-statistics", "weights": "none (hand-crafted)", "names": list(COLOUR_NAMES)}
        self.preprocess = {"image_size": image_size, "mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0],
                           "crop_pct": 1.0, "interpolation": "bilinear"}
        self.num_features = len(COLOUR_NAMES)
        self.freeze()

    def feature_name(self) -> str:
        return "v1"

    def encode_batch(self, batch: Tensor) -> Tensor:
        rgb = batch.float().clamp(0, 1)
        red, green, blue = rgb.unbind(1)
        luma = 0.299 * red + 0.587 * green + 0.114 * blue
        high, low = rgb.max(dim=1).values, rgb.min(dim=1).values
        saturation = torch.where(high > 0, (high - low) / high.clamp(min=1e-6), torch.zeros_like(high))
        hue = _hue(red, green, blue, high, low)
        weight = saturation.flatten(1)
        total = weight.sum(1).clamp(min=1e-6)
        hue_cos = (torch.cos(hue).flatten(1) * weight).sum(1) / total
        hue_sin = (torch.sin(hue).flatten(1) * weight).sum(1) / total
        rg, yb = red - green, 0.5 * (red + green) - blue
        colourfulness = (rg.flatten(1).std(1).pow(2) + yb.flatten(1).std(1).pow(2)).sqrt() \
            + 0.3 * (rg.flatten(1).mean(1).pow(2) + yb.flatten(1).mean(1).pow(2)).sqrt()
        warm = ((hue < math.radians(70)) | (hue > math.radians(330))) & (saturation > 0.25)
        columns = [luma.flatten(1).mean(1), luma.flatten(1).std(1), saturation.flatten(1).mean(1),
                   saturation.flatten(1).std(1), high.flatten(1).mean(1), hue_cos, hue_sin, colourfulness,
                   red.flatten(1).mean(1), green.flatten(1).mean(1), blue.flatten(1).mean(1),
                   warm.flatten(1).float().mean(1), (luma < 0.2).flatten(1).float().mean(1),
                   (luma > 0.8).flatten(1).float().mean(1)]
        return torch.stack(columns, dim=1)


def _hue(red: Tensor, green: Tensor, blue: Tensor, high: Tensor, low: Tensor) -> Tensor:
    """HSV hue in radians [0, 2 pi) (0 for grey pixels)."""
    span = (high - low).clamp(min=1e-6)
    hue = torch.where(high == red, ((green - blue) / span) % 6,
                      torch.where(high == green, (blue - red) / span + 2, (red - green) / span + 4))
    return torch.where(high - low > 1e-6, hue * (math.pi / 3), torch.zeros_like(hue))


class AudioStatistics(FrozenEncoder):
    """Mono 16-kHz waveforms ``[B, T]`` -> loudness and spectral statistics ``[B, 8]`` (:data:`AUDIO_NAMES`)."""

    modality = "audio"
    names = AUDIO_NAMES

    def __init__(self, clip_seconds: float | None = 30.0, sample_rate: int = 16000) -> None:
        super().__init__()
        self.cfg = {"name": "audio-statistics", "weights": "none (hand-crafted)", "names": list(AUDIO_NAMES)}
        self.preprocess = {"sample_rate": sample_rate, "clip_seconds": clip_seconds, "mono": True}
        self.num_features = len(AUDIO_NAMES)
        self.freeze()

    def feature_name(self) -> str:
        return "v2"

    def encode_batch(self, batch: Tensor) -> Tensor:
        rate = self.preprocess["sample_rate"]
        waves = batch.float()
        if waves.shape[-1] < N_FFT:
            waves = torch.nn.functional.pad(waves, (0, N_FFT - waves.shape[-1]))
        spectrum = torch.stft(waves, N_FFT, HOP, window=torch.hann_window(N_FFT), return_complex=True).abs()
        frames = waves.unfold(-1, N_FFT, HOP)
        rms = frames.pow(2).mean(-1).sqrt()
        rms_db = 20 * torch.log10(rms.clamp(min=1e-5))
        log_magnitude = torch.log1p(100 * spectrum)
        flux = (log_magnitude[..., 1:] - log_magnitude[..., :-1]).clamp(min=0).mean(1)  # [B, frames - 1]
        freqs = torch.linspace(0, rate / 2, spectrum.shape[1])
        power = spectrum.pow(2)
        total = power.sum(1).clamp(min=1e-10)
        centroid = (power * freqs[:, None]).sum(1) / total
        rolloff = freqs[(power.cumsum(1) < 0.85 * total[:, None]).sum(1).clamp(max=len(freqs) - 1)]
        crossings = (frames[..., 1:].sign() != frames[..., :-1].sign()).float().mean(-1)
        local = torch.nn.functional.avg_pool1d(flux[:, None], 9, stride=1, padding=4, count_include_pad=False)[:, 0]
        rising = (flux > 1.5 * local) & (flux > local + ONSET_FLOOR)
        peaks = rising & (flux > flux.roll(1, -1)) & (flux >= flux.roll(-1, -1))
        seconds = waves.shape[-1] / rate
        columns = [rms_db.mean(1), rms_db.std(1), flux.mean(1), torch.log(centroid.mean(1) + 1),
                   torch.log(rolloff.float().mean(1) + 1), crossings.mean(1), peaks.float().sum(1) / seconds,
                   (rms < rms.mean(1, keepdim=True)).float().mean(1)]
        return torch.stack(columns, dim=1)
