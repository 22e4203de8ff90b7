"""MIDI -> audio with FluidSynth and the FluidR3 General MIDI soundfont, cached on disk.

:func:`render_midi` runs ::

    fluidsynth -ni -q -g <gain> -r <rate> -T wav -F OUT.wav <soundfont> IN.mid

once per (MIDI content, sample rate, gain, soundfont, fluidsynth version, program) and keeps the
WAV in the ``"midi-render"`` feature cache; later calls return the cached path. With ``program``
(a General MIDI program number, :data:`PROGRAMS`) every melodic channel is played by that
instrument: the file's program changes are rewritten and one is added at its start for each
melodic channel (:func:`with_program`, through ``mido``); drums (channel 10) stay drums, and every
track ends with "all sound off" so a note the file leaves on cannot sustain forever. A rendering
may write at most 1 GiB (:data:`MAX_RENDER_BYTES`); a runaway one is stopped and reported. Training
on the same notes played by several instruments keeps a model from learning "piano = one emotion". The output is stereo and quiet
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
#: A few General MIDI programs (0-based) of different families, for rendering the same notes apart.
PROGRAMS = {"piano": 0, "clean_guitar": 27, "strings": 48, "synth_lead": 81}
DRUM_CHANNEL = 9
ALL_SOUND_OFF, ALL_NOTES_OFF = 120, 123
#: The largest WAV a rendering may write (a runaway render is stopped and reported, not cached).
MAX_RENDER_BYTES = 1 << 30
INSTALL_HINT = "install it with `apt-get install fluidsynth fluid-soundfont-gm`"


class RendererUnavailableError(AffectZooError):
    """The MIDI renderer (fluidsynth binary or its soundfont) is not installed."""


def render_midi(path: Path | str, sample_rate: int = 22050, gain: float = 0.5,
                soundfont: Path | str = DEFAULT_SOUNDFONT, *, binary: str = "fluidsynth",
                timeout_s: float = 600.0, program: int | None = None) -> Path:
    """Path of the cached WAV rendering of the MIDI file ``path`` (rendered on the first call);
    ``program`` plays every melodic channel with that General MIDI program."""
    path, soundfont = Path(path), Path(soundfont)
    executable = shutil.which(binary)
    if executable is None:
        raise RendererUnavailableError(f"the MIDI renderer {binary!r} is not on PATH; {INSTALL_HINT}")
    if not soundfont.is_file():
        raise RendererUnavailableError(f"soundfont {soundfont} not found; {INSTALL_HINT} (or pass soundfont=)")
    _check_midi(path)
    cfg = {"sample_rate": sample_rate, "gain": gain, "soundfont": str(soundfont.resolve()),
           "soundfont_bytes": soundfont.stat().st_size}
    if program is not None:
        cfg["program"] = int(program)

    def produce(out: Path) -> None:
        source = path
        if program is not None:
            source = out.with_name(out.name + ".mid")
            source.write_bytes(with_program(path, program))
        command = [executable, "-ni", "-q", "-g", str(gain), "-r", str(sample_rate), "-T", "wav", "-F", str(out),
                   str(soundfont), str(source)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s,
                                  preexec_fn=_limit_file_size)
        except subprocess.TimeoutExpired:
            raise InputError(path, f"fluidsynth did not finish rendering within {timeout_s:g} s") from None
        finally:
            if source != path:
                source.unlink(missing_ok=True)
        if done.returncode != 0:
            message = (done.stderr or done.stdout).strip().splitlines()
            raise InputError(path, f"fluidsynth could not render it (exit {done.returncode}: "
                                   f"{message[-1] if message else 'no message'})")
        _check_rendering(path, out)

    return FeatureCache("midi-render").file(path, cfg, produce, ".wav", encoder="fluidsynth",
                                            revision=_version(executable))


def _limit_file_size() -> None:
    """In the renderer's process: no file larger than :data:`MAX_RENDER_BYTES` (it is stopped instead)."""
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_RENDER_BYTES, MAX_RENDER_BYTES))


def with_program(path: Path | str, program: int) -> bytes:
    """The MIDI file ``path`` with every melodic channel set to General MIDI ``program`` (0-127)."""
    import io

    import mido

    if not 0 <= program <= 127:
        raise ValueError(f"a General MIDI program is 0-127, got {program}")
    try:
        midi = mido.MidiFile(str(path))
    except (OSError, ValueError, EOFError, KeyError, IndexError) as err:
        raise InputError(path, f"cannot read the MIDI file ({err})") from None
    used = set()
    for track in midi.tracks:
        for index, message in enumerate(track):
            if message.type == "program_change" and message.channel != DRUM_CHANNEL:
                track[index] = message.copy(program=program)
            elif message.type == "note_on" and message.channel != DRUM_CHANNEL:
                used.add(message.channel)
    if midi.tracks:
        midi.tracks[0][0:0] = [mido.Message("program_change", channel=channel, program=program, time=0)
                               for channel in sorted(used)]
    for track in midi.tracks:  # a note left on never decays on a sustained instrument: end them all
        end = len(track) - 1 if track and track[-1].type == "end_of_track" else len(track)
        track[end:end] = [mido.Message("control_change", channel=channel, control=control, value=0, time=0)
                          for channel in sorted(used) for control in (ALL_SOUND_OFF, ALL_NOTES_OFF)]
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


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


def render_many(midi_paths: list[str], sample_rate: int = 22050, workers: int = 2,
                program: int | None = None) -> tuple[list[str | None], list[str]]:
    """Render many MIDI files (cached; with ``program``, all played by it) in parallel threads with a progress bar.

    Returns the WAV paths in input order (None where rendering failed) and one message per failure.
    """
    from concurrent.futures import ThreadPoolExecutor

    from tqdm import tqdm

    failures: list[str] = []

    def render(path: str) -> str | None:
        try:
            return str(render_midi(path, sample_rate=sample_rate, program=program))
        except InputError as err:
            failures.append(str(err))
            return None

    with ThreadPoolExecutor(max_workers=workers) as pool:
        desc = "rendering MIDI" + (f" (program {program})" if program is not None else "")
        audio = list(tqdm(pool.map(render, midi_paths), total=len(midi_paths), desc=desc, unit="file"))
    return audio, failures
