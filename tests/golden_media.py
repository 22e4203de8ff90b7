"""Deterministic media for golden-output tests: the same pictures and clips on every machine.

Images are smooth colour fields with a few shapes and clips are sums of tones with an envelope,
all computed from fixed formulas (no random number generator), written as PNG and WAV.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image

SAMPLE_RATE = 22050


def golden_images(folder: Path) -> list[Path]:
    """Three 320 x 256 RGB images: a warm gradient, a cold stripe field, a dark checkerboard with a disc."""
    folder.mkdir(parents=True, exist_ok=True)
    y, x = np.mgrid[0:256, 0:320] / np.array([255.0, 319.0])[:, None, None]
    warm = np.stack([0.9 - 0.2 * y, 0.4 + 0.4 * x, 0.1 + 0.1 * x * y], axis=-1)
    cold = np.stack([0.1 + 0.1 * np.sin(12 * x), 0.3 + 0.2 * y, 0.6 + 0.3 * np.sin(20 * y) ** 2], axis=-1)
    checker = ((np.floor(8 * x) + np.floor(8 * y)) % 2)[..., None] * np.array([0.25, 0.2, 0.3])
    disc = (((x - 0.5) * 1.25) ** 2 + (y - 0.5) ** 2 < 0.05)[..., None] * np.array([0.6, 0.05, 0.05])
    paths = []
    for name, pixels in (("warm", warm), ("cold", cold), ("dark", checker + disc)):
        path = folder / f"{name}.png"
        Image.fromarray((np.clip(pixels, 0, 1) * 255).round().astype(np.uint8)).save(path)
        paths.append(path)
    return paths


def golden_waves() -> dict[str, np.ndarray]:
    """Three 16-s mono clips at 22,050 Hz: a slow low chord, a fast bright arpeggio, pulsed noise-free clicks."""
    t = np.arange(16 * SAMPLE_RATE) / SAMPLE_RATE
    slow = 0.2 * sum(np.sin(2 * np.pi * f * t) for f in (110.0, 130.8, 164.8)) * (0.6 + 0.4 * np.sin(0.5 * t))
    notes = 440.0 * 2 ** (np.floor(t * 8) % 12 / 12)
    fast = 0.3 * np.sin(2 * np.pi * np.cumsum(notes) / SAMPLE_RATE) * np.exp(-((t * 8) % 1) * 3)
    pulse = 0.5 * np.sin(2 * np.pi * 60 * t) * np.exp(-((t * 2) % 1) * 12) + 0.05 * np.sin(2 * np.pi * 3000 * t)
    return {"slow": slow.astype(np.float32), "fast": fast.astype(np.float32), "pulse": pulse.astype(np.float32)}


def golden_audio(folder: Path) -> list[Path]:
    """The :func:`golden_waves` clips as 16-bit WAV files."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, wave in golden_waves().items():
        path = folder / f"{name}.wav"
        sf.write(path, wave, SAMPLE_RATE, subtype="PCM_16")
        paths.append(path)
    return paths
