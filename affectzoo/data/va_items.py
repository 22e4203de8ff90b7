"""Labelled items for training and judging valence/arousal predictors, one row per item variant.

Music comes from the ``open-music-va`` build, pictures from ``open-image-va``. Each row carries
its ``source`` (Emotify split by genre into ``emotify_classical`` and ``emotify_rock``, so a genre
can be held out), its labels in [-1, 1] with their ``label_type`` (``continuous`` ratings,
``proxy`` GEMS-derived values that support ranking only, ``binary`` quadrant signs), whether it is
a real recording (``real``), and which variant of the item it is:

* ``clean``: the file as published (MIDI: the build's default rendering);
* ``program<N>``: a MIDI rendering with every melodic channel played by General MIDI program N
  (:data:`~affectzoo.data.midi.PROGRAMS`): the same notes on another instrument;
* ``augment<S>``: the file with the seeded gain / equalisation / noise augmentation S
  (:mod:`affectzoo.data.augment`), applied when its features are computed (column ``augment``).

Variants share the item's ``id`` and ``split``, so splits and held-out sources never leak.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pandas as pd

from affectzoo.data.builds import build, load_build

MUSIC_SOURCES = ("emotify_classical", "emotify_rock", "deam", "vgmidi", "emopia")
REAL_SOURCES = ("emotify_classical", "emotify_rock", "deam")
IMAGE_SOURCES = ("oasis", "bass")
#: Programs rendered beside the default piano (clean guitar, strings, synth lead).
EXTRA_PROGRAMS = (27, 48, 81)


def music_source(row: pd.Series) -> str:
    """The item's source; Emotify by genre (the folder of its file)."""
    if row["source"] == "emotify":
        return f"emotify_{Path(row['audio_path']).parent.name}"
    return row["source"]


def music_items(root: str = "../shared/data", seed: int = 0, augments: int = 0, programs: str = "none") -> pd.DataFrame:
    """The labelled music, one row per variant: ``augments`` seeded augmentations of every real
    recording, and MIDI renderings in other programs: ``programs="all"`` (each extra program for
    every MIDI item), ``"one"`` (one extra program per item, cycling) or ``"none"``."""
    from affectzoo.data.midi import render_many

    build("open-music-va", root, seed)
    items = load_build("open-music-va", seed)["items"]
    items = items.assign(source=items.apply(music_source, axis=1), variant="clean", augment=pd.NA)
    items = items.assign(real=items["source"].isin(REAL_SOURCES))
    rows = [items]
    real = items[items["real"]]
    rows += [real.assign(variant=f"augment{k}", augment=_augment_seed(real["id"], k)) for k in range(1, augments + 1)]
    midi = items[items["midi_path"].notna() & (items["midi_path"].astype(str) != "")]
    if programs != "none":
        for position, program in enumerate(EXTRA_PROGRAMS):
            chosen = midi if programs == "all" else midi.iloc[position::len(EXTRA_PROGRAMS)]
            audio, _ = render_many(chosen["midi_path"].tolist(), program=program)
            rendered = chosen.assign(audio_path=audio, variant=f"program{program}").dropna(subset=["audio_path"])
            rows.append(rendered)
    return pd.concat(rows, ignore_index=True)


def _augment_seed(ids: pd.Series, k: int) -> pd.Series:
    """A seed per (item, k) that does not depend on row order."""
    return ids.map(lambda item: zlib.crc32(f"{item}#{k}".encode()) % (2**31))


def image_items(root: str = "../shared/data", seed: int = 0) -> pd.DataFrame:
    """The labelled pictures (OASIS photos, BASS shapes), one row each."""
    build("open-image-va", root, seed)
    items = load_build("open-image-va", seed)["items"]
    return items.assign(variant="clean", augment=pd.NA, real=items["source"] == "oasis")
