"""MIDI rendering with fluidsynth: a real render of a hand-built MIDI file, the cache, and every error path.

The real-render tests need Debian's ``fluidsynth`` and ``fluid-soundfont-gm`` and are skipped without
them; the error paths use a stand-in ``fluidsynth`` script, so they run everywhere.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile as sf

from affectzoo.data import midi
from affectzoo.data.midi import DEFAULT_SOUNDFONT, RendererUnavailableError, render_midi
from affectzoo.errors import InputError

HAVE_FLUIDSYNTH = shutil.which("fluidsynth") is not None and DEFAULT_SOUNDFONT.is_file()
needs_fluidsynth = pytest.mark.skipif(not HAVE_FLUIDSYNTH, reason="fluidsynth or fluid-soundfont-gm not installed "
                                                                   "(apt-get install fluidsynth fluid-soundfont-gm)")
INSTALL = "apt-get install fluidsynth fluid-soundfont-gm"


def _varlen(value: int) -> bytes:
    """MIDI variable-length quantity."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def smf(pitches=(60, 64, 67), beats_each: float = 1.0, division: int = 480, tempo_us: int = 500_000) -> bytes:
    """A format-0 Standard MIDI File playing ``pitches`` one after another on a piano (120 bpm default)."""
    ticks = round(beats_each * division)
    events = b"\x00\xff\x51\x03" + tempo_us.to_bytes(3, "big") + b"\x00\xc0\x00"  # tempo, program 0 (piano)
    for pitch in pitches:
        events += b"\x00" + bytes([0x90, pitch, 100]) + _varlen(ticks) + bytes([0x80, pitch, 64])
    events += b"\x00\xff\x2f\x00"  # end of track
    header = b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big") + \
        division.to_bytes(2, "big")
    return header + b"MTrk" + len(events).to_bytes(4, "big") + events


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("AFFECTZOO_CACHE", str(folder))
    return folder


@pytest.fixture
def song(tmp_path):
    path = tmp_path / "song.mid"
    path.write_bytes(smf())
    return path


@pytest.fixture
def fake_synth(tmp_path, monkeypatch):
    """Install a stand-in ``fluidsynth`` on PATH; ``fake_synth(behaviour)`` picks what it does."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    soundfont = tmp_path / "fake.sf2"
    soundfont.write_bytes(b"RIFF")

    def install(behaviour: str):
        script = folder / "fluidsynth"
        script.write_text(f"#!{sys.executable}\n" + textwrap.dedent(f"""
            import sys
            args = sys.argv[1:]
            if "--version" in args:
                print("FluidSynth runtime version 0.0-fake")
                sys.exit(0)
            behaviour = {behaviour!r}
            if behaviour == "fail":
                print("fluidsynth: error: boom", file=sys.stderr)
                sys.exit(3)
            if behaviour in ("silent", "tone"):
                import numpy as np
                import soundfile as sf
                level = 0.0 if behaviour == "silent" else 0.1
                sf.write(args[args.index("-F") + 1], np.full((2205, 2), level, np.float32), 22050, format="WAV")
            """))
        script.chmod(0o755)
        midi._version.cache_clear()
        return soundfont

    yield install
    midi._version.cache_clear()


@needs_fluidsynth
def test_real_render_has_notes_duration_and_rate(song):
    out = render_midi(song, sample_rate=16000)
    info = sf.info(out)
    assert info.samplerate == 16000 and info.format == "WAV"
    assert 1.5 <= info.duration < 1.5 + 4.0, "three half-second notes plus the release tail"
    data, _ = sf.read(out, dtype="float32")
    peak = np.abs(data).max(axis=1)
    assert float(peak.max()) > 0.01
    assert float(np.abs(data[: 8000 * 3]).max()) > 0.01, "notes sound during the first 1.5 s"


@needs_fluidsynth
def test_second_render_hits_the_cache_and_cfg_changes_miss(song, cache, monkeypatch):
    first = render_midi(song)
    runs = []
    real_run = subprocess.run
    monkeypatch.setattr(midi.subprocess, "run", lambda *a, **k: runs.append(a[0]) or real_run(*a, **k))
    assert render_midi(song) == first and runs == [], "a cached render must not run fluidsynth"
    assert cache in first.parents and first.parent.parent.name == "midi-render"
    louder = render_midi(song, gain=1.0)
    assert louder != first and len(runs) == 1
    assert np.abs(sf.read(louder)[0]).max() > 1.5 * np.abs(sf.read(first)[0]).max()
    assert render_midi(song, sample_rate=16000) not in (first, louder) and len(runs) == 2


@needs_fluidsynth
def test_real_corrupt_midi_raises_naming_the_file(tmp_path, cache):
    bad = tmp_path / "broken.mid"
    bad.write_bytes(smf()[:14] + b"MTrk" + (200).to_bytes(4, "big") + np.random.default_rng(0).bytes(200))
    with pytest.raises(InputError, match=r"broken\.mid: renders to silence"):
        render_midi(bad)
    assert not list(cache.rglob("*.wav")), "a failed render must not be cached"


def test_missing_binary_names_the_install_command(song, monkeypatch, tmp_path):
    with pytest.raises(RendererUnavailableError, match=INSTALL):
        render_midi(song, binary="fluidsynth-not-installed-here")
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    with pytest.raises(RendererUnavailableError, match="'fluidsynth' is not on PATH"):
        render_midi(song)


def test_missing_soundfont_names_the_install_command(song, fake_synth, tmp_path):
    fake_synth("tone")
    with pytest.raises(RendererUnavailableError, match=f"nothing.sf2 not found.*{INSTALL}"):
        render_midi(song, soundfont=tmp_path / "nothing.sf2")


@pytest.mark.parametrize("content,problem", [(b"", r"empty \(0 bytes\)"), (b"RIFF\x00\x00junk", "no MThd header"),
                                             (b"hello world", "no MThd header")])
def test_not_midi_raises_naming_the_file(tmp_path, fake_synth, content, problem):
    soundfont = fake_synth("tone")
    path = tmp_path / "notmidi.mid"
    path.write_bytes(content)
    with pytest.raises(InputError, match=f"notmidi.mid: .*{problem}"):
        render_midi(path, soundfont=soundfont)
    with pytest.raises(InputError, match="gone.mid: file not found"):
        render_midi(tmp_path / "gone.mid", soundfont=soundfont)


@pytest.mark.parametrize("behaviour,problem", [("silent", "renders to silence"), ("nothing", "produced no audio"),
                                               ("fail", r"could not render it \(exit 3: fluidsynth: error: boom\)")])
def test_synth_exiting_badly_or_silently_raises_and_caches_nothing(song, fake_synth, cache, behaviour, problem):
    soundfont = fake_synth(behaviour)
    with pytest.raises(InputError, match=f"song.mid: .*{problem}"):
        render_midi(song, soundfont=soundfont)
    assert not [p for p in cache.rglob("*") if p.is_file()], "a failed render must leave nothing in the cache"


def test_fake_render_is_cached_by_content(song, fake_synth, tmp_path, cache):
    soundfont = fake_synth("tone")
    first = render_midi(song, soundfont=soundfont)
    assert sf.info(first).frames == 2205
    copy = tmp_path / "copy.mid"
    copy.write_bytes(song.read_bytes())
    assert render_midi(copy, soundfont=soundfont) == first, "same content, same entry"
    song.write_bytes(smf(pitches=(72,)))
    assert render_midi(song, soundfont=soundfont) != first, "new content, new entry"
    assert first.suffix == ".wav"
