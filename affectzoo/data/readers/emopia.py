"""Reader for EMOPIA (Hung et al., ISMIR 2021): pop-piano MIDI clips labelled with a Russell quadrant.

Layout: ``midis/Q{1-4}_<youtube id>_<clip index>.mid`` (the clip's quadrant is its file-name prefix;
YouTube ids themselves may contain ``_`` and ``-``, e.g. ``Q2_L3_TadjSQQ0_0``) and the official
song-disjoint split ``splits/{train,val,test}.csv`` (``fname,label``: clip name and quadrant).
Clips that no split file lists (27 of 1,078 in the shared copy) get ``split`` "none"; 25 of those
27 belong to songs whose other clips are in a split (train 16, val 7, test 2), so a caller who
adds them to training must group by ``song_id`` to stay song-disjoint.

The project's shared copy also has ``emopia_labels.csv``, a table derived from these files; it
is not needed (on the shared copy it agrees with this reader on every clip's quadrant, song, and
split).

Targets: the quadrant gives binary valence/arousal signs, Q1 V+A+, Q2 V-A+, Q3 V-A-, Q4 V+A-
(``QUADRANT_SIGNS``), stored as -1.0 / +1.0 in ``valence`` / ``arousal``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from affectzoo.affect.scales import QUADRANT_SIGNS
from affectzoo.data.readers._common import media_path, read_table
from affectzoo.errors import InputError

SPLITS = ("train", "val", "test")
_CLIP = re.compile(r"(Q[1-4])_(.+)_(\d+)")


def read_emopia(path: str | os.PathLike) -> pd.DataFrame:
    """EMOPIA clips with quadrant, binary V/A targets, song id and official split.

    ``path`` is the dataset root holding ``midis/`` and ``splits/``.

    Columns: ``id`` (clip name, e.g. ``Q1_0vLPYiPN7qY_0``), ``midi_path``, ``quadrant``,
    ``valence`` / ``arousal`` (+1.0 or -1.0 from the quadrant), ``song_id`` (the YouTube id, so a
    split by it is song-disjoint), ``clip_index``, ``split`` ("train", "val", "test" or "none").
    """
    root = Path(path).expanduser()
    midi_dir = root / "midis"
    if not midi_dir.is_dir():
        raise InputError(root, "no midis/ folder (expected the EMOPIA root)")
    clips = sorted(file.stem for file in midi_dir.glob("*.mid"))
    if not clips:
        raise InputError(midi_dir, "no .mid files")
    rows = []
    for clip in clips:
        match = _CLIP.fullmatch(clip)
        if match is None:
            raise InputError(midi_dir / f"{clip}.mid", "file name is not Q<1-4>_<youtube id>_<clip index>.mid")
        quadrant, song, index = match.groups()
        valence, arousal = QUADRANT_SIGNS[quadrant]
        rows.append({"id": clip, "midi_path": media_path(midi_dir, f"{clip}.mid"), "quadrant": quadrant,
                     "valence": float(valence), "arousal": float(arousal), "song_id": song, "clip_index": int(index)})
    frame = pd.DataFrame(rows)
    frame["split"] = frame["id"].map(_official_split(root / "splits", frame)).fillna("none")
    return frame


def _official_split(folder: Path, clips: pd.DataFrame) -> dict[str, str]:
    """clip name -> split, from the split files, checked against the clips' quadrants."""
    quadrant_of = dict(zip(clips["id"], clips["quadrant"]))
    split_of: dict[str, str] = {}
    for split in SPLITS:
        path = folder / f"{split}.csv"
        table = read_table(path, ["fname", "label"])
        for row, (clip, label) in enumerate(zip(table["fname"], table["label"]), start=1):
            if clip not in quadrant_of:
                raise InputError(path, f"data row {row}: clip {clip!r} has no file in midis/")
            if label != quadrant_of[clip]:
                raise InputError(path, f"data row {row}: label {label!r} disagrees with the file name {clip!r}")
            if clip in split_of:
                raise InputError(path, f"data row {row}: clip {clip!r} is already in the {split_of[clip]} split")
            split_of[clip] = split
    return split_of
