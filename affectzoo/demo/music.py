"""The demo's music: four short pieces synthesised here, one per quadrant of the valence/arousal plane.

No recording ships with the package (none with a licence that allows it is small enough), so the
demo writes its clips from a few musical choices that listeners read as emotion: mode (major or
minor, consonant or diminished harmony), tempo, register, loudness, articulation and brightness
(how many harmonics each note carries). The clips are deterministic: the same bytes on every run,
so the feature cache keyed on the files stays warm between runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from affectzoo._io import atomic_write

SAMPLE_RATE = 22050
SECONDS = 12.0


@dataclass(frozen=True)
class Piece:
    """What a synthesised clip is made of; ``chords`` are MIDI note lists, one per bar."""

    name: str
    description: str
    tempo: float  # beats per minute; a bar is four beats
    chords: tuple[tuple[int, ...], ...]
    harmonics: int  # brightness: partials per note
    loudness: float  # peak amplitude before the limiter
    staccato: bool  # short notes (arpeggiated) or held chords


PIECES = (
    Piece("bright_major_fast", "C major arpeggios at 152 bpm, bright and loud", 152,
          ((60, 64, 67, 72), (65, 69, 72, 77), (67, 71, 74, 79), (60, 64, 67, 72)), 6, 0.8, True),
    Piece("calm_major_slow", "F major chords held at 60 bpm, soft and mellow", 60,
          ((53, 57, 60, 65), (58, 62, 65, 70), (53, 57, 60, 65), (60, 64, 67, 72)), 2, 0.35, False),
    Piece("dark_minor_slow", "A minor chords held low at 52 bpm, quiet", 52,
          ((45, 48, 52, 57), (41, 45, 48, 53), (40, 44, 47, 52), (45, 48, 52, 57)), 2, 0.3, False),
    Piece("tense_diminished_fast", "diminished arpeggios at 176 bpm, loud and harsh", 176,
          ((59, 62, 65, 68), (60, 63, 66, 69), (61, 64, 67, 70), (59, 62, 65, 68)), 9, 0.9, True),
)


def _note(frequency: float, seconds: float, harmonics: int, staccato: bool) -> np.ndarray:
    """One note: ``harmonics`` partials falling as 1/k, an attack and an exponential (or held) decay."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    tone = sum(np.sin(2 * np.pi * frequency * k * t) / k for k in range(1, harmonics + 1))
    attack = np.minimum(1.0, t / 0.01)
    decay = np.exp(-t * (9.0 if staccato else 1.2))
    return tone * attack * decay


def render(piece: Piece) -> np.ndarray:
    """``piece`` as a mono float32 waveform of SECONDS at SAMPLE_RATE, peak-normalised to its loudness."""
    out = np.zeros(int(SECONDS * SAMPLE_RATE) + SAMPLE_RATE)
    beat = 60.0 / piece.tempo
    step = beat / 2 if piece.staccato else beat * 4  # eighth-note arpeggios or whole-bar chords
    start, index = 0.0, 0
    while start < SECONDS:
        chord = piece.chords[int(start // (beat * 4)) % len(piece.chords)]
        notes = [chord[index % len(chord)]] if piece.staccato else list(chord)
        for midi in notes:
            wave = _note(440.0 * 2 ** ((midi - 69) / 12), step * 1.5, piece.harmonics, piece.staccato)
            begin = int(start * SAMPLE_RATE)
            out[begin:begin + len(wave)] += wave[: len(out) - begin]
        start, index = start + step, index + 1
    out = out[: int(SECONDS * SAMPLE_RATE)]
    return (piece.loudness * out / np.abs(out).max()).astype(np.float32)


def write_clips(folder: Path) -> list[Path]:
    """Write every piece as ``folder/<name>.wav`` (atomically; an existing file is kept) and return the paths."""
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for piece in PIECES:
        path = folder / f"{piece.name}.wav"
        if not path.is_file():
            wave = render(piece)
            atomic_write(path, lambda tmp, wave=wave: sf.write(tmp, wave, SAMPLE_RATE, format="WAV"))
        paths.append(path)
    return paths
