"""MIDI -> audio with FluidSynth and the FluidR3 General MIDI soundfont, cached on disk.

:func:`render_midi` runs ::

    fluidsynth -ni -q -g <gain> -r <rate> -T wav -F OUT.wav <soundfont> IN.mid

once per (MIDI content, sample rate, gain, soundfont, fluidsynth version) and keeps the WAV in the
``"midi-render"`` feature cache; later calls return the cached path. The output is stereo and quiet
(gain 0.5): load it with :func:`affectzoo.data.audio.load_audio`, which mixes to mono, and
normalise (``normalize="rms"``) before computing features.

Errors: a missing ``fluidsynth`` binary or soundfont raises :class:`RendererUnavailableError`
naming the install command; a file that is not a Standard MIDI File, that fluidsynth rejects, or
that renders to nothing or to silence (fluidsynth exits 0 on some broken files) raises
:class:`~affectzoo.errors.InputError` naming the MIDI file. Nothing is cached for a failed render.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

from affectzoo.data.audio import SILENCE_PEAK
from affectzoo.data.cache import FeatureCache
from affectzoo.errors import AffectZooError, InputError

DEFAULT_SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
INSTALL_HINT = "install it with `apt-get install fluidsynth fluid-soundfont-gm`"


class RendererUnavailableError(AffectZooError):
    """The MIDI renderer (fluidsynth binary or its soundfont) is not installed."""


def render_midi(path: Path | str, sample_rate: int = 22050, gain: float = 0.5,
                soundfont: Path | str = DEFAULT_SOUNDFONT, *, binary: str = "fluidsynth",
                timeout_s: float = 600.0) -> Path:
    """Path of the cached WAV rendering of the MIDI file ``path`` (rendered on the first call)."""
    path, soundfont = Path(path), Path(soundfont)
    executable = shutil.which(binary)
    if executable is None:
        raise RendererUnavailableError(f"the MIDI renderer {binary!r} is not on PATH; {INSTALL_HINT}")
    if not soundfont.is_file():
        raise RendererUnavailableError(f"soundfont {soundfont} not found; {INSTALL_HINT} (or pass soundfont=)")
    _check_midi(path)
    cfg = {"sample_rate": sample_rate, "gain": gain, "soundfont": str(soundfont.resolve()),
           "soundfont_bytes": soundfont.stat().st_size}

    def produce(out: Path) -> None:
        command = [executable, "-ni", "-q", "-g", str(gain), "-r", str(sample_rate), "-T", "wav", "-F", str(out),
                   str(soundfont), str(path)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise InputError(path, f"fluidsynth did not finish rendering within {timeout_s:g} s") from None
        if done.returncode != 0:
            message = (done.stderr or done.stdout).strip().splitlines()
            raise InputError(path, f"fluidsynth could not render it (exit {done.returncode}: "
                                   f"{message[-1] if message else 'no message'})")
        _check_rendering(path, out)

    return FeatureCache("midi-render").file(path, cfg, produce, ".wav", encoder="fluidsynth",
                                            revision=_version(executable))


def _check_midi(path: Path) -> None:
    if not path.exists():
        raise InputError(path, "file not found")
    if not path.is_file():
        raise InputError(path, "is not a regular file")
    with open(path, "rb") as handle:
        head = handle.read(4)
    if not head:
        raise InputError(path, "file is empty (0 bytes)")
    if head != b"MThd":
        raise InputError(path, "not a Standard MIDI File (no MThd header)")


def _check_rendering(path: Path, out: Path) -> None:
    """Raise when fluidsynth 'succeeded' but wrote no audio or only silence (a broken MIDI file)."""
    try:
        data, _ = sf.read(out, dtype="float32")
    except (sf.SoundFileError, RuntimeError):
        data = np.zeros(0, np.float32)
    if data.size == 0:
        raise InputError(path, "fluidsynth produced no audio: corrupt MIDI file")
    if float(np.abs(data).max()) < SILENCE_PEAK:
        raise InputError(path, "renders to silence: corrupt MIDI file or no notes")


@functools.lru_cache(maxsize=None)
def _version(executable: str) -> str:
    """fluidsynth's version (part of the cache key: another synth version may render differently)."""
    try:
        banner = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    match = re.search(r"version\s+(\S+)", banner)
    return match.group(1) if match else "unknown"


def render_many(midi_paths: list[str], sample_rate: int = 22050, workers: int = 2) -> tuple[list[str | None], list[str]]:
    """Render many MIDI files (cached) in parallel threads with a progress bar.

    Returns the WAV paths in input order (None where rendering failed) and one message per failure.
    """
    from concurrent.futures import ThreadPoolExecutor

    from tqdm import tqdm

    failures: list[str] = []

    def render(path: str) -> str | None:
        try:
            return str(render_midi(path, sample_rate=sample_rate))
        except InputError as err:
            failures.append(str(err))
            return None

    with ThreadPoolExecutor(max_workers=workers) as pool:
        audio = list(tqdm(pool.map(render, midi_paths), total=len(midi_paths), desc="rendering MIDI", unit="file"))
    return audio, failures
